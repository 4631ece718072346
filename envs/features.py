"""Sensor data -> ``Features``: the one pure-JAX function that serves both physics backends.

Everything the env observes or rewards is read here from MuJoCo sensors (touch, site frame
positions, object frame pose, geom contact counts) plus the object's own constants
(affordance points and centre of mass in its frame). Rewards are written against ``Features``
alone and can be tested without a simulator.
"""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp

from dexvip_jax.envs import scene

NUM_JOINTS = len(scene.JOINTS)
# Beyond these the physics has diverged even if still finite (MuJoCo C and MJX both blow up through
# huge finite values first; a policy hammering an object can trigger it). Joint angles stay below
# 2 rad, the object within a few metres (a floor 1 m down catches it), real speeds below 100.
MAX_ABS_QPOS = 10.0
MAX_ABS_QVEL = 1000.0


@flax.struct.dataclass
class Features:
    hand_points: jax.Array  # (21, 3) touch-site positions, world frame, scene.TOUCH_SITES order
    aff_points: jax.Array  # (20, 3) affordance points, world frame
    touch: jax.Array  # (21,) in {0, 1}: the sensor's volume feels a force and its collider touches the object
    joint_angles: jax.Array  # (30,)
    joint_vel: jax.Array  # (30,)
    obj_pos: jax.Array  # (3,) object frame origin (the bottom centre of its bounding box)
    obj_quat: jax.Array  # (4,) w, x, y, z
    obj_com: jax.Array  # (3,) centre of mass, world frame
    hand_obj_contact: jax.Array  # () bool: a hand collision geom touches an object geom
    obj_table_contact: jax.Array  # () bool: an object geom touches the table
    nonfinite: jax.Array  # () bool: the physics diverged (non-finite or beyond bounds; features zeroed)


def quat_rotate(q: jax.Array, v: jax.Array) -> jax.Array:
    """Rotate vectors ``v`` (..., 3) by unit quaternion ``q`` (w, x, y, z)."""
    w, u = q[0], q[1:]
    t = 2.0 * jnp.cross(u, v)
    return v + w * t + jnp.cross(u, t)


def features(qpos, qvel, sensordata, aff_local, com_local, layout: scene.SensorLayout,
             touch_threshold) -> Features:
    """Features of one env. ``aff_local`` (20, 3) and ``com_local`` (3,) are in the object frame."""
    finite = (jnp.isfinite(sensordata).all() & (jnp.abs(qpos) < MAX_ABS_QPOS).all()
              & (jnp.abs(qvel) < MAX_ABS_QVEL).all())  # NaN compares False: non-finite fails too
    qpos, qvel, s = (jnp.where(finite, x, 0.0) for x in (qpos, qvel, sensordata))
    quat = s[layout.obj_quat]
    quat = jnp.where(finite, quat, jnp.array([1.0, 0.0, 0.0, 0.0]))
    pos = s[layout.obj_pos]
    collider = s[layout.hand_obj].reshape(len(scene.HAND_COLLIDERS), -1).sum(-1) > 0.5  # (18,) touches the object
    on_object = jnp.asarray(scene.TOUCH_ON_COLLIDER) @ collider.astype(jnp.float32) > 0.5  # (21,) a sensor's collider does
    return Features(
        hand_points=s[layout.hand_points].reshape(-1, 3),
        aff_points=pos + quat_rotate(quat, aff_local),
        touch=((s[layout.touch] > touch_threshold) & on_object).astype(jnp.float32),
        joint_angles=qpos[:NUM_JOINTS],
        joint_vel=qvel[:NUM_JOINTS],
        obj_pos=pos,
        obj_quat=quat,
        obj_com=pos + quat_rotate(quat, com_local),
        hand_obj_contact=s[layout.hand_obj].sum() > 0.5,  # a contact sensor per (hand geom, object geom)
        obj_table_contact=s[layout.slot_table].sum() > 0.5,
        nonfinite=~finite,
    )


def motor_obs(f: Features) -> jax.Array:
    """GRAFF's motor vector: joint angles, velocities clipped to +-1, 9 hand points minus 20
    affordance points (9 x 20 x 3), touch activations: 30 + 30 + 540 + 21 = 621."""
    hand = f.hand_points[jnp.array(scene.OBS_HAND_POINTS)]
    offsets = hand[:, None, :] - f.aff_points[None, :, :]
    return jnp.concatenate([f.joint_angles, jnp.clip(f.joint_vel, -1.0, 1.0), offsets.reshape(-1), f.touch])
