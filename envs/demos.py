"""The demonstration file, ``demos.npz``: what the oracle writes (``dexvip oracle --out DIR``) and
what demonstration starts and DAPG read. One row per episode, ``T`` = the env's episode length:

=============  ===============  ==========================================================
key            shape            what
=============  ===============  ==========================================================
``obs``        (E, T, M)        the policy's motor observation before each action
``actions``    (E, T, 30)       the actions, in the env's own action space
``rewards``    (E, T)           the env's reward for each step (the run's method weights)
``qpos``       (E, T, nq)       the physics state after each step
``held``       (E, T)           the grasp predicate after each step (``rewards.held``)
``object``     (E,)             object names
``yaw``        (E,)             object yaw at reset (rad)
``success``    (E,)             the paper's success: held for all of the last 50 steps
=============  ===============  ==========================================================

The format sits with the env, below the oracle that writes it, because the env's own reset reads
it (``env.demo_start``).
"""

from __future__ import annotations

import os

import numpy as np

from dexvip_jax.errors import ConfigError
from dexvip_jax.files import replacing

KEYS = ("obs", "actions", "rewards", "qpos", "held", "object", "yaw", "success")


def load(path: str) -> dict:
    """Read a ``demos.npz``; a missing file, or one missing a key, is refused with one line."""
    if not os.path.exists(path):
        raise ConfigError(f"no demonstrations at {path}; write them with `dexvip oracle --out DIR`")
    with np.load(path) as f:
        missing = [k for k in KEYS if k not in f]
        if missing:
            raise ConfigError(f"{path} is not a dexvip oracle demonstration file (missing {', '.join(missing)})")
        return {k: f[k] for k in KEYS}


def save(path: str, demos: dict) -> str:
    """Write ``demos`` atomically as a compressed ``.npz``."""
    with replacing(path) as tmp:
        np.savez_compressed(tmp, **demos)
    return path
