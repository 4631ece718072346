"""DAPG: the demonstration term, behaviour cloning, demo files, and a tiny run end to end."""

import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import write_synthetic_demos
from test_ppo import SMALL, small_config

from dexvip_jax import dapg, envs
from dexvip_jax.cli import main
from dexvip_jax.envs import demos as demofile
from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError
from dexvip_jax.ppo.train import make_train, settings_from


@pytest.fixture(scope="module")
def setup():
    cfg = small_config(method="dapg")
    env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    return cfg, env, make_train(settings_from(cfg), env, dapg.demo_term(cfg.dapg))


@pytest.fixture(scope="module")
def demo_file(setup, tmp_path_factory):
    _, env, _ = setup
    return write_synthetic_demos(env, tmp_path_factory.mktemp("demos") / "demos.npz")


def _demos(setup, demo_file):
    cfg, env, _ = setup
    return dapg.demo_data(demofile.load(demo_file), cfg.env.objects, env.observation_size["motor"][0],
                          env.action_size)


def _nll(trainer, state, demos):
    from dexvip_jax.ppo.train import as_dict

    def normalize(stats, obs):
        return {k: stats[k].normalize(v) if k in stats else v for k, v in as_dict(obs).items()}

    every = jnp.arange(demos["obs"].shape[0])
    return -float(dapg.demo_log_prob(state.params, trainer.network.apply, normalize, state.obs_stats, demos, every))


def test_every_object_without_mocap_borrows_a_contactdb_object_of_like_shape():
    for o in zoo.CATALOGUE:
        src = zoo.get(dapg.source(o.name))
        assert src.group == "contactdb16"
        assert (src.name == o.name) == (o.group == "contactdb16")
    assert dapg.source("bottle") == "cup" and dapg.source("jug") == "mug" and dapg.source("saucepan") == "pan"


def test_with_lambda0_zero_dapg_is_plain_ppo(setup, demo_file):
    """Same state, same keys, same minibatches: bit for bit (a zero weight takes plain PPO's gradient)."""
    _, _, trainer = setup
    demos = _demos(setup, demo_file)
    s0 = jax.jit(trainer.init)(jax.random.PRNGKey(3), None, 0.0)
    update = jax.jit(trainer.update)
    plain, with_demos = s0, s0
    for _ in range(2):
        plain, m_plain = update(plain)
        with_demos, metrics = update(with_demos, demos)
    assert float(metrics["dapg/weight"]) == 0.0 and np.isfinite(float(metrics["loss/demo_log_prob"]))
    assert float(metrics["loss/policy"]) == float(m_plain["loss/policy"])
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(with_demos)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_behaviour_cloning_lowers_the_demonstrations_nll_and_only_where_asked(setup, demo_file):
    _, _, trainer = setup
    demos = _demos(setup, demo_file)
    s0 = jax.jit(trainer.init)(jax.random.PRNGKey(0), None, 0.01)
    clone = jax.jit(trainer.clone)
    cloned, m = clone(s0, demos)
    assert float(m["bc/demo_nll_after"]) < float(m["bc/demo_nll_before"]) - 1.0
    assert int(m["bc/steps"]) == 5 * 48 // 32  # 5 epochs of 48 samples (2 objects x 2 episodes x 12 steps) in batches of 32
    assert _nll(trainer, cloned, demos) == pytest.approx(float(m["bc/demo_nll_after"]), rel=1e-5)
    kept, _ = clone(s0, demos, False)  # a sweep's non-DAPG lane: untouched
    for a, b in zip(jax.tree.leaves(s0), jax.tree.leaves(kept)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_the_demonstration_term_pulls_the_policy_toward_the_demonstrations(setup, demo_file):
    """One PPO update from the same state: the larger lambda0, the likelier the demonstrated actions."""
    _, _, trainer = setup
    demos = _demos(setup, demo_file)
    update = jax.jit(trainer.update)
    nll = {}
    for lam in (0.0, 1.0):
        s0 = jax.jit(trainer.init)(jax.random.PRNGKey(1), None, lam)
        s1, m = update(s0, demos)
        assert float(m["dapg/weight"]) == pytest.approx(lam)  # lambda1^0 at the first update
        nll[lam] = _nll(trainer, s1, demos)
    assert nll[1.0] < nll[0.0]


def test_the_demonstration_weight_decays_as_lambda0_lambda1_to_the_k():
    w = [float(dapg.demo_weight(0.5, 0.9, k)) for k in range(4)]
    np.testing.assert_allclose(w, [0.5, 0.45, 0.405, 0.3645], rtol=1e-6)


def test_a_demo_file_that_does_not_fit_the_run_is_refused(setup, demo_file):
    cfg, env, _ = setup
    good = demofile.load(demo_file)
    m, a = env.observation_size["motor"][0], env.action_size

    def refuse(demos, objects, match):
        with pytest.raises(ConfigError, match=match):
            dapg.demo_data(demos, objects, m, a, path="d.npz")

    refuse({**good, "actions": good["actions"][..., :20]}, cfg.env.objects, "20 actions per step, the env takes 30")
    refuse(good, ("mug", "hammer"), "no successful demonstration of hammer")
    refuse(good, ("bottle",), "no successful demonstration of cup .the source for bottle")
    bad = good["obs"].copy()
    bad[0, 3, 1] = np.nan
    refuse({**good, "obs": bad}, cfg.env.objects, "NaN or inf")
    refuse({**good, "success": np.zeros_like(good["success"])}, cfg.env.objects, "no successful demonstration of mug")


def test_cli_refuses_a_mismatched_demo_file_with_one_line(demo_file, tmp_path, capsys):
    args = ["train", "--preset", "cpu", "--method", "dapg", "--objects", "mug,hammer", "--demos", demo_file,
            "--out", str(tmp_path / "run"), "--json"] + [x for s in SMALL if not s.startswith("env.objects")
                                                        for x in ("--set", s)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "hammer" in err and "dexvip oracle" in err
    assert not os.path.exists(tmp_path / "run")  # refused before anything was written


def test_a_tiny_dapg_run_clones_trains_and_evaluates(demo_file, tmp_path, capsys):
    out = str(tmp_path / "run")
    args = ["train", "--preset", "cpu", "--method", "dapg", "--total-steps", "192", "--demos", demo_file,
            "--out", out, "--json", "--set", "dapg.lambda0=0.5", "--set", "dapg.lambda1=0.9",
            "--set", "dapg.iteration_steps=128"]  # k = env steps / 128: 0, 0.5, 1 at updates 1-3 of 64 steps
    assert main(args + [x for s in SMALL for x in ("--set", s)]) == 0
    rows = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]
    bc = [r for r in rows if r["update"] == 0]
    assert "bc/demo_nll_after" in bc[0] and "eval/success" in bc[1]  # behaviour cloning alone, evaluated
    weights = [r["dapg/weight"] for r in rows if "dapg/weight" in r]
    np.testing.assert_allclose(weights, [0.5, 0.5 * 0.9 ** 0.5, 0.45], rtol=1e-6)
    assert "eval/success" in rows[-1] and rows[-1]["update"] == 3
    summary = json.loads(capsys.readouterr().out)
    assert summary["final"]["eval/success"] == rows[-1]["eval/success"]
