"""Writing results so that a crash never leaves a half file: write a temporary, then rename."""

from __future__ import annotations

import json
import os


def write_text_atomic(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return path


def write_json_atomic(path: str, data) -> str:
    return write_text_atomic(path, json.dumps(data, indent=1))


def write_result(out_dir: str, stem: str, data: dict) -> str:
    """``out_dir/<stem>_<platform>_<device kind>.json`` (``data["device"]`` names the machine)."""
    device = data["device"]
    name = f"{stem}_{device['platform']}_{device['device_kind']}".replace(" ", "_").lower()
    return write_json_atomic(os.path.join(out_dir, name + ".json"), data)


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend (no display on servers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str, dpi: int = 100) -> str:
    """``fig`` as a PNG at ``path``, written atomically; the figure is closed."""
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=dpi)
    pyplot().close(fig)
    os.replace(tmp, path)
    return path
