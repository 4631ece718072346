"""DexVIP's reward terms as pure functions of ``Features`` (no simulator needed to test them).

Every term is unweighted; the env returns ``reward = sum(weights[k] * terms[k])`` with ``weights``
a pytree of JAX scalars carried in the env state, so a sweep over weights is one ``vmap``.
Conventions follow the paper (shared/reference/dexvip_facts.md).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from dexvip_jax.envs import scene
from dexvip_jax.envs.features import Features

HOLD_STEPS = 50  # the paper's success: the object held for all of the last 50 steps of an episode
TERMS = ("succ", "reach", "lift", "aff", "pose", "pose_match", "touch", "com")


@dataclasses.dataclass(frozen=True)
class RewardParams:
    """Static thresholds of the terms (config, not swept)."""

    touch_gate: float = 0.3  # share of the 21 touch sensors that counts as a grasp contact
    aff_threshold: float = 0.05  # m; Chamfer distance at or below it costs nothing
    com_threshold: float = 0.05  # m; palm-to-centre-of-mass distance at or below it costs nothing
    lift_height: float = 0.02  # m: the centre of mass this far above its rest height counts as lifted
    lift_target: float = 0.10  # m: the ``lift`` term's full height
    # m: palm-to-centre-of-mass distance at which ``reach`` falls to 0.24. About the start pose's
    # distance (~0.27 m), so reaching pays from the first step: at 0.1 m the term was flat beyond
    # ~15 cm, and a cpu-preset run that learned the reach only late ended at 1.8% (README).
    reach_scale: float = 0.3
    pose_scale: float = 0.5  # rad: weighted mean joint error at which ``pose_match`` falls to 0.24
    finger_weights: tuple[float, float, float, float] = (1.0, 0.75, 0.5, 0.25)  # root -> tip


def chamfer(a: jax.Array, b: jax.Array) -> jax.Array:
    """Symmetric mean nearest-neighbour distance between point sets (n, 3) and (m, 3)."""
    d = jnp.linalg.norm(a[:, None] - b[None], axis=-1)
    return 0.5 * (d.min(axis=1).mean() + d.min(axis=0).mean())


def pose_joint_weights(finger_weights) -> jax.Array:
    """Weights over the 30 joints for the pose error: arm 0 (its pose is free), wrist 1, finger
    joints by distance from the tip: J0 -> tip weight ... J3 and the metacarpal J4 -> root weight."""
    root, *_ = finger_weights
    w = []
    for name in scene.JOINTS:
        if name.startswith("AR"):
            w.append(0.0)
        elif name.startswith("WR"):
            w.append(1.0)
        else:
            j = int(name[-1])  # FFJ3 .. FFJ0; LFJ4 / THJ4 also at the root
            w.append(root if j >= 3 else finger_weights[3 - j])
    return jnp.array(w)


def pose_error(joint_angles: jax.Array, target_pose: jax.Array, finger_weights) -> jax.Array:
    """Weighted mean absolute joint error to the target pose (``pose_joint_weights``)."""
    w = pose_joint_weights(finger_weights)
    return jnp.sum(w * jnp.abs(joint_angles - target_pose)) / jnp.sum(w)


def posture(pose_err: jax.Array, open_err: jax.Array) -> jax.Array:
    """Posture in [0, 100]: 100 * max(0, 1 - e / e_open), ``e`` the weighted joint error to the
    target pose (``pose_error``) and ``e_open`` that of the open start pose. 100 is the target
    pose, 0 no closer than the open hand. The paper's normalisation is unpublished; this is ours."""
    return 100.0 * jnp.maximum(0.0, 1.0 - pose_err / jnp.maximum(open_err, 1e-6))


def touching(f: Features, p: RewardParams) -> jax.Array:
    return f.touch.mean() >= p.touch_gate


def held(f: Features, rest_height: jax.Array, p: RewardParams) -> jax.Array:
    """The grasp condition, the one definition that the reward, the evaluator and the oracle use:
    a hand geom touches the object, the object touches no table, and its centre of mass is more
    than ``lift_height`` above where it rested. An object knocked onto the floor, resting on the
    table, or thrown up without the hand is not held."""
    lifted = f.obj_com[2] - rest_height > p.lift_height
    return f.hand_obj_contact & ~f.obj_table_contact & lifted


def terms(f: Features, target_pose: jax.Array, rest_height: jax.Array, p: RewardParams) -> dict[str, jax.Array]:
    """All unweighted terms for one env. ``target_pose``: (30,) joint targets (arm entries unused);
    ``rest_height``: the object's centre-of-mass height when the episode began."""
    height = jnp.clip((f.obj_com[2] - rest_height) / p.lift_target, 0.0, 1.0)
    c = chamfer(f.hand_points, f.aff_points)
    pose_err = pose_error(f.joint_angles, target_pose, p.finger_weights)
    palm = f.hand_points[scene.PALM_POINT]
    com_dist = jnp.linalg.norm(palm - f.obj_com)
    gate = touching(f, p)
    return {
        "succ": held(f, rest_height, p).astype(jnp.float32),
        "reach": 1.0 - jnp.tanh(com_dist / p.reach_scale),
        "lift": jnp.where(f.hand_obj_contact, height, 0.0),
        "aff": -jnp.where(c > p.aff_threshold, c, 0.0),
        "pose": jnp.where(gate, -pose_err, 0.0),
        # The same error as a bounded reward, (0, 1] while the gate is open: the paper's main text
        # calls R_pose "a positive reward when the pose matches"; its appendix, a penalty (``pose``).
        "pose_match": jnp.where(gate, 1.0 - jnp.tanh(pose_err / p.pose_scale), 0.0),
        "touch": gate.astype(jnp.float32),
        "com": -jnp.maximum(com_dist - p.com_threshold, 0.0),
    }


def total(weights: dict[str, jax.Array], t: dict[str, jax.Array]) -> jax.Array:
    """The reward: sum over terms of weight times term (weights missing a term count as 0)."""
    return sum(weights[k] * t[k] for k in TERMS if k in weights)
