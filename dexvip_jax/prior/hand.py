"""A human hand model in JAX: 21 keypoints (MediaPipe order) from joint angles.

Frame (shared with the Adroit palm frame, so no axis juggling later): origin at the wrist,
+z along the fingers, +x towards the thumb, the palm facing -y (a right hand). Flexion turns a
finger from +z towards -y (a positive rotation about the finger's +x), abduction spreads it
about the palm normal. Bone lengths and knuckle positions are adult anthropometric means (m).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

NUM_KEYPOINTS = 21
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
# MediaPipe: 0 wrist; then 4 per finger, root to tip, thumb first.
CHAINS = {f: tuple(range(1 + 4 * i, 5 + 4 * i)) for i, f in enumerate(FINGERS)}
TIPS = tuple(c[-1] for c in CHAINS.values())
# Per finger: root joint position (wrist frame) and the three bone lengths after it.
ROOTS = {
    "thumb": (0.022, -0.012, 0.028), "index": (0.024, 0.0, 0.086), "middle": (0.003, 0.0, 0.089),
    "ring": (-0.017, 0.0, 0.083), "pinky": (-0.034, 0.0, 0.075),
}
BONES = {
    "thumb": (0.043, 0.032, 0.026), "index": (0.040, 0.023, 0.018), "middle": (0.044, 0.027, 0.019),
    "ring": (0.041, 0.026, 0.019), "pinky": (0.033, 0.019, 0.017),
}
# Rest direction of each finger's first bone: fingers along +z, fanned a little; the thumb
# points out to +x and forward, below the palm plane.
REST_YAW = {"thumb": 0.9, "index": 0.08, "middle": 0.0, "ring": -0.08, "pinky": -0.16}  # rad about -y
REST_PITCH = {"thumb": 0.35, "index": 0.0, "middle": 0.0, "ring": 0.0, "pinky": 0.0}  # rad towards -y
# Angles per finger: (abduction, flexion at root, flexion at middle joint, flexion at last joint).
NUM_ANGLES = 4 * len(FINGERS)
OPEN = np.zeros(NUM_ANGLES, np.float32)


def rot_x(a):
    c, s = jnp.cos(a), jnp.sin(a)
    return jnp.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(a):
    c, s = jnp.cos(a), jnp.sin(a)
    return jnp.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def finger_points(name: str, angles: jax.Array) -> jax.Array:
    """(4, 3) keypoints of one finger (root joint, two middle joints, tip) in the wrist frame."""
    abd, f1, f2, f3 = angles
    # Yaw (spread) about the palm normal (-y), then pitch the chain towards the palm.
    base = rot_y(REST_YAW[name] + abd) @ rot_x(REST_PITCH[name])
    r = base @ rot_x(f1)
    p = jnp.asarray(ROOTS[name])
    pts = [p]
    for bone, flex in zip(BONES[name], (f2, f3, 0.0)):
        p = p + r @ jnp.array([0.0, 0.0, bone])
        pts.append(p)
        r = r @ rot_x(flex)
    return jnp.stack(pts)


def keypoints(angles: jax.Array, scale=1.0, rotation: jax.Array | None = None, translation=None) -> jax.Array:
    """(21, 3) keypoints from 20 angles; optional uniform scale, rotation matrix and translation."""
    angles = jnp.asarray(angles).reshape(len(FINGERS), 4)
    pts = jnp.concatenate([jnp.zeros((1, 3))] + [finger_points(f, angles[i]) for i, f in enumerate(FINGERS)])
    pts = pts * scale
    if rotation is not None:
        pts = pts @ jnp.asarray(rotation).T
    if translation is not None:
        pts = pts + jnp.asarray(translation)
    return pts


def palm_frame(kp: jax.Array) -> jax.Array:
    """Rotation whose columns are the palm frame's axes in the keypoints' frame (the paper's palm
    plane: wrist, index knuckle, ring knuckle). Works for any batch of (..., 21, 3)."""
    wrist, index, ring = kp[..., 0, :], kp[..., 5, :], kp[..., 13, :]
    z = (index + ring) / 2 - wrist
    z = z / jnp.linalg.norm(z, axis=-1, keepdims=True)
    across = index - ring  # towards the thumb side
    y = jnp.cross(z, across)  # back of the hand: the palm faces -y
    y = y / jnp.linalg.norm(y, axis=-1, keepdims=True)
    x = jnp.cross(y, z)
    return jnp.stack([x, y, z], axis=-1)


def normalize(kp: jax.Array) -> jax.Array:
    """Wrist-relative, palm-aligned, scale-normalised keypoints: invariant to global rotation,
    translation and hand size (scale: wrist to middle knuckle = 1)."""
    rel = kp - kp[..., :1, :]
    r = palm_frame(kp)
    local = jnp.einsum("...ij,...ki->...kj", r, rel)
    size = jnp.linalg.norm(rel[..., 9, :], axis=-1)[..., None, None]
    return local / size
