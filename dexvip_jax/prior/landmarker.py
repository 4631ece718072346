"""``dexvip prior landmarker``: MediaPipe's hand-landmarker model, built at set-up from a registry wheel.

The ``mediapipe`` 1.2.3 wheel (the ``images`` extra) runs the Tasks ``HandLandmarker`` but ships no
model, and nothing may be downloaded at run time. The ``mediapipe==0.10.14`` wheel for CPython
3.11 (Apache-2.0) carries the two networks a ``hand_landmarker.task`` holds: a zip of them,
stored uncompressed under the names the Tasks API looks for, is that model. This builds it once,
during set-up (``make install``), from the wheel fetched by pip from the package registry; the
members are checked against their sha256, stored aligned (so TFLite maps them in place) and the
zip is deterministic (fixed order, dates and padding), so every machine builds the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

from dexvip_jax.errors import ConfigError
from dexvip_jax.files import replacing

WHEEL = "mediapipe==0.10.14"
ALIGN = 64  # bytes: TFLite maps the networks in place when their data is aligned
TASK_SHA256 = "3c05a595b195902bc153e97a53fb669db9b45ceabccb39902bc0ab3e6db9974c"  # what build() writes
# name inside the .task -> (path in the wheel, sha256)
MEMBERS = {
    "hand_detector.tflite": ("mediapipe/modules/palm_detection/palm_detection_full.tflite",
                             "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54"),
    "hand_landmarks_detector.tflite": ("mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
                                       "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3"),
}


def default_path() -> str:
    """Where ``read_images`` looks when no ``--model`` is given: ``$DEXVIP_HAND_MODEL``, else the
    user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``)/dexvip-jax/hand_landmarker.task."""
    if os.environ.get("DEXVIP_HAND_MODEL"):
        return os.environ["DEXVIP_HAND_MODEL"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "dexvip-jax", "hand_landmarker.task")


def fetch_wheel(folder: str) -> str:
    """The 0.10.14 wheel for CPython 3.11 on x86-64 Linux, downloaded by pip (no install)."""
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
           "--platform", "manylinux_2_17_x86_64", "-d", folder, WHEEL]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = [f for f in os.listdir(folder) if f.startswith("mediapipe-0.10.14") and f.endswith(".whl")]
    if done.returncode or not wheels:
        tail = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise ConfigError(f"pip could not fetch {WHEEL} ({tail}); run this where the package registry is "
                          "reachable, or pass --wheel PATH to a downloaded copy")
    return os.path.join(folder, wheels[0])


def _align(data_start: int, to: int = ALIGN) -> bytes:
    """A zip extra field (zipalign's id 0xD935) that starts the member's data on a multiple of ``to``."""
    pad = -data_start % to
    pad += to if 0 < pad < 4 else 0
    return struct.pack("<HH", 0xD935, pad - 4) + bytes(pad - 4) if pad else b""


def build(out: str, wheel: str | None = None) -> str:
    """Write the ``.task`` model to ``out`` (atomically) from ``wheel`` (fetched when None); its sha256."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel or fetch_wheel(tmp)
        try:
            with zipfile.ZipFile(wheel) as z:
                blobs = {name: z.read(src) for name, (src, _) in MEMBERS.items()}
        except (OSError, KeyError, zipfile.BadZipFile) as e:
            raise ConfigError(f"{wheel} is not the {WHEEL} wheel ({type(e).__name__}); let pip fetch it (no --wheel)") from None
    for name, (src, sha) in MEMBERS.items():
        if hashlib.sha256(blobs[name]).hexdigest() != sha:
            raise ConfigError(f"{src} in {wheel} does not have the sha256 this model was checked with; "
                              f"use the {WHEEL} wheel from PyPI")
    with replacing(out) as tmp, open(tmp, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(blobs):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.extra = _align(f.tell() + 30 + len(name.encode()))
            z.writestr(info, blobs[name])
    with open(out, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
