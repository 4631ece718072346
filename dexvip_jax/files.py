"""Writing results so that a crash never leaves a half file: write a temporary, then rename."""

from __future__ import annotations

import json
import os


def write_json_atomic(path: str, data) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=1)
    os.replace(path + ".tmp", path)
    return path


def write_result(out_dir: str, stem: str, data: dict) -> str:
    """``out_dir/<stem>_<platform>_<device kind>.json`` (``data["device"]`` names the machine)."""
    device = data["device"]
    name = f"{stem}_{device['platform']}_{device['device_kind']}".replace(" ", "_").lower()
    return write_json_atomic(os.path.join(out_dir, name + ".json"), data)
