"""Evaluation metrics with known answers, the external force, and `dexvip eval` on a tiny run."""

import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_ppo import _params, small_config

from dexvip_jax import config, envs, training
from dexvip_jax.cli import main
from dexvip_jax.evaluate import FORCE_STEPS, episode_metrics, group_means, summarize
from dexvip_jax.rewards import HOLD_STEPS
from dexvip_jax.ppo.train import make_train, settings_from

T = 200


def metrics(grasp, forced=None, chamfer=0.01, err=0.0, err_open=1.0):
    forced = np.ones(6 * FORCE_STEPS, bool) if forced is None else forced
    return {k: float(v) for k, v in episode_metrics(jnp.asarray(grasp), jnp.asarray(forced), chamfer, err, err_open).items()}


def test_a_grasp_held_for_the_last_50_steps_is_a_success():
    held = np.zeros(T, bool)
    held[-HOLD_STEPS:] = True
    assert metrics(held)["success"] == 1.0
    slipped = held.copy()
    slipped[-10] = False  # let go once near the end
    assert metrics(slipped)["success"] == 0.0
    assert metrics(np.zeros(T, bool))["success"] == 0.0


def test_a_force_that_pulls_the_object_free_fails_stability():
    held = np.ones(T, bool)
    assert metrics(held)["stability"] == 1.0
    pulled = np.ones(6 * FORCE_STEPS, bool)
    pulled[4 * FORCE_STEPS + 7:] = False  # lost during the +z phase
    out = metrics(held, pulled)
    assert out["success"] == 1.0 and out["stability"] == 0.0


def test_functionality_needs_the_hand_on_the_affordance_region_and_posture_is_normalised():
    held = np.ones(T, bool)
    assert metrics(held, chamfer=0.0)["functionality"] == 1.0
    assert metrics(held, chamfer=0.2)["functionality"] == 0.0
    assert metrics(np.zeros(T, bool), chamfer=0.0)["functionality"] == 0.0  # not a grasp
    assert metrics(held, err=0.0)["posture"] == 100.0  # final pose = target
    assert metrics(held, err=0.5, err_open=1.0)["posture"] == pytest.approx(50.0)
    assert metrics(held, err=2.0, err_open=1.0)["posture"] == 0.0  # worse than the open hand


def test_touch_and_gate_shares_are_means_over_held_steps_only():
    held = np.zeros(T, bool)
    held[100:] = True
    touch = np.where(np.arange(T) < 100, 1.0, 0.5)  # all sensors before the grasp, half while held
    gate = (np.arange(T) >= 150).astype(np.float32)  # open on the last 50 of the 100 held steps
    out = episode_metrics(jnp.asarray(held), jnp.ones(6 * FORCE_STEPS, bool), 0.0, 0.0, 1.0, 0.05,
                          jnp.asarray(touch), jnp.asarray(gate))
    assert float(out["touch_share"]) == pytest.approx(0.5) and float(out["gate_open_share"]) == pytest.approx(0.5)
    never = episode_metrics(jnp.zeros(T, bool), jnp.ones(6 * FORCE_STEPS, bool), 0.0, 0.0, 1.0, 0.05,
                            jnp.asarray(touch), jnp.asarray(gate))
    assert np.isnan(float(never["touch_share"]))  # no held step: no figure, not 0
    table = summarize({"touch_share": np.array([0.5, np.nan, np.nan, np.nan]), "success": np.array([1.0, 0, 0, 0])},
                      np.array([0, 0, 1, 1]), ["mug", "apple"])
    assert table["mug"]["touch_share"] == pytest.approx(50.0) and table["apple"]["touch_share"] is None
    assert table["overall"]["touch_share"] == pytest.approx(50.0)  # the objects that held at all


def test_group_means_split_contactdb16_from_the_other_11():
    # mug and apple are ContactDB objects, jug and bottle are not: each group averages its own.
    table = {"mug": {"success": 80.0, "touch_share": None}, "apple": {"success": 40.0, "touch_share": 20.0},
             "jug": {"success": 10.0, "touch_share": None}, "bottle": {"success": 0.0, "touch_share": None}}
    split = group_means(table, ["mug", "apple", "jug", "bottle"])
    assert split["contactdb16"] == {"success": pytest.approx(60.0), "touch_share": pytest.approx(20.0)}
    assert split["extra11"] == {"success": pytest.approx(5.0), "touch_share": None}
    assert set(group_means(table, ["mug"])) == {"contactdb16"}  # a group with no object is left out


def test_object_force_moves_the_object_in_its_direction():
    env = envs.load("grasp", backend="mujoco", objects="mug")
    state = env.reset_to(jnp.array(0), jnp.array(0.0))
    step = jax.jit(lambda s, f: env.step(s, jnp.zeros(env.action_size), f))
    up, side = state, state
    for _ in range(10):
        up = step(up, jnp.array([0.0, 0.0, 30.0]))  # three times the 1 kg object's weight
        side = step(side, jnp.array([20.0, 0.0, 0.0]))  # beats friction (mu 1, 9.8 N normal)
    com = lambda s: env.features(s.info["obj"], s.pipeline_state).obj_com  # noqa: E731
    assert float(com(up)[2] - com(state)[2]) == pytest.approx(0.5 * 20.19 * 0.1**2, rel=0.1)  # (30 - g) / 1 kg
    assert float(up.metrics["obj_table_contact"]) == 0.0
    assert float(com(side)[0] - com(state)[0]) > 0.005  # pushed along +x


def test_dexvip_eval_on_a_trained_run(tmp_path, capsys):
    run = str(tmp_path / "run")
    training.train(small_config(total_steps=2 * 64), run, progress=False)
    out = str(tmp_path / "eval")
    assert main(["eval", "--checkpoint", run, "--episodes", "2", "--force", "3", "--out", out, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    table = result["objects"]
    assert set(table) == {"mug", "apple", "overall"} and result["force_newtons"] == 3.0
    for name in ("mug", "apple"):
        r = table[name]
        assert 0 <= r["stability"] <= r["success"] <= 100 and 0 <= r["functionality"] <= r["success"]
        assert 0 <= r["posture"] <= 100
    assert table["overall"]["posture"] == pytest.approx((table["mug"]["posture"] + table["apple"]["posture"]) / 2)
    assert os.path.exists(os.path.join(out, "eval.json")) and "| overall |" in open(os.path.join(out, "eval.md")).read()
    assert main(["eval", "--checkpoint", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_render_refuses_formats_it_cannot_write(tmp_path, capsys):
    assert main(["render", "--checkpoint", str(tmp_path), "--object", "mug", "--out", str(tmp_path / "a.avi")]) == 2
    assert "write a .gif or an .mp4" in capsys.readouterr().err and not os.path.exists(tmp_path / "a.avi")


def test_pixel_training_updates_the_cnn_and_evaluates(tmp_path, capsys):
    """`dexvip train --obs pixels` end to end: the visual encoder learns, the run evaluates."""
    run = str(tmp_path / "pixels")
    assert main(["train", "--preset", "cpu", "--objects", "mug,apple", "--num-envs", "8", "--obs", "pixels",
                 "--total-steps", str(2 * 64), "--set", "unroll_length=8", "--set", "ppo.num_minibatches=2",
                 "--set", "eval_envs=2", "--set", "env.episode_length=20", "--set", "env.demo_start=0", "--set", "ppo.hidden=32,32", "--out", run, "--json"]) == 0
    capsys.readouterr()
    cfg = json.load(open(os.path.join(run, "config.json")))
    assert cfg["env"]["obs"] == "pixels"
    trained = _params(run)
    c = config.from_dict(cfg)
    fresh = jax.jit(make_train(settings_from(c), envs.load("grasp", **dataclasses.asdict(c.env))).init)(
        jax.random.PRNGKey(c.seed))
    conv = lambda s: np.asarray(s.params["params"]["visual_encoder"]["Conv_0"]["kernel"])  # noqa: E731
    assert conv(trained).shape == (8, 8, 5, 32)
    assert np.abs(conv(trained) - conv(fresh)).max() > 1e-6  # two updates moved the first conv layer
    assert main(["eval", "--checkpoint", run, "--episodes", "1", "--objects", "mug", "--noise", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["noise"] is True and 0 <= result["objects"]["mug"]["success"] <= 100
