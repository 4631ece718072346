"""One writer per run directory, and a lock that a killed process cannot leave behind."""

import json
import os
import signal
import subprocess
import sys

import jax
import numpy as np
import pytest
from test_ppo import SMALL, _params, _rows, small_config, straight_run  # noqa: F401  (a fixture)

from dexvip_jax import training
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import RunLock

HOLD = """
import sys, time
from dexvip_jax.files import RunLock
with RunLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_second_writer_is_refused_while_the_first_holds_the_directory(tmp_path):
    out = str(tmp_path / "run")
    with RunLock(out):
        with pytest.raises(ConfigError, match=f"in use by process {os.getpid()}; wait for it"):
            training.train(small_config(total_steps=64), out, progress=False)
    assert not os.path.exists(os.path.join(out, "checkpoints"))  # the refused run wrote nothing
    training.train(small_config(total_steps=64), out, progress=False)  # free again once released
    assert os.listdir(os.path.join(out, "checkpoints"))


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    out = str(tmp_path / "run")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, out], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=f"in use by process {holder.pid}"):
            RunLock(out).__enter__()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with RunLock(out):  # the kernel dropped the dead process's lock
        pass


def test_a_checkpoint_refuses_a_world_whose_scene_changed(tmp_path, monkeypatch, capsys):
    from dexvip_jax.cli import main
    from dexvip_jax.envs import scene

    out = str(tmp_path / "run")
    training.train(small_config(total_steps=64), out, progress=False)
    assert main(["eval", "--checkpoint", out, "--episodes", "1", "--json"]) == 0  # the same world loads
    capsys.readouterr()
    monkeypatch.setattr(scene, "TABLE_COLLIDERS", scene.TABLE_COLLIDERS[:-1])  # one contact pair fewer
    scene.compile_object.cache_clear()
    try:
        assert main(["eval", "--checkpoint", out, "--episodes", "1"]) == 2
    finally:
        monkeypatch.undo()
        scene.compile_object.cache_clear()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "trained in another world: its pairs differ" in err[0]
    assert "gone: C_thdistal|table_top" in err[0] and "retrain" in err[0]


# Runs `dexvip train ARGS` and SIGKILLs itself while finalising the checkpoint of step N: every
# item of it written into Orbax's temporary directory, its atomic rename not yet done.
KILL_IN_CHECKPOINT = """
import os, signal, sys
from orbax.checkpoint._src.path import atomicity
finalize = atomicity.AtomicRenameTemporaryPath.finalize
async def killing_finalize(self, *args, **kwargs):
    if os.path.basename(str(self._final_path)) == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)
    return await finalize(self, *args, **kwargs)
atomicity.AtomicRenameTemporaryPath.finalize = killing_finalize
from dexvip_jax.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _train_args(out: str) -> list[str]:
    """`dexvip train` with the straight run's config, ending in ``--out out``."""
    return ["train", "--preset", "cpu", "--total-steps", str(4 * 64), *[a for kv in SMALL for a in ("--set", kv)], "--out", out]


def test_a_kill_inside_a_checkpoint_write_resumes_to_the_uninterrupted_run(straight_run, tmp_path):
    out = str(tmp_path / "run")
    args = _train_args(out)
    killed = subprocess.run([sys.executable, "-c", KILL_IN_CHECKPOINT, "4", *args], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-500:]
    ckpts = os.path.join(out, "checkpoints")
    assert [d for d in os.listdir(ckpts) if "tmp" in d], os.listdir(ckpts)  # the half-written checkpoint is there ...
    from dexvip_jax import checkpoint

    assert checkpoint.finished_steps(ckpts) == [2]  # ... and is not a finished one
    from dexvip_jax.cli import main

    assert main(args[:-2] + ["--resume", out]) == 0
    for x, y in zip(jax.tree.leaves(_params(straight_run)), jax.tree.leaves(_params(out))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    train_rows = lambda run: [r["update"] for r in _rows(run) if "loss/policy" in r]  # noqa: E731
    assert train_rows(out) == train_rows(straight_run) == [1, 2, 3, 4]  # none lost, none twice


# Runs `dexvip ARGS` with the disk reported as holding only N free bytes.
DISK_NEARLY_FULL = """
import collections, shutil, sys
usage = collections.namedtuple("usage", "total used free")
shutil.disk_usage = lambda path: usage(10**12, 10**12 - int(sys.argv[1]), int(sys.argv[1]))
from dexvip_jax.cli import main
sys.exit(main(sys.argv[2:]))
"""

# Runs `dexvip ARGS` under a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored): a write past the
# limit fails in the kernel as a full disk does.
UNDER_SIZE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from dexvip_jax.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _one_line_error(done, phrase: str) -> None:
    lines = [ln for ln in done.stderr.splitlines() if ln.strip() and not ln.startswith("train ")]  # the progress bar
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-800:]
    assert len(lines) == 1 and lines[0].startswith(phrase), lines


def test_a_full_disk_at_a_checkpoint_is_one_line_and_the_run_resumes_whole(straight_run, tmp_path):
    out = str(tmp_path / "run")
    args = _train_args(out)
    full = subprocess.run([sys.executable, "-c", DISK_NEARLY_FULL, "4096", *args], capture_output=True, text=True)
    _one_line_error(full, f"dexvip: error: the disk filled up (or hit a size limit) writing {out}")
    from dexvip_jax import checkpoint
    from dexvip_jax.cli import main

    assert os.listdir(os.path.join(out, "checkpoints")) == []  # not even a temporary directory
    assert main(args[:-2] + ["--resume", out]) == 0  # room again: nothing finished, so it starts over
    assert checkpoint.finished_steps(os.path.join(out, "checkpoints"))[-1] == 4
    for x, y in zip(jax.tree.leaves(_params(straight_run)), jax.tree.leaves(_params(out))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_a_full_disk_while_writing_a_file_is_one_line_and_leaves_nothing(tmp_path):
    src = tmp_path / "poses.json"
    rng = np.random.default_rng(0)
    src.write_text(json.dumps({"keypoints": (rng.normal(size=(4, 21, 3)) * 0.05).tolist()}))
    out = tmp_path / "prior.json"  # a prior is several kB; the limit lets 200 bytes through
    args = ["prior", "build", "--input", str(src), "--object", "mug", "--out", str(out), "--retarget", "angles"]
    full = subprocess.run([sys.executable, "-c", UNDER_SIZE_LIMIT, "200", *args], capture_output=True, text=True)
    _one_line_error(full, f"dexvip: error: the disk filled up (or hit a size limit) writing {out}")
    assert sorted(os.listdir(tmp_path)) == ["poses.json"]  # no prior, no temporary file


def test_a_nan_observation_and_reward_in_one_env_leave_the_update_finite_and_the_others_untouched():
    import dataclasses

    import jax.numpy as jnp

    from dexvip_jax import envs
    from dexvip_jax.envs.wrappers import Wrapper
    from dexvip_jax.ppo.train import make_train, settings_from

    class Poisoned(Wrapper):
        """Where ``info["poison"]`` is set, every observation float and the reward come out NaN."""

        def reset(self, rng, **kwargs):
            state = self.env.reset(rng, **kwargs)
            return state.replace(info={**state.info, "poison": jnp.zeros(())})

        def step(self, state, action):
            out = self.env.step(state, action)
            bad = state.info["poison"] > 0
            obs = jax.tree.map(lambda x: jnp.where(bad, jnp.nan, x) if jnp.issubdtype(x.dtype, jnp.floating) else x, out.obs)
            return out.replace(obs=obs, reward=jnp.where(bad, jnp.nan, out.reward),
                               info={**out.info, "poison": state.info["poison"]})

    cfg = small_config()
    trainer = make_train(settings_from(cfg), Poisoned(envs.load("grasp", **dataclasses.asdict(cfg.env))))
    clean = jax.jit(trainer.init)(jax.random.PRNGKey(0))
    info = {**clean.env_state.info, "poison": jnp.zeros(cfg.num_envs).at[0].set(1.0)}
    obs = jax.tree.map(lambda x: x.at[0].set(jnp.nan), clean.env_state.obs)  # env 0 starts NaN too
    poisoned = clean.replace(env_state=clean.env_state.replace(info=info, obs=obs))
    update = jax.jit(trainer.update)
    after, metrics = update(poisoned)
    assert float(metrics["nonfinite_inputs"]) >= 1
    for leaf in jax.tree.leaves((after.params, after.opt_state, after.obs_stats, after.ret_stats, after.ret_acc)):
        assert np.isfinite(np.asarray(leaf)).all()
    # The other envs lived the same steps as in an update with no NaN anywhere.
    reference, _ = update(clean.replace(env_state=clean.env_state.replace(info=info | {"poison": jnp.zeros(cfg.num_envs)})))
    for a, b in zip(jax.tree.leaves(after.env_state.pipeline_state), jax.tree.leaves(reference.env_state.pipeline_state)):
        np.testing.assert_array_equal(np.asarray(a)[1:], np.asarray(b)[1:])
