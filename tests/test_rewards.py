"""Reward terms: signs, zero cases, gating, gradients; weights select terms exactly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dexvip_jax import envs, rewards
from dexvip_jax.envs import scene
from dexvip_jax.envs.features import Features
from dexvip_jax.experiments import methods

P = rewards.RewardParams()


def feats(**kw) -> Features:
    base = dict(hand_points=jnp.zeros((21, 3)), aff_points=jnp.zeros((20, 3)), touch=jnp.zeros(21),
                joint_angles=jnp.zeros(30), joint_vel=jnp.zeros(30), obj_pos=jnp.zeros(3),
                obj_quat=jnp.array([1.0, 0, 0, 0]), obj_com=jnp.zeros(3), hand_obj_contact=jnp.array(False),
                obj_table_contact=jnp.array(True), nonfinite=jnp.array(False))
    base.update(kw)
    return Features(**base)


def touch_frac(share):
    n = int(round(share * 21))
    return jnp.zeros(21).at[:n].set(1.0)


def test_chamfer_is_symmetric_zero_on_identical_sets_and_known_on_a_shift():
    a = jax.random.normal(jax.random.PRNGKey(0), (21, 3))
    b = jax.random.normal(jax.random.PRNGKey(1), (20, 3))
    assert rewards.chamfer(a, b) == pytest.approx(float(rewards.chamfer(b, a)), rel=1e-6)
    assert float(rewards.chamfer(a, a)) == 0.0
    assert float(rewards.chamfer(a[:1], a[:1] + jnp.array([0.3, 0.4, 0.0]))) == pytest.approx(0.5)


def test_aff_is_zero_within_threshold_negative_beyond_and_pulls_the_hand_in():
    aff = jnp.tile(jnp.array([[0.0, 0.0, 0.1]]), (20, 1))
    near = feats(hand_points=aff[:1].repeat(21, 0) + 0.02, aff_points=aff)  # 0.035 m away
    far = feats(hand_points=aff[:1].repeat(21, 0) + jnp.array([0.2, 0, 0]), aff_points=aff)
    t = lambda f: rewards.terms(f, jnp.zeros(30), 0.0, P)  # noqa: E731
    assert float(t(near)["aff"]) == 0.0
    assert float(t(far)["aff"]) == pytest.approx(-0.2, abs=1e-6)
    grad = jax.grad(lambda h: t(feats(hand_points=h, aff_points=aff))["aff"])(far.hand_points)
    assert (grad[:, 0] < 0).all()  # reward rises as the hand moves back (-x) toward the affordance


def test_pose_is_gated_on_touch_zero_at_target_and_weighs_roots_over_tips():
    target = jnp.zeros(30).at[scene.JOINTS.index("FFJ2")].set(0.8)
    t = lambda f: rewards.terms(f, target, 0.0, P)["pose"]  # noqa: E731
    off = jnp.zeros(30)  # 0.8 rad off on FFJ2
    assert float(t(feats(joint_angles=off, touch=touch_frac(0.2)))) == 0.0  # under 30% touch: no term
    gated = float(t(feats(joint_angles=off, touch=touch_frac(0.4))))
    assert gated < 0
    assert float(t(feats(joint_angles=target, touch=touch_frac(0.4)))) == 0.0
    arm_moved = target.at[:6].set(0.5)  # the arm's pose is free
    assert float(t(feats(joint_angles=arm_moved, touch=touch_frac(0.4)))) == 0.0
    root = target.at[scene.JOINTS.index("MFJ3")].add(0.3)
    tip = target.at[scene.JOINTS.index("MFJ0")].add(0.3)
    assert float(t(feats(joint_angles=root, touch=touch_frac(0.4)))) == pytest.approx(
        4 * float(t(feats(joint_angles=tip, touch=touch_frac(0.4)))))  # weights 1.0 vs 0.25


def test_pose_match_is_the_same_error_as_a_bounded_reward_gated_on_touch():
    target = jnp.zeros(30).at[scene.JOINTS.index("FFJ2")].set(0.8)
    t = lambda q, frac: rewards.terms(feats(joint_angles=q, touch=touch_frac(frac)), target, 0.0, P)  # noqa: E731
    assert float(t(jnp.zeros(30), 0.2)["pose_match"]) == 0.0  # under 30% touch: no term
    assert float(t(target, 0.4)["pose_match"]) == 1.0
    errs = [0.3, 1.0, 3.0]  # rad on FFJ2, worse and worse
    vals = [float(t(target.at[scene.JOINTS.index("FFJ2")].add(e), 0.4)["pose_match"]) for e in errs]
    assert 1.0 > vals[0] > vals[1] > vals[2] > 0.0
    penalty = float(t(target.at[scene.JOINTS.index("FFJ2")].add(1.0), 0.4)["pose"])
    assert vals[1] == pytest.approx(1.0 - np.tanh(-penalty / P.pose_scale), rel=1e-5)  # one error, two forms


def test_touch_succ_lift_and_com_terms():
    t = lambda f, rest=0.0: rewards.terms(f, jnp.zeros(30), rest, P)  # noqa: E731
    assert float(t(feats(touch=touch_frac(0.29)))["touch"]) == 0.0
    assert float(t(feats(touch=touch_frac(0.33)))["touch"]) == 1.0
    off_table = feats(hand_obj_contact=jnp.array(True), obj_table_contact=jnp.array(False))
    assert float(t(off_table)["succ"]) == 0.0  # touched and off the table, but not lifted: not held
    lifted = off_table.replace(obj_com=jnp.array([0, 0, 0.08]))
    assert float(t(lifted, rest=0.05)["succ"]) == 1.0 and float(t(lifted, rest=0.07)["succ"]) == 0.0
    assert float(t(lifted.replace(obj_table_contact=jnp.array(True)), rest=0.05)["succ"]) == 0.0
    assert float(t(lifted.replace(hand_obj_contact=jnp.array(False)), rest=0.05)["succ"]) == 0.0
    assert float(t(lifted, rest=0.05)["lift"]) == pytest.approx(0.3)  # 3 of the 10 cm lift target
    assert float(t(lifted, rest=-0.1)["lift"]) == 1.0  # bounded
    assert float(t(lifted.replace(hand_obj_contact=jnp.array(False)), rest=0.05)["lift"]) == 0.0
    palm = scene.PALM_POINT
    close = feats(hand_points=jnp.zeros((21, 3)).at[palm].set(jnp.array([0.04, 0, 0])))
    far = feats(hand_points=jnp.zeros((21, 3)).at[palm].set(jnp.array([0.15, 0, 0])))
    assert float(t(close)["com"]) == 0.0
    assert float(t(far)["com"]) == pytest.approx(-0.10, abs=1e-6)
    at_com = feats(hand_points=jnp.zeros((21, 3)), obj_com=jnp.zeros(3))
    assert float(t(at_com)["reach"]) == 1.0
    assert float(t(far)["reach"]) == pytest.approx(1 - np.tanh(0.5), abs=1e-6)  # bounded in (0, 1]


def test_weights_select_terms_exactly():
    f = feats(hand_obj_contact=jnp.array(True), obj_table_contact=jnp.array(False), touch=touch_frac(0.5),
              hand_points=jnp.ones((21, 3)))
    t = rewards.terms(f, jnp.full(30, 0.3), 0.0, P)
    only_succ = {k: jnp.float32(k == "succ") for k in rewards.TERMS}
    assert float(rewards.total(only_succ, t)) == float(t["succ"])
    w = methods.weights("dexvip")
    shaping = methods.SHAPING["reach"] * t["reach"] + methods.SHAPING["lift"] * t["lift"]
    assert float(rewards.total(w, t)) == pytest.approx(float(t["succ"] + t["aff"] + t["pose_match"] + shaping))
    with pytest.raises(Exception, match="unknown method 'foo'"):
        methods.weights("foo")


def test_env_reward_is_the_weighted_sum_of_its_logged_terms():
    env = envs.load("grasp", backend="mujoco", objects="mug,apple")
    state = jax.jit(env.reset)(jax.random.PRNGKey(0))
    weights = {k: jnp.float32(v) for k, v in zip(rewards.TERMS, (1.0, 0.7, 0.5, 2.0, 1.0, 0.6, 0.25, 3.0), strict=True)}
    state = state.replace(info={**state.info, "reward_weights": weights})
    step = jax.jit(env.step)
    for i in range(20):
        state = step(state, jnp.full(env.action_size, 0.3 * np.sin(i)))
        expected = sum(weights[k] * state.metrics[f"reward/{k}"] for k in rewards.TERMS)
        assert float(state.reward) == pytest.approx(float(expected), rel=1e-6, abs=1e-7)
    assert float(state.metrics["reward/aff"]) < 0 and float(state.metrics["reward/com"]) < 0  # the hand is away
