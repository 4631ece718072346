"""The action mapping and its inverse; the scripted grasp-and-lift oracle and its demonstrations."""

import json
import os

import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from dexvip_jax import envs, oracle
from dexvip_jax.cli import main
from dexvip_jax.envs import demos as demofile
from dexvip_jax.envs import scene
from dexvip_jax.envs.scripted import hold_action
from dexvip_jax.errors import ConfigError


@pytest.fixture(scope="module")
def env():
    return envs.load("grasp", backend="mujoco", objects="apple,soda_can")


@pytest.mark.parametrize("mode", ["relative", "absolute"])
def test_action_mapping_ends_zero_and_round_trip(mode):
    env = envs.load("grasp", backend="mujoco", objects="apple", actions=mode)
    m = env.mj_model
    lo, hi = m.actuator_ctrlrange.T
    start = env.ctrl0
    np.testing.assert_allclose(start, 0.0)  # the start pose: all joints zero
    np.testing.assert_allclose(env.ctrl_for_action(jnp.asarray(hold_action(env)), start), start, atol=1e-6)
    ends = (lo, hi) if mode == "absolute" else (np.maximum(lo, -env._ctrl_step), np.minimum(hi, env._ctrl_step))
    np.testing.assert_allclose(env.ctrl_for_action(-jnp.ones(30), start), ends[0], atol=1e-6)
    np.testing.assert_allclose(env.ctrl_for_action(jnp.ones(30), start), ends[1], atol=1e-6)
    if mode == "relative":
        np.testing.assert_array_equal(hold_action(env), 0.0)  # zero holds
        steps = {"ARTx": 0.01, "ARRx": 0.03, "WRJ0": 0.08, "FFJ2": 0.08}
        for name, size in steps.items():
            assert float(env._ctrl_step[scene.JOINTS.index(name)]) == pytest.approx(size)
    # the inverse: random actions from random reachable targets come back exactly
    rng = np.random.default_rng(0)
    ctrl = jnp.asarray(lo + (hi - lo) * rng.uniform(0.25, 0.75, (50, 30)), jnp.float32)  # steps stay in range
    a = jnp.asarray(rng.uniform(-1, 1, (50, 30)), jnp.float32)
    np.testing.assert_allclose(env.action_for_ctrl(env.ctrl_for_action(a, ctrl), ctrl), a, atol=2e-4)
    # a target sequence within the per-step range is followed exactly, from the start pose
    targets = np.cumsum(rng.uniform(-0.5, 0.5, (20, 30)) * np.asarray(env._ctrl_step), axis=0).clip(lo, hi)
    acts = env.actions_for_targets(jnp.asarray(targets, jnp.float32))
    ctrl, followed = start, []
    for step in acts:
        ctrl = env.ctrl_for_action(step, ctrl)
        followed.append(ctrl)
    np.testing.assert_allclose(np.array(followed), targets, atol=1e-5)
    # joints, actuators, targets and pose weights share scene.JOINTS' order
    assert [m.joint(m.actuator_trnid[i, 0]).name for i in range(m.nu)] == list(scene.JOINTS)
    assert [m.actuator(i).name for i in range(m.nu)] == ["A_" + j for j in scene.JOINTS]
    assert [m.joint(i).name for i in range(len(scene.JOINTS))] == list(scene.JOINTS)
    from dexvip_jax import rewards

    w = rewards.pose_joint_weights((1.0, 0.75, 0.5, 0.25))
    assert [float(x) for x in w[:6]] == [0.0] * 6 and float(w[scene.JOINTS.index("FFJ0")]) == 0.25


def test_oracle_lifts_and_holds_1kg_objects_through_env_step(env):
    """Known answer: the hand can lift these objects at the paper's 1 kg."""
    result = oracle.run(env, episodes=2)
    assert env.config.object_mass == 1.0
    for name in ("apple", "soda_can"):
        assert result["objects"][name]["success"] == 100.0, result["markdown"]
    assert all(r["height_above_rest"] > 0.02 for r in result["episodes"])  # lifted, not resting


def test_the_prior_grasp_lifts_with_the_whole_hand_and_opens_the_pose_gate(env):
    """Known answer: closing the whole hand toward the soda can's consensus pose lifts it with at
    least 30% of the touch sensors active (the pose reward's gate), where the fingertip pinch keeps
    the gate shut and ends further from the consensus pose."""
    prior, pinch = (oracle.run(env, episodes=2, grasp=g)["objects"]["soda_can"] for g in ("prior", "pinch"))
    assert prior["success"] == 100.0 and prior["gate_open_share"] >= 50.0, prior
    assert pinch["success"] == 100.0 and pinch["gate_open_share"] < 10.0, pinch
    assert prior["posture"] > pinch["posture"] + 10.0, (prior, pinch)


def test_oracle_command_writes_demonstrations_that_replay_to_the_same_success(tmp_path, env):
    out = str(tmp_path / "oracle")
    assert main(["oracle", "--objects", "apple,soda_can", "--episodes", "2", "--backend", "mujoco",
                 "--out", out]) == 0
    demos = demofile.load(os.path.join(out, "demos.npz"))
    e, t = demos["actions"].shape[:2]
    assert (e, t) == (4, env.config.episode_length) and demos["obs"].shape == (e, t, env.observation_size["motor"][0])
    assert demos["qpos"].shape == (e, t, env.mj_model.nq) and demos["held"].shape == (e, t)
    assert list(demos["object"]) == ["apple", "apple", "soda_can", "soda_can"]
    objs = np.array([list(env.config.objects).index(o) for o in demos["object"]])
    replayed = oracle.demonstrations(env, objs, demos["yaw"], demos["actions"])
    np.testing.assert_array_equal(replayed["success"], demos["success"])
    np.testing.assert_allclose(replayed["qpos"], demos["qpos"], atol=1e-5)
    report = json.load(open(os.path.join(out, "oracle.json")))
    assert report["objects"]["overall"]["success"] == 100.0 * demos["success"].mean()
    assert len(open(os.path.join(out, "episodes.jsonl")).readlines()) == e


def test_a_file_that_is_not_demonstrations_is_refused(tmp_path):
    path = str(tmp_path / "x.npz")
    np.savez(path, actions=np.zeros((1, 2, 30)))
    with pytest.raises(ConfigError, match="not a dexvip oracle demonstration file"):
        demofile.load(path)
    with pytest.raises(ConfigError, match="dexvip oracle --out"):
        demofile.load(str(tmp_path / "missing.npz"))


def test_planner_holds_check_agrees_with_the_env(env):
    """The planner's own contact-list check of "held" and the env's sensor predicate agree."""
    from dexvip_jax.envs import grasp_plan

    m = scene.compile_object("apple", 1.0, env.config.physics)
    targets, tried = grasp_plan.plan(m, 0.3, 200)
    assert grasp_plan.holds(m, 0.3, targets, 5, 0.02)
    demo = oracle.demonstrations(env, np.array([0]), np.array([0.3]), np.asarray(env.actions_for_targets(jnp.asarray(targets)))[None])
    assert demo["success"][0] and tried >= 1
    d = mujoco.MjData(m)
    assert d.qpos.shape[0] == demo["qpos"].shape[-1]


@pytest.fixture(scope="module")
def demos_path(tmp_path_factory, env):
    out = str(tmp_path_factory.mktemp("starts"))
    oracle.oracle(env.config, 2, 1.0, out)
    return os.path.join(out, "demos.npz")


def test_demonstration_starts_begin_at_recorded_states_and_a_held_start_stays_held(env, demos_path):
    """Known answers for the start curriculum: a reset lands exactly on a recorded state of its
    object, its rest height is the object's on the table, and a state the oracle held stays held
    under zero (hold) actions."""
    import jax

    starts = envs.load("grasp", backend="mujoco", objects="apple,soda_can", demo_start=1.0, start_states=demos_path)
    table = np.asarray(starts._starts["qpos"])
    states = jax.jit(jax.vmap(starts.reset))(jax.random.split(jax.random.PRNGKey(0), 8))
    plain = jax.vmap(env.reset_to)(states.info["obj"], states.info["yaw"])
    for i in range(8):
        row = np.flatnonzero(np.abs(table - np.asarray(states.pipeline_state.qpos[i])).max(axis=1) == 0)
        assert len(row) and int(starts._starts["obj"][row[0]]) == int(states.info["obj"][i])
    np.testing.assert_allclose(states.info["rest_height"], plain.info["rest_height"], atol=1e-6)
    fresh = starts.reset(jax.random.PRNGKey(0), demo_start=False)  # what evaluation draws: the start pose
    np.testing.assert_array_equal(fresh.pipeline_state.qpos[:30], 0.0)
    np.testing.assert_array_equal(fresh.info["ctrl"], starts.ctrl0)
    last = env.config.episode_length - 1  # each episode's final state: the oracle held it
    step = jax.jit(starts.step)
    for k in (last, table.shape[0] - 1):
        s = starts.reset_to(starts._starts["obj"][k], starts._starts["yaw"][k],
                            start=(True, starts._starts["qpos"][k], starts._starts["ctrl"][k]))
        held = []
        for _ in range(20):
            s = step(s, jnp.zeros(30))
            held.append(float(s.metrics["held"]))
        assert held == [1.0] * 20


def test_held_steps_keep_only_starts_up_to_that_many_steps_past_the_first_held_one(demos_path):
    demos = demofile.load(demos_path)
    ok = demos["success"] & np.isin(demos["object"], ("apple", "soda_can"))
    first = np.argmax(demos["held"][ok], axis=1)
    every = envs.load("grasp", backend="mujoco", objects="apple,soda_can", demo_start=0.5, start_states=demos_path)
    for n in (0, 5):
        kept = envs.load("grasp", backend="mujoco", objects="apple,soda_can", demo_start=0.5, start_states=demos_path,
                         demo_start_held_steps=n)
        assert kept._starts["qpos"].shape[0] == int(np.sum(first + n + 1))  # steps 0 .. first held + n
        # The kept rows are each episode's first ones, in order: the same states as with every step.
        np.testing.assert_array_equal(kept._starts["qpos"][: first[0] + n + 1], every._starts["qpos"][: first[0] + n + 1])
    with pytest.raises(ConfigError, match="demo_start_held_steps must be"):
        envs.load("grasp", backend="mujoco", objects="apple", demo_start=0.5, start_states=demos_path,
                  demo_start_held_steps=-1)


def test_demonstration_starts_refuse_a_missing_or_unfit_file(demos_path):
    with pytest.raises(ConfigError, match="env.start_states"):
        envs.load("grasp", backend="mujoco", objects="apple", demo_start=0.5)
    with pytest.raises(ConfigError, match="no successful episode of mug"):
        envs.load("grasp", backend="mujoco", objects="mug", demo_start=0.5, start_states=demos_path)
    with pytest.raises(ConfigError, match="env.demo_start"):
        envs.load("grasp", backend="mujoco", objects="apple", demo_start=1.5, start_states=demos_path)
