"""Eight real photos of hands, for testing the image path: fetched from Debian, never committed.

Debian's ``gcompris-qt-data`` (GPLv3, a different licence from ours, hence fetched at test or
set-up time) holds GCompris's left/right activity in ``leftright.rcc``, a Qt resource file: photos
of a left and a right hand, open (``main``) and as a fist (``poing``), palm side (``paume``) and
back (``dessus``). The file names give the true side, so they are known answers for handedness.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
import zlib

from dexvip_jax.errors import ConfigError

PACKAGE = "gcompris-qt-data"
RCC = "./usr/share/gcompris-qt/rcc/leftright.rcc"
SIDE = {"gauche": "left", "droit": "right", "droite": "right"}
SHAPE = {"main": "open", "poing": "fist"}
VIEW = {"paume": "palm", "dessus": "back"}


def rcc_files(blob: bytes) -> dict[str, bytes]:
    """Every file in a Qt binary resource (``rcc``, format 1-3): path -> bytes (zlib entries inflated)."""
    magic, version, tree, data, names = struct.unpack(">4sIIII", blob[:20])
    if magic != b"qres" or not 1 <= version <= 3:
        raise ConfigError("not a Qt resource file (rcc format 1-3)")
    node = 22 if version >= 2 else 14

    def name(offset: int) -> str:
        (n,) = struct.unpack(">H", blob[names + offset: names + offset + 2])
        return blob[names + offset + 6: names + offset + 6 + 2 * n].decode("utf-16-be")

    out, stack = {}, [(0, "")]
    while stack:
        i, path = stack.pop()
        o = tree + node * i
        offset, flags = struct.unpack(">IH", blob[o: o + 6])
        here = f"{path}/{name(offset)}" if i else ""
        if flags & 2:  # directory: children are consecutive nodes
            count, first = struct.unpack(">II", blob[o + 6: o + 14])
            stack += [(c, here) for c in range(first, first + count)]
            continue
        (start,) = struct.unpack(">I", blob[o + 10: o + 14])
        (size,) = struct.unpack(">I", blob[data + start: data + start + 4])
        raw = blob[data + start + 4: data + start + 4 + size]
        out[here] = zlib.decompress(raw[4:]) if flags & 1 else raw
    return out


def label(filename: str) -> dict:
    """``poing_droit_paume_0.webp`` -> side right, shape fist, view palm."""
    shape, side, view = os.path.basename(filename).split("_")[:3]
    return {"side": SIDE[side], "shape": SHAPE[shape], "view": VIEW[view]}


def fetch(folder: str) -> dict[str, dict]:
    """Write the eight photos into ``folder`` (``apt-get download``, so a Debian machine whose
    package lists are current); returns file name -> its label."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise ConfigError(f"fetching the hand photos needs Debian's apt-get and dpkg-deb ({PACKAGE})")
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        download = lambda: subprocess.run(["apt-get", "download", "-q", PACKAGE], cwd=tmp, capture_output=True, text=True)  # noqa: E731
        done = download()
        if done.returncode and os.geteuid() == 0:  # a fresh image may hold no package lists yet
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            done = download()
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if done.returncode or not debs:
            raise ConfigError(f"apt-get download {PACKAGE} failed ({done.stderr.strip()[-200:]}); run apt-get update first")
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", os.path.join(tmp, debs[0])], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        blob = t.extractfile(RCC).read()
    photos = {}
    for path, data in rcc_files(blob).items():
        name = os.path.basename(path)
        if name.endswith(".webp") and name.split("_")[0] in SHAPE:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            photos[name] = label(name)
    return photos
