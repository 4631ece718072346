"""Retarget a human hand pose to Adroit joint angles.

``ik``: inverse kinematics on the Adroit hand's own forward kinematics (MJX, from the scene's
MuJoCo model), optimised with optax: match each bone's direction and each fingertip's position
(human scaled to the Adroit hand) in the palm frame, within joint limits (a sigmoid maps free
parameters into each range) and with the distal-middle tendon coupling as a penalty.
``angles``: the paper's mapping, each joint angle read off the human keypoints directly.

Both return the 30-joint vector of ``scene.JOINTS`` (arm zeros; wrist joints zero, since 21
keypoints carry no forearm) and the palm orientation of the human pose (the arm rotation that
would bring the Adroit palm there) separately.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import optax

from dexvip_jax import quiet
from dexvip_jax.envs import scene
from dexvip_jax.prior import hand

# Adroit points matching the human keypoints, MediaPipe order (bodies at joints, sites at tips).
ADROIT_POINTS = (("body", "palm"),) + tuple(
    (kind, name) for chain in (
        (("body", "thbase"), ("body", "thhub"), ("body", "thdistal"), ("site", "S_thtip")),
        (("body", "ffknuckle"), ("body", "ffmiddle"), ("body", "ffdistal"), ("site", "S_fftip")),
        (("body", "mfknuckle"), ("body", "mfmiddle"), ("body", "mfdistal"), ("site", "S_mftip")),
        (("body", "rfknuckle"), ("body", "rfmiddle"), ("body", "rfdistal"), ("site", "S_rftip")),
        (("body", "lfknuckle"), ("body", "lfmiddle"), ("body", "lfdistal"), ("site", "S_lftip")),
    ) for kind, name in chain)
HAND_JOINTS = tuple(range(len(scene.ARM_JOINTS) + 2, len(scene.JOINTS)))  # 22 finger joints (no arm, no wrist)
FLEXION = tuple(scene.JOINTS.index(f"{f}J{j}") for f in ("FF", "MF", "RF", "LF") for j in (2, 1, 0))  # the fingers' bends
COUPLED = tuple((scene.JOINTS.index(f"{f}J0"), scene.JOINTS.index(f"{f}J1")) for f in ("FF", "MF", "RF", "LF"))
BONES = tuple((c[i - 1] if i else 0, c[i]) for c in hand.CHAINS.values() for i in range(4))


class AdroitHand:
    """Adroit forward kinematics in JAX, keypoints in the palm body's frame."""

    def __init__(self, model: mujoco.MjModel | None = None):
        mjx = quiet.mjx()
        self.mj = model or scene.compile_object("mug")
        self._mjx = mjx
        self.model = mjx.put_model(self.mj)
        self._ids = [(k, mujoco.mj_name2id(self.mj, mujoco.mjtObj.mjOBJ_BODY if k == "body" else mujoco.mjtObj.mjOBJ_SITE, n))
                     for k, n in ADROIT_POINTS]
        self.palm = mujoco.mj_name2id(self.mj, mujoco.mjtObj.mjOBJ_BODY, "palm")
        lo, hi = self.mj.jnt_range[: len(scene.JOINTS)].T
        self.lo, self.hi = jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32)

    def keypoints(self, q30: jax.Array) -> jax.Array:
        """(21, 3) Adroit keypoints in the palm frame for the 30 joint angles."""
        d = self._mjx.make_data(self.model)
        d = d.replace(qpos=d.qpos.at[: len(scene.JOINTS)].set(q30))
        d = self._mjx.kinematics(self.model, d)
        pts = jnp.stack([d.xpos[i] if k == "body" else d.site_xpos[i] for k, i in self._ids])
        return (pts - d.xpos[self.palm]) @ d.xmat[self.palm]


def _unit(v):
    return v / (jnp.linalg.norm(v, axis=-1, keepdims=True) + 1e-9)


def human_in_palm_frame(kp: np.ndarray, adroit_open: jax.Array) -> jax.Array:
    """Human keypoints expressed in the Adroit palm frame: palm-plane axes matched, wrist at the
    Adroit wrist, scaled so the wrist-to-middle-knuckle length equals the Adroit hand's."""
    human = hand.normalize(jnp.asarray(kp, jnp.float32))  # palm-plane frame, unit size
    r = hand.palm_frame(adroit_open)  # the same palm-plane construction on the Adroit points
    size = jnp.linalg.norm(adroit_open[9] - adroit_open[0])
    return adroit_open[0] + (human * size) @ r.T


@functools.lru_cache(maxsize=2)
def _ik_solver(steps: int, lr: float):
    fk = AdroitHand()
    open_pts = fk.keypoints(jnp.zeros(len(scene.JOINTS)))
    free = jnp.zeros(len(scene.JOINTS), bool).at[jnp.array(HAND_JOINTS)].set(True)

    def joints(theta):
        q = fk.lo + (fk.hi - fk.lo) * jax.nn.sigmoid(theta)
        return jnp.where(free, q, 0.0)

    def loss(theta, target):
        pts = fk.keypoints(joints(theta))
        dirs = jnp.stack([_unit(pts[c] - pts[p]) - _unit(target[c] - target[p]) for p, c in BONES])
        tips = pts[jnp.array(hand.TIPS)] - target[jnp.array(hand.TIPS)]
        q = joints(theta)
        coupling = jnp.stack([jnp.maximum(jnp.abs(0.00705 * q[j0] - 0.00805 * q[j1]) - 0.001, 0.0) for j0, j1 in COUPLED])
        return jnp.sum(dirs**2) + 100.0 * jnp.sum(tips**2) + 1e4 * jnp.sum(coupling**2)

    opt = optax.adam(lr)

    @jax.jit
    def solve(kp):
        target = human_in_palm_frame(kp, open_pts)
        theta0 = jnp.zeros(len(scene.JOINTS))  # sigmoid(0): mid-range

        def step(carry, _):
            theta, state = carry
            value, grad = jax.value_and_grad(loss)(theta, target)
            updates, state = opt.update(grad, state)
            return (optax.apply_updates(theta, updates), state), value

        (theta, _), values = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=steps)
        q = joints(theta)
        pts = fk.keypoints(q)
        return q, values[-1], pts, target

    return solve, fk


def ik(kp: np.ndarray, steps: int = 400, lr: float = 0.05) -> dict:
    """IK retargeting of one human pose (21, 3). Returns joints (30,), final loss, fingertip error (m)."""
    solve, _ = _ik_solver(steps, lr)
    q, value, pts, target = solve(jnp.asarray(kp, jnp.float32))
    tip_err = jnp.linalg.norm(pts[jnp.array(hand.TIPS)] - target[jnp.array(hand.TIPS)], axis=-1)
    return {"joints": np.asarray(q), "loss": float(value), "tip_error_m": np.asarray(tip_err),
            "palm_rotation": np.asarray(hand.palm_frame(jnp.asarray(kp, jnp.float32)))}


def angles(kp: np.ndarray) -> dict:
    """The paper's angle mapping: each finger joint's angle is the elevation/azimuth of its child
    bone in the parent's frame (palm frame for the root), clipped to the Adroit joint limits."""
    n = np.asarray(hand.normalize(jnp.asarray(kp, jnp.float32)))
    q = np.zeros(len(scene.JOINTS), np.float32)
    lo, hi = scene.compile_object("mug").jnt_range[: len(scene.JOINTS)].T

    def flex(a, b):  # angle from bone a to bone b about the finger's x axis
        return float(np.arctan2(np.linalg.norm(np.cross(a, b)), np.dot(a, b)))

    for finger, prefix in (("index", "FF"), ("middle", "MF"), ("ring", "RF"), ("pinky", "LF")):
        c = hand.CHAINS[finger]
        b1, b2, b3 = n[c[1]] - n[c[0]], n[c[2]] - n[c[1]], n[c[3]] - n[c[2]]
        q[scene.JOINTS.index(prefix + "J3")] = np.arctan2(b1[0], b1[2]) - hand.REST_YAW[finger]  # azimuth
        q[scene.JOINTS.index(prefix + "J2")] = np.arctan2(-b1[1], np.hypot(b1[0], b1[2]))  # elevation
        q[scene.JOINTS.index(prefix + "J1")] = flex(b1, b2)
        q[scene.JOINTS.index(prefix + "J0")] = flex(b2, b3)
    c = hand.CHAINS["thumb"]
    b1, b2, b3 = n[c[1]] - n[c[0]], n[c[2]] - n[c[1]], n[c[3]] - n[c[2]]
    q[scene.JOINTS.index("THJ4")] = np.arctan2(-b1[1], b1[0])  # swing of the thumb under the palm
    q[scene.JOINTS.index("THJ3")] = flex(np.array([1.0, 0, 0]), b1) - 0.5
    q[scene.JOINTS.index("THJ1")] = 0.0
    q[scene.JOINTS.index("THJ0")] = -flex(b2, b3)
    return {"joints": np.clip(q, lo, hi).astype(np.float32),
            "palm_rotation": np.asarray(hand.palm_frame(jnp.asarray(kp, jnp.float32)))}
