"""PPO: GAE, loss signs, exact resume, determinism, multi-device, checkpoint errors."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dexvip_jax import config, envs, sweep, training
from dexvip_jax.cli import main
from dexvip_jax.errors import ConfigError
from dexvip_jax.evaluate import load_run
from dexvip_jax.ppo.lag import LaggedStep
from dexvip_jax.ppo.losses import gae, ppo_loss
from dexvip_jax.ppo.networks import ActorCritic, gaussian_log_prob
from dexvip_jax.ppo.train import make_train, next_gravity, settings_from

SMALL = ["num_envs=8", "unroll_length=8", "ppo.hidden=32,32", "ppo.num_minibatches=2",
         "env.objects=mug,apple", "checkpoint_every=2", "eval_envs=4", "env.episode_length=12",
         "env.demo_start=0",  # 12-step episodes: the oracle lifts nothing to start from
         "ppo.lr_decay=false"]  # runs here stop and resume with a larger total_steps, which stretches a decay


def small_config(**kw):
    return config.build("cpu", SMALL, **kw)


def test_gae_matches_a_hand_computed_case():
    g, lam = 0.9, 0.5
    r = jnp.array([1.0, 0.0, 2.0])
    v = jnp.array([0.5, 1.0, 1.5])
    nv = jnp.array([1.0, 1.5, 3.0])  # V of the obs each step ended in
    # Step 1 fails (no bootstrap, trace cut); step 2 is a time-limit end (bootstrap, trace cut).
    term, end = jnp.array([0.0, 1.0, 0.0]), jnp.array([0.0, 1.0, 1.0])
    adv, target = gae(r, v, nv, term, end, g, lam)
    d0, d1, d2 = 1 + g * 1.0 - 0.5, 0 - 1.0, 2 + g * 3.0 - 1.5
    expected = jnp.array([d0 + g * lam * d1, d1, d2])
    np.testing.assert_allclose(adv, expected, rtol=1e-6)
    np.testing.assert_allclose(target, expected + v, rtol=1e-6)


def _batch(net, params, key, advantage):
    obs = {"motor": jax.random.normal(key, (32, 5))}
    mean, log_std, value = net.apply(params, obs)
    action = mean + 0.3
    return {"obs": obs, "action": action, "logp": gaussian_log_prob(action, mean, log_std),
            "value": value, "advantage": jnp.full(32, advantage), "target": value + 1.0}


@pytest.mark.parametrize("advantage", [1.0, -1.0])
def test_policy_loss_sign_and_a_gradient_step_lowers_the_loss(advantage):
    net = ActorCritic(2, (16,))
    params = net.init(jax.random.PRNGKey(0), {"motor": jnp.zeros((1, 5))})
    batch = _batch(net, params, jax.random.PRNGKey(1), advantage)

    def loss(p):
        return ppo_loss(p, net.apply, batch, 0.2, 0.5, 0.0, True, False)

    (l0, m0), grads = jax.value_and_grad(loss, has_aux=True)(params)
    assert m0["loss/policy"] == pytest.approx(-advantage, rel=1e-5)  # ratio 1: -E[A]
    assert m0["loss/value"] == pytest.approx(0.5, rel=1e-5)  # targets one above the values
    stepped = jax.tree.map(lambda p, g: p - 1e-2 * g, params, grads)
    (l1, m1) = loss(stepped)
    assert l1 < l0
    # The step moves the taken actions' probability up for A > 0 and down for A < 0.
    mean, log_std, _ = net.apply(stepped, batch["obs"])
    dlogp = gaussian_log_prob(batch["action"], mean, log_std) - batch["logp"]
    assert np.sign(float(dlogp.mean())) == np.sign(advantage)


def test_privileged_inputs_reach_the_critic_only():
    net = ActorCritic(2, (16,))
    obs = {"motor": jnp.ones((1, 5)), "privileged": jnp.zeros((1, 3))}
    params = net.init(jax.random.PRNGKey(0), obs)
    mean0, _, value0 = net.apply(params, obs)
    mean1, _, value1 = net.apply(params, {**obs, "privileged": jnp.ones((1, 3))})
    np.testing.assert_array_equal(mean0, mean1)
    assert float(value0[0]) != float(value1[0])


def test_entropy_bonus_lowers_the_loss():
    net = ActorCritic(2, (16,))
    params = net.init(jax.random.PRNGKey(0), {"motor": jnp.zeros((1, 5))})
    batch = _batch(net, params, jax.random.PRNGKey(1), 0.0)
    l0 = ppo_loss(params, net.apply, batch, 0.2, 0.5, 0.0, True, False)[0]
    l1 = ppo_loss(params, net.apply, batch, 0.2, 0.5, 0.01, True, False)[0]
    assert l1 < l0


def _params(out):
    """The whole TrainingState at the run's latest checkpoint."""
    return load_run(out)[2]


def _rows(out):
    with open(os.path.join(out, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("straight"))
    training.train(small_config(total_steps=4 * 64), out, progress=False)
    return out


def test_resume_continues_exactly(straight_run, tmp_path):
    out = str(tmp_path / "resumed")
    training.train(small_config(total_steps=2 * 64), out, progress=False)  # stop after 2 updates ...
    training.train(small_config(total_steps=4 * 64), out, resume=True, progress=False)  # ... resume to 4
    a, b = _params(straight_run), _params(out)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))  # params, optimiser, normaliser, env, rng
    # Training rows match (the stopped run's own end-of-run evaluation is an extra row).
    train_rows = lambda out: [r for r in _rows(out) if "loss/policy" in r]  # noqa: E731
    ra, rb = train_rows(straight_run), train_rows(out)
    assert [r["update"] for r in rb] == [r["update"] for r in ra]
    for x, y in zip(ra, rb):
        assert x.keys() == y.keys()
        assert all(x[k] == y[k] or (np.isnan(x[k]) and np.isnan(y[k])) for k in x if k != "steps_per_s")


def test_policy_lag_resumes_exactly(tmp_path):
    """``ppo.policy_lag``: the checkpoint carries the batch not yet learned from, so a lagged run
    stopped and resumed equals one that never stopped."""
    lag = {"ppo__policy_lag": True}
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    training.train(small_config(total_steps=4 * 64, **lag), straight, progress=False)
    training.train(small_config(total_steps=2 * 64, **lag), resumed, progress=False)
    training.train(small_config(total_steps=4 * 64, **lag), resumed, resume=True, progress=False)
    a, b = _params(straight), _params(resumed)
    assert a.pending is not None
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_policy_lag_learns_the_last_batch_while_the_same_policy_collects_the_next():
    cfg = small_config()
    trainer = make_train(settings_from(cfg), envs.load("grasp", **dataclasses.asdict(cfg.env)))
    state = jax.jit(trainer.init)(jax.random.PRNGKey(0), cfg.reward.as_jax())
    with LaggedStep(trainer) as lagged:
        primed = lagged.prime(state)
        with pytest.raises(ValueError, match="primed state"):
            lagged(state)
        after, metrics = lagged(primed)
    # What was learned is plain PPO's update on the pending batch ...
    alone, expected = jax.jit(trainer.learn)(primed.replace(pending=None), primed.pending)
    for x, y in zip(jax.tree.leaves(alone.params), jax.tree.leaves(after.params)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert float(metrics["loss/policy"]) == float(expected["loss/policy"])
    # ... while the next batch was collected with the policy before that update.
    new = after.pending

    def logp(params):
        mean, log_std, _ = trainer.network.apply(params, new["obs"])
        return np.asarray(gaussian_log_prob(new["action"], mean, log_std))

    np.testing.assert_allclose(logp(primed.params), np.asarray(new["logp"]), rtol=1e-5, atol=1e-5)
    assert np.abs(logp(after.params) - np.asarray(new["logp"])).max() > 1e-4
    assert int(after.env_steps) == cfg.steps_per_update  # one batch learned; two collected


def test_a_sweep_refuses_policy_lag(tmp_path):
    with pytest.raises(ConfigError, match="policy_lag"):
        sweep.sweep(small_config(ppo__policy_lag=True), {"pose": [0.5, 1.0]}, 1, str(tmp_path / "s"))


def test_same_seed_same_metrics(straight_run, tmp_path):
    out = str(tmp_path / "again")
    training.train(small_config(total_steps=4 * 64), out, progress=False)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "steps_per_s"} for r in rows]  # noqa: E731
    assert json.dumps(strip(_rows(out))) == json.dumps(strip(_rows(straight_run)))
    assert os.path.exists(os.path.join(out, "curve.png")) and os.listdir(os.path.join(out, "tb"))


def _damage(run: str, step: int) -> None:
    for root, _, files in os.walk(os.path.join(run, "checkpoints", str(step), "state")):
        for name in files:
            with open(os.path.join(root, name), "wb") as f:
                f.write(b"garbage")


def test_a_mismatched_checkpoint_is_a_clear_error(straight_run):
    with pytest.raises(ConfigError, match="another config .*ppo.learning_rate"):
        training.train(small_config(total_steps=8 * 64, ppo__learning_rate=1e-3), straight_run, resume=True,
                       progress=False)


def test_a_damaged_newest_checkpoint_falls_back_to_the_newest_intact_one(straight_run, tmp_path, capsys):
    broken = str(tmp_path / "broken")
    shutil.copytree(straight_run, broken)
    steps = sorted(int(d) for d in os.listdir(os.path.join(broken, "checkpoints")) if d.isdigit())
    assert steps == [2, 4]
    _damage(broken, 4)
    assert main(["eval", "--checkpoint", broken, "--episodes", "1", "--json"]) == 0  # evaluates step 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint step 4" in err[0] and "damaged; using step 2" in err[0]
    # Resuming redoes updates 3 and 4 from step 2 and ends exactly where the unbroken run ended.
    assert main(["train", "--resume", broken, "--total-steps", str(4 * 64), "--json"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged_checkpoints" in err[0]
    assert os.path.isdir(os.path.join(broken, "damaged_checkpoints", "4"))
    for x, y in zip(jax.tree.leaves(_params(straight_run)), jax.tree.leaves(_params(broken))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert [r["update"] for r in _rows(broken) if "loss/policy" in r] == [1, 2, 3, 4]  # none twice, none lost


def test_a_run_with_every_checkpoint_damaged_is_a_one_line_error(straight_run, tmp_path, capsys):
    broken = str(tmp_path / "broken")
    shutil.copytree(straight_run, broken)
    _damage(broken, 2)
    _damage(broken, 4)
    code = main(["train", "--resume", broken, "--total-steps", str(8 * 64)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "every checkpoint" in err[0] and "steps 4, 2" in err[0]


def test_train_refuses_to_overwrite_a_run(straight_run):
    with pytest.raises(ConfigError, match="already holds a run; pass --resume"):
        training.train(small_config(), straight_run, progress=False)


def test_set_overrides_are_typed_and_checked():
    cfg = config.build("cpu", ["ppo.hidden=64,32", "ppo.clip_value=false", "env.object_mass=none"])
    assert cfg.ppo.hidden == (64, 32) and cfg.ppo.clip_value is False and cfg.env.object_mass is None
    with pytest.raises(ConfigError, match="unknown config key 'ppo.lr'"):
        config.build("cpu", ["ppo.lr=1"])
    with pytest.raises(ConfigError, match="expected int"):
        config.build("cpu", ["num_envs=many"])
    with pytest.raises(ConfigError, match="must divide into"):
        config.build("cpu", ["num_envs=3", "unroll_length=3"])


def test_a_config_without_a_method_has_the_default_methods_whole_reward():
    # `dexvip train` without --method once trained succ + aff + the appendix's pose penalty with no
    # shaping, while its config said "dexvip": the label and the weights now agree.
    dexvip = config.RewardWeights.of("dexvip")
    assert dexvip.reach == 0.5 and dexvip.lift == 1.0 and dexvip.pose_match == 1.0 and dexvip.pose == 0.0
    assert config.build("cpu").reward == dexvip and config.TrainConfig().reward == dexvip
    assert config.build("cpu", method="graff").reward == config.RewardWeights.of("graff")


SHARD_SCRIPT = """
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=" + sys.argv[1]
import dataclasses, jax, numpy as np
from dexvip_jax import config, envs, training
from dexvip_jax.ppo.train import make_train, next_gravity, settings_from
cfg = config.build("cpu", sys.argv[2:])
tr = make_train(settings_from(cfg), envs.load("grasp", **dataclasses.asdict(cfg.env)))
state = training.shard_batch(jax.jit(tr.init)(jax.random.PRNGKey(0)), cfg.num_envs)
update = jax.jit(tr.update)
for _ in range(3):
    state, metrics = update(state)
assert len(state.env_state.pipeline_state.qpos.sharding.device_set) == int(sys.argv[1])
print("RESULT", *[float(np.abs(np.asarray(x)).sum()) for x in jax.tree.leaves(state.params)], float(metrics["loss/value"]))
"""


def test_two_device_sharded_run_equals_one_device(tmp_path):
    script = tmp_path / "shard.py"
    script.write_text(SHARD_SCRIPT)

    def run(devices):
        out = subprocess.run([sys.executable, str(script), str(devices), *SMALL], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT"))
        return np.array([float(v) for v in line.split()[1:]])

    np.testing.assert_allclose(run(2), run(1), rtol=1e-5)


def test_a_checkpoint_from_an_older_version_is_named_as_such(straight_run, tmp_path):
    old = str(tmp_path / "old")
    shutil.copytree(straight_run, old)
    latest = max(int(d) for d in os.listdir(os.path.join(old, "checkpoints")) if d.isdigit())
    meta = os.path.join(old, "checkpoints", str(latest), "config", "metadata")
    saved = json.load(open(meta))
    del saved["env"]["obs"]  # a config written before the field existed
    json.dump(saved, open(meta, "w"))
    with pytest.raises(ConfigError, match="older dexvip-jax .*env.obs.*retrain"):
        training.train(small_config(total_steps=8 * 64), old, resume=True, progress=False)


def test_gravity_curriculum_rises_linearly_to_full_weight(tmp_path):
    out = str(tmp_path / "run")
    training.train(small_config(total_steps=4 * 64, gravity_start=0.5, gravity_ramp_steps=128), out, progress=False)
    gravity = [r["curriculum/gravity"] for r in _rows(out) if "curriculum/gravity" in r]
    np.testing.assert_allclose(gravity, [0.5, 0.75, 1.0, 1.0])


def test_a_held_gravity_curriculum_waits_for_held_steps(tmp_path):
    """"held": a share no update reaches (these 12-step episodes of a fresh policy lift nothing)
    keeps the object at its start weight, where "steps" would have reached full weight."""
    out = str(tmp_path / "run")
    training.train(small_config(total_steps=4 * 64, gravity_start=0.5, gravity_ramp_steps=128,
                                gravity_curriculum="held", gravity_held_share=1.0), out, progress=False)
    gravity = [r["curriculum/gravity"] for r in _rows(out) if "curriculum/gravity" in r]
    np.testing.assert_allclose(gravity, [0.5, 0.5, 0.5, 0.5])


def test_next_gravity_steps_up_on_held_updates_and_down_on_others():
    """One update of 64 steps on a ramp of 128 from 0.5: +-0.25, within [0.5, 1]."""
    s = settings_from(small_config(gravity_start=0.5, gravity_ramp_steps=128, gravity_curriculum="held",
                                   gravity_held_share=0.1))
    step = lambda g, held: float(next_gravity(s, jnp.float32(g), jnp.float32(held), 64))  # noqa: E731
    assert [step(0.5, 0.1), step(0.75, 0.3), step(0.9, 0.2), step(0.75, 0.09), step(0.6, 0.0)] == [0.75, 1.0, 1.0, 0.5, 0.5]
    linear = settings_from(small_config(gravity_start=0.5, gravity_ramp_steps=128))
    assert float(next_gravity(linear, jnp.float32(0.7), jnp.float32(1.0), 64)) == pytest.approx(0.7)


@pytest.mark.parametrize("sets, message", [({"gravity_start": float("nan")}, "gravity_start"),
                                           ({"gravity_curriculum": "weight"}, "gravity_curriculum must be one of steps, held"),
                                           ({"gravity_held_share": 2.0}, "gravity_held_share must be a finite number in")])
def test_a_bad_gravity_curriculum_is_refused(sets, message):
    with pytest.raises(ConfigError, match=message):
        small_config(**sets)


def test_learning_rate_decays_to_zero_and_then_leaves_the_networks_alone():
    """``ppo.lr_decay`` over a one-update run: the first update moves the parameters, a second
    (learning rate 0) leaves every one exactly where it was."""
    cfg = small_config(ppo__lr_decay=True, total_steps=64)  # one update: 8 envs x 8 steps
    trainer = make_train(settings_from(cfg), envs.load("grasp", **dataclasses.asdict(cfg.env)))
    state = jax.jit(trainer.init)(jax.random.PRNGKey(0), cfg.reward.as_jax())
    update = jax.jit(trainer.update)
    first, _ = update(state)
    second, _ = update(first)
    moved = jax.tree.leaves(jax.tree.map(lambda a, b: bool(jnp.any(a != b)), state.params, first.params))
    assert any(moved)
    jax.tree.map(np.testing.assert_array_equal, first.params, second.params)
