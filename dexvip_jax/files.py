"""Writing results so that a crash never leaves a half file: write a temporary, then rename."""

from __future__ import annotations

import contextlib
import errno
import json
import os

from dexvip_jax.errors import ConfigError

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
FULL_TEXT = ("no space left on device", "file too large", "disk quota exceeded")  # TensorStore's words for them


def disk_full(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from, is a full disk, quota or file-size limit
    (Orbax's TensorStore reports them as text, not as an ``OSError``)."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in FULL or any(t in str(error).lower() for t in FULL_TEXT):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextlib.contextmanager
def replacing(path: str):
    """Yields a temporary path beside ``path``; renames it onto ``path`` on success, removes it on
    any failure (a full disk included), so ``path`` is either whole or untouched."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{ext}"
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def write_text_atomic(path: str, text: str) -> str:
    with replacing(path) as tmp, open(tmp, "w") as f:
        f.write(text)
    return path


def write_json_atomic(path: str, data) -> str:
    return write_text_atomic(path, json.dumps(data, indent=1))


def result_path(out_dir: str, stem: str, device: dict) -> str:
    """``out_dir/<stem>_<platform>_<device kind>.json``: one result file per benchmark and machine."""
    return os.path.join(out_dir, f"{stem}_{device['platform']}_{device['device_kind']}".replace(" ", "_").lower() + ".json")


def write_result(out_dir: str, stem: str, data: dict) -> str:
    """Write ``data`` to ``result_path`` (``data["device"]`` names the machine)."""
    return write_json_atomic(result_path(out_dir, stem, data["device"]), data)


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend (no display on servers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str, dpi: int = 100) -> str:
    """``fig`` as a PNG at ``path``, written atomically; the figure is closed."""
    try:
        with replacing(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        pyplot().close(fig)
    return path


def check_writable(path: str, kind: str = "directory") -> str:
    """``path`` (a ``kind``: "directory" or "file") can be created or written here; else one line
    naming the fix. Creates nothing, so a refused command leaves no file behind."""
    path = os.path.abspath(path)
    if kind == "directory" and os.path.exists(path) and not os.path.isdir(path):
        raise ConfigError(f"{path} is a file, not a directory; choose another output directory")
    if kind == "file" and os.path.isdir(path):
        raise ConfigError(f"{path} is a directory; give a file name")
    probe = path if kind == "directory" else os.path.dirname(path)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise ConfigError(f"{path} lies under {probe}, a file; choose another output path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"{path}: {probe} is not writable; choose another output path")
    return path


class RunLock:
    """One writer per run directory: an exclusive ``flock`` on ``DIR/.lock`` held while the run
    writes. The kernel drops it when the process ends, however it ends, so a killed run never
    leaves its directory locked."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, ".lock")
        self._file = None

    def __enter__(self) -> "RunLock":
        import fcntl

        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise ConfigError(f"{os.path.dirname(self.path)} is in use by {holder}; wait for it to finish "
                              "or choose another --out") from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"process {os.getpid()}\n")
        self._file.flush()
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()  # closing releases the lock
