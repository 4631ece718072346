"""Env throughput: env steps/s and compile time of the batched training env, plus MuJoCo C references.

Env steps/s counts control steps (each ``substeps`` physics steps) summed over the batch, measured
on a jitted ``lax.scan`` of the auto-resetting batched env with uniform random actions, after one
warm-up call (compile time is reported apart).
"""

from __future__ import annotations

import os
import platform
import time

import jax
import mujoco
import mujoco.rollout
import numpy as np

from dexvip_jax import envs
from dexvip_jax.envs import scene
from dexvip_jax.envs.wrappers import wrap_for_training


def device_info() -> dict:
    """The machine a figure was measured on, for the JSON it goes into."""
    dev = jax.devices()[0]
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"platform": dev.platform, "device_kind": dev.device_kind, "num_devices": jax.device_count(),
            "cpu": cpu, "cpu_count": os.cpu_count(), "jax": jax.__version__, "mujoco": mujoco.__version__}


def bench_env(backend: str, num_envs: int, steps: int, objects: str = "all", seed: int = 0,
              nthread: int = 0, obs: str = "state", image_size: int = 64) -> dict:
    """With ``obs="pixels"`` every env step also renders a frame; the camera alone is timed too."""
    env = envs.load("grasp", backend=backend, objects=objects, nthread=nthread, obs=obs, image_size=image_size)
    batched = wrap_for_training(env, num_envs)

    def run(state, key):
        def body(s, k):
            a = jax.random.uniform(k, (num_envs, env.action_size), minval=-1.0, maxval=1.0)
            s = batched.step(s, a)
            return s, s.reward.mean()

        return jax.lax.scan(body, state, jax.random.split(key, steps))

    key = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    state = jax.jit(batched.reset)(key)
    jax.block_until_ready(state)
    reset_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(state, key).compile()
    compile_s = time.perf_counter() - t0
    state, _ = compiled(state, key)  # warm-up: thread pools, first callback
    jax.block_until_ready(state)
    t0 = time.perf_counter()
    state, rew = compiled(state, jax.random.fold_in(key, 1))
    jax.block_until_ready(rew)
    run_s = time.perf_counter() - t0
    out = {"backend": backend, "num_envs": num_envs, "steps": steps, "objects": objects, "obs": obs,
           "nthread": env.physics.nthread if backend == "mujoco" else None,
           "env_steps_per_s": num_envs * steps / run_s, "compile_s": compile_s, "first_reset_s": reset_s,
           "run_s": run_s}
    if obs == "pixels":
        out.update(image_size=image_size, camera_frames_per_s=_camera_rate(env, state, steps))
    return out


def _camera_rate(env, state, frames_per_env: int) -> float:
    """Frames/s of the egocentric camera alone, over the batch's current states."""
    obj, data = state.info["obj"], state.pipeline_state

    def run(data):
        def body(acc, i):  # the state moves by 1e-7 per frame, so no frame can be hoisted or reused
            px = jax.vmap(env.pixels)(obj, data.replace(qpos=data.qpos + 1e-7 * i))
            return acc + px.sum(dtype=np.int32), None

        return jax.lax.scan(body, np.int32(0), np.arange(frames_per_env))[0]

    compiled = jax.jit(run).lower(data).compile()
    jax.block_until_ready(compiled(data))
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(data))
    return obj.shape[0] * frames_per_env / (time.perf_counter() - t0)


def bench_mujoco_c(num_envs: int, steps: int, nthread: int, substeps: int = 5, seed: int = 0) -> dict:
    """References on the same scene (mug): one thread of ``mj_step`` in a Python loop, and raw
    ``mujoco.rollout`` over the batch with ``nthread`` threads, both in env steps/s."""
    m = scene.compile_object("mug")
    rng = np.random.default_rng(seed)
    lo, hi = m.actuator_ctrlrange.T
    d = mujoco.MjData(m)
    d.qpos[len(scene.JOINTS) + 3] = 1.0
    n = max(steps, 200)
    ctrl = rng.uniform(lo, hi, size=(n, m.nu))
    t0 = time.perf_counter()
    for i in range(n):
        d.ctrl[:] = ctrl[i]
        for _ in range(substeps):
            mujoco.mj_step(m, d)
    single = n / (time.perf_counter() - t0)

    state0 = np.zeros((num_envs, mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_FULLPHYSICS)))
    state0[:, 1 + len(scene.JOINTS) + 3] = 1.0
    controls = rng.uniform(lo, hi, size=(num_envs, steps * substeps, m.nu))
    datas = [mujoco.MjData(m) for _ in range(nthread)]
    with mujoco.rollout.Rollout(nthread=nthread) as r:
        r.rollout(m, datas, state0, controls[:, :substeps], nstep=substeps)  # warm-up
        t0 = time.perf_counter()
        r.rollout(m, datas, state0, controls, nstep=steps * substeps)
        batched = num_envs * steps / (time.perf_counter() - t0)
    return {"mujoco_c_single_thread_env_steps_per_s": single,
            "mujoco_rollout_env_steps_per_s": batched, "rollout_nthread": nthread}


def bench_train(backend: str, num_envs: int, updates: int, unroll_length: int = 32, objects: str = "all",
                hidden: tuple[int, ...] = (512, 512), seed: int = 0, obs: str = "state", image_size: int = 64) -> dict:
    """Training steps/s (env + PPO update) and the time from start to the first finished update."""
    import dataclasses

    from dexvip_jax import config
    from dexvip_jax.ppo.train import make_train, settings_from

    minibatches = 4 if num_envs * unroll_length <= 8192 else 32
    cfg = config.build(None, env__backend=backend, env__objects=objects, num_envs=num_envs,
                       unroll_length=unroll_length, ppo__hidden=hidden, ppo__num_minibatches=minibatches,
                       env__obs=obs, env__image_size=image_size)
    t0 = time.perf_counter()
    env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    trainer = make_train(settings_from(cfg), env)
    state = jax.jit(trainer.init)(jax.random.PRNGKey(seed))
    update = jax.jit(trainer.update)
    state, metrics = update(state)
    jax.block_until_ready(metrics)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(updates):
        state, metrics = update(state)
    jax.block_until_ready(metrics)
    run_s = time.perf_counter() - t0
    return {"backend": backend, "obs": obs, "image_size": image_size if obs == "pixels" else None,
            "num_envs": num_envs, "unroll_length": unroll_length, "updates": updates,
            "objects": objects, "hidden": list(hidden), "epochs": cfg.ppo.epochs,
            "num_minibatches": minibatches, "train_steps_per_s": updates * cfg.steps_per_update / run_s,
            "time_to_first_update_s": first, "run_s": run_s}
