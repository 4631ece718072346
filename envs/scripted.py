"""Scripted open-loop actions: a reach-down-and-close used by tests, the camera sheet and the docs."""

from __future__ import annotations

import numpy as np


def hold_action(env) -> np.ndarray:
    """The action that keeps every target at the start pose."""
    return np.asarray(env.actions_for_targets(np.zeros((1, env.action_size), np.float32))[0])


def grasp_targets(env, steps: int) -> np.ndarray:
    """(steps, nu) joint targets: arm forward and pitched down, fingers closing from step 10."""
    lo, hi = env.mj_model.actuator_ctrlrange.T
    q = np.zeros((steps, env.action_size), np.float32)
    q[:, 2], q[:, 3] = 0.26, 0.225  # ARTz forward (m; far enough for the damped arm to reach every object), ARRx pitch (rad)
    q[10:, 6:] = (lo + 0.75 * (hi - lo))[6:]
    return np.clip(q, lo, hi)


def grasp_actions(env, steps: int) -> np.ndarray:
    """(steps, nu) actions of the scripted reach-down-and-close; touches most objects."""
    return np.asarray(env.actions_for_targets(grasp_targets(env, steps)))
