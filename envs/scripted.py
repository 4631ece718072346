"""Scripted open-loop actions: a reach-down-and-close used by tests, the camera sheet and the docs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from dexvip_jax.envs import grasp_plan as gp
from dexvip_jax.envs import scene


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


# -- touch sensing's known answers -------------------------------------------------------------

# Each case: (object, what the hand does). The states are real physics on either backend, and
# their answers are known before a sensor is read: see ``touch_cases``.
TOUCH_CASES = {
    "no_contact": "soda_can",  # the open hand at its start pose, high above the object
    "palm_on_box": "soda_can",  # the open hand lowered flat onto the can's top (a box face) until its palm presses
    "pinch": "soda_can",  # the oracle's three-finger pinch (index, middle, ring tips; thumb tip), lifted
    "power": "flashlight",  # a fist closed around a lying cylinder under the palm, lifted
}
# A fist: each finger's three flexion joints near their 1.57 rad limit, the thumb turned across
# the palm and bent (THJ0 bends negative); spread joints straight.
FIST = {f"{f}J{i}": 1.5 for f in ("FF", "MF", "RF", "LF") for i in (2, 1, 0)} | {"THJ4": 1.0, "THJ3": 1.2, "THJ0": -1.0}
ANCHOR = {"palm_on_box": "Tch_palm", "power": "Tch_mfproximal"}  # the hand point placed over the object's centre
PRESS = {"palm_on_box": 0.01, "power": 0.0}  # m the placed hand point's target lies below the object's top
TOUCH_READ_STEP = 150  # control step whose touch sensors a case reads (a lift ends by step 140)


def touch_cases(env) -> dict[str, tuple[int, np.ndarray]]:
    """Per case of ``TOUCH_CASES``: (object index in ``env.config.objects``, (TOUCH_READ_STEP + 1, nu)
    actions from the start pose, yaw 0). ``env.config.objects`` must hold the cases' objects."""
    c = env.config
    length, nj = TOUCH_READ_STEP + 1, len(scene.JOINTS)
    lo, hi = env.mj_model.actuator_ctrlrange.T
    out = {}
    for case, name in TOUCH_CASES.items():
        m = scene.compile_object(name, c.object_mass, c.physics)
        d = gp.start(m, 0.0)
        body = m.body("object").id
        centre, ahead = d.xipos[body].copy(), np.array([0.0, 1.0, 0.0])
        home = np.zeros(nj)
        if case == "no_contact":
            targets = np.zeros((length, nj))
        elif case == "pinch":
            targets, _ = gp.plan(m, 0.0, length, c.substeps, c.lift_height, length, c.max_target_step)
        else:
            q = home.copy()
            if case == "power":  # the thumb turned to oppose first
                q[scene.JOINTS.index("THJ4")] = FIST["THJ4"]
            anchor = ANCHOR[case]
            placed = gp.place_palm(m, d, q, anchor, centre, ahead, gp.top_at(m, d, centre) - PRESS[case])
            above = placed.copy()
            above[1] += 0.06
            keys = [home, above, placed]
            if case == "power":
                fist = placed.copy()
                for j, v in FIST.items():
                    fist[scene.JOINTS.index(j)] = v
                lifted = fist.copy()
                lifted[1] += 0.15
                keys += [fist, fist, lifted]
            targets = gp.path_through(keys, [30, 30, 30, 10, 30][: len(keys) - 1], length, c.max_target_step)
        out[case] = (c.objects.index(name), np.asarray(env.actions_for_targets(np.clip(targets, lo, hi).astype(np.float32))))
    return out


def run_touch_cases(env) -> dict[str, dict[str, np.ndarray]]:
    """Each of ``touch_cases`` simulated on ``env`` (one batched program): per case, at
    ``TOUCH_READ_STEP``, ``touch`` (21,) the sensors active, ``held`` the grasp predicate, and
    ``contact`` (18,) which hand colliders touch the object, read from MuJoCo's own contact list of
    the final joint state (the sensors' ground truth, independent of the sensor pipeline)."""
    cases = touch_cases(env)
    objs = jnp.asarray([o for o, _ in cases.values()], jnp.int32)
    actions = jnp.stack([jnp.asarray(a) for _, a in cases.values()], axis=1)  # (T, cases, nu)

    @jax.jit
    def rollout(objs, actions):
        s = jax.vmap(lambda o: env.reset_to(o, jnp.float32(0.0)))(objs)
        s = jax.lax.scan(lambda s, a: (jax.vmap(env.step)(s, a), None), s, actions)[0]
        f = jax.vmap(env.features)(objs, s.pipeline_state)
        return f.touch, s.metrics["held"], s.pipeline_state.qpos

    touch, held, qpos = (np.asarray(x) for x in rollout(objs, actions))
    out = {}
    for i, (case, name) in enumerate(TOUCH_CASES.items()):
        m = scene.compile_object(name, env.config.object_mass, env.config.physics)
        d = mujoco.MjData(m)
        d.qpos[:] = qpos[i]
        mujoco.mj_forward(m, d)
        body = m.body("object").id
        touching = {int(g) for c in d.contact[: d.ncon] for g in (c.geom1, c.geom2)
                    if body in (m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2])}
        contact = np.array([m.geom(g).id in touching for g in scene.HAND_COLLIDERS])
        out[case] = {"touch": touch[i] > 0.5, "held": bool(held[i] > 0), "contact": contact}
    return out
