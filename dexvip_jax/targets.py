"""Per-object target hand poses for the ``pose`` reward.

Placeholder until the hand-pose prior pipeline lands (issue #5): a generic power wrap for handles
and bodies, a precision pinch for thin, narrow objects. Joint order is ``scene.JOINTS`` (30; the
arm entries are unused by the reward). These are NOT human-derived priors.
"""

from __future__ import annotations

import numpy as np

from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs import scene

_GRASPS = {
    "power": {"J3": 0.0, "J2": 0.9, "J1": 1.0, "J0": 0.6, "LFJ4": 0.3,
              "THJ4": 0.5, "THJ3": 1.1, "THJ2": 0.1, "THJ1": 0.3, "THJ0": -0.5},
    "precision": {"J3": 0.0, "J2": 0.5, "J1": 0.6, "J0": 0.4, "LFJ4": 0.1,
                  "THJ4": 0.7, "THJ3": 1.0, "THJ2": 0.0, "THJ1": 0.2, "THJ0": -0.3},
}


def grasp_type(name: str) -> str:
    x, y, z = zoo.get(name).extent
    return "precision" if z < 0.03 and y < 0.06 else "power"


def placeholder_target(name: str) -> np.ndarray:
    g = _GRASPS[grasp_type(name)]
    out = np.zeros(len(scene.JOINTS), np.float32)
    for i, joint in enumerate(scene.JOINTS):
        if joint in g:
            out[i] = g[joint]
        elif joint[:2] in ("FF", "MF", "RF", "LF"):
            out[i] = g[joint[-2:]]
    return out


def load_targets(names) -> np.ndarray:
    """(len(names), 30) target poses."""
    return np.stack([placeholder_target(n) for n in names])
