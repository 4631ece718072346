"""Scripted open-loop actions: a reach-down-and-close used by tests, the camera sheet and the docs."""

from __future__ import annotations

import numpy as np


def hold_action(env) -> np.ndarray:
    """The action whose ctrl is zero for every actuator: hold the start pose."""
    return np.asarray(env.action_for_ctrl(np.zeros(env.action_size, np.float32)))


def grasp_actions(env, steps: int) -> np.ndarray:
    """(steps, nu): arm lowest, forward, pitched down; fingers close from step 10. Touches most
    objects within a few steps."""
    a = np.tile(hold_action(env), (steps, 1))
    a[:, 1], a[:, 2], a[:, 3] = -1.0, 0.2, 0.3
    a[10:, 6:] = 0.5
    return a.astype(np.float32)
