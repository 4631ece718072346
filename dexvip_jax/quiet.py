"""Third-party import chatter, silenced where it starts, so ``--json`` output is only JSON.

* ``mujoco.mjx`` prints ``Failed to import warp: ...`` and ``Failed to import mujoco_warp: ...`` on
  **stdout** when the optional warp-lang is missing (harmless: the JAX implementation is used). Brax
  imports MJX too. ``mjx()`` imports it once with those two lines dropped; anything else it prints
  still reaches the user.
* gymnasium-robotics prints an Adroit v1 reward notice when its package is imported; the scene only
  needs its asset files, found with ``asset_root`` without importing the package.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys

_WARP_NOTICES = ("Failed to import warp:", "Failed to import mujoco_warp:")


def mjx():
    """``mujoco.mjx``, imported without its missing-warp notices."""
    if "mujoco.mjx" not in sys.modules:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            import mujoco.mjx  # noqa: F401, PLC0415
        for line in out.getvalue().splitlines():
            if not line.startswith(_WARP_NOTICES):
                print(line)
    return sys.modules["mujoco.mjx"]


def asset_root(package: str) -> str:
    """The directory of an installed package, found without running its ``__init__``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed; reinstall dexvip-jax (pip install -e .)")
    return os.fspath(list(spec.submodule_search_locations)[0])
