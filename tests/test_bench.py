"""The benchmarks' own claims: the raw rollout replays the env's physics, the GPU check's dry run
fills every section."""

import json
import os
import subprocess
import sys

import jax
import mujoco
import mujoco.rollout
import numpy as np
import pytest

from dexvip_jax import bench, envs
from dexvip_jax.envs.wrappers import wrap_for_training

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_raw_rollout_replays_the_envs_physics():
    """``train_to_raw`` divides by a rollout of the same physics: from a batch's state, the raw
    inputs give the qpos that stepping the env's physics with the same actions gives (up to the
    env's float32 state)."""
    env = envs.load("grasp", backend="mujoco", objects="mug,hammer,apple")
    n, steps = 6, 4
    state = jax.jit(wrap_for_training(env, n).reset)(jax.random.PRNGKey(0))
    actions = jax.random.uniform(jax.random.PRNGKey(1), (steps, n, env.action_size), minval=-1.0, maxval=1.0)
    models, state0, control = bench.raw_rollout_inputs(env, state, actions)
    assert [m is env.physics.models[o] for m, o in zip(models, np.asarray(state.info["obj"]))] == [True] * n
    assert len({id(m) for m in models}) > 1  # several objects in the batch: each env its own model
    with mujoco.rollout.Rollout(nthread=1) as r:
        raw, _ = r.rollout(models, [mujoco.MjData(models[0])], state0, control, nstep=steps * env.physics.substeps)

    @jax.jit
    def physics_only(state, actions):
        def body(carry, a):
            data, ctrl = carry
            ctrl = jax.vmap(env.ctrl_for_action)(a, ctrl)
            return (jax.vmap(env.physics.step)(state.info["obj"], data, ctrl), ctrl), None

        return jax.lax.scan(body, (state.pipeline_state, state.info["ctrl"]), actions)[0][0]

    data = physics_only(state, actions)
    moved = np.abs(raw[:, -1, 1:1 + env.physics.nq] - state0[:, 1:1 + env.physics.nq]).max()
    assert moved > 0.01  # the random targets move the hand: the comparison is not of a resting state
    np.testing.assert_allclose(raw[:, -1, 1:1 + env.physics.nq], np.asarray(data.qpos), atol=2e-3)


@pytest.mark.slow
def test_gpu_check_dry_run_fills_every_section(tmp_path):
    """``benchmarks/gpu_check.sh --dry-run``: the device script at tiny sizes, so it cannot rot."""
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("OUT", None)
    done = subprocess.run(["bash", "benchmarks/gpu_check.sh", "--dry-run", "--budget-s", "1e9", "--out", str(tmp_path)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = tmp_path.glob("gpu_check_dry_run_*.json")
    sections = json.loads(path.read_text())["sections"]
    assert [r["env_steps_per_s"] > 0 for r in sections["env"]["result"]] == [True]
    train = sections["train_gpu_preset"]["result"]  # the gpu preset's settings, at tiny sizes
    assert train["preset"] == "gpu" and train["num_envs"] == 4 and train["train_steps_per_s"] > 0
    (sweep,) = sections["sweep"]["result"]
    assert sweep["k"] == 2 and sweep["speedup"] > 0
    warp = sections["warp"]
    assert "skipped" in warp.get("result", {}) or warp["result"]["warp_env_steps_per_s"] > 0
