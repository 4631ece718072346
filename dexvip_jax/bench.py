"""Env throughput: env steps/s and compile time of the batched training env, plus MuJoCo C references.

Env steps/s counts control steps (each ``substeps`` physics steps) summed over the batch, measured
on a jitted ``lax.scan`` of the auto-resetting batched env with uniform random actions, after one
warm-up call (compile time is reported apart).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import resource
import tempfile
import time

import jax
import jax.numpy as jnp
import mujoco
import mujoco.rollout
import numpy as np

from dexvip_jax import config, envs, rewards
from dexvip_jax.envs import scene
from dexvip_jax.envs.wrappers import wrap_for_training
from dexvip_jax.ppo.lag import LaggedStep
from dexvip_jax.ppo.train import make_train, settings_from
from dexvip_jax.training import record_start_states


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
              nthread: int = 0, obs: str = "state", image_size: int = 64, shapes: str = "primitive") -> dict:
    """With ``obs="pixels"`` every env step also renders a frame; the camera alone is timed too."""
    env = envs.load("grasp", backend=backend, objects=objects, nthread=nthread, obs=obs, image_size=image_size,
                    shapes=shapes)
    rate, state = env_rate(env, num_envs, steps, seed)
    out = {"backend": backend, "num_envs": num_envs, "steps": steps, "objects": objects, "obs": obs, "shapes": shapes,
           "nthread": env.physics.nthread if backend == "mujoco" else None, **rate}
    if obs == "pixels":
        out.update(image_size=image_size, camera_frames_per_s=_camera_rate(env, state, steps))
    return out


def random_actions(env, num_envs: int, key: jax.Array) -> jax.Array:
    return jax.random.uniform(key, (num_envs, env.action_size), minval=-1.0, maxval=1.0)


def env_runner(env, num_envs: int, steps: int, seed: int = 0, episode_length: int | None = None):
    """A function timing ``steps`` of the batched training env (auto-reset, ``episode_length``)
    under uniform random actions: each call runs on from where the last ended and returns its
    seconds. Compile and warm-up happen here (their times are on the function)."""
    batched = wrap_for_training(env, num_envs, episode_length)

    def run(state, key):
        def body(s, k):
            s = batched.step(s, random_actions(env, num_envs, k))
            return s, s.reward.mean()

        return jax.lax.scan(body, state, jax.random.split(key, steps))

    key = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    box = {"state": jax.block_until_ready(jax.jit(batched.reset)(key)), "calls": 0}
    reset_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(box["state"], key).compile()
    compile_s = time.perf_counter() - t0

    def timed() -> float:
        box["calls"] += 1
        t0 = time.perf_counter()
        box["state"], rew = compiled(box["state"], jax.random.fold_in(key, box["calls"]))
        jax.block_until_ready(rew)
        return time.perf_counter() - t0

    timed()  # warm-up: thread pools, first callback
    timed.compile_s, timed.first_reset_s, timed.box = compile_s, reset_s, box
    return timed


def env_rate(env, num_envs: int, steps: int, seed: int = 0, episode_length: int | None = None):
    """(``env_steps_per_s``, ``compile_s``, ``first_reset_s``, ``run_s``) of ``env_runner``'s one
    timed call, and the batch's state after."""
    timed = env_runner(env, num_envs, steps, seed, episode_length)
    run_s = timed()
    return {"env_steps_per_s": num_envs * steps / run_s, "compile_s": timed.compile_s,
            "first_reset_s": timed.first_reset_s, "run_s": run_s}, timed.box["state"]


def raw_rollout_inputs(env, state, actions) -> tuple[list, np.ndarray, np.ndarray]:
    """What ``mujoco.rollout`` needs to replay the physics of ``actions`` (steps, envs, nu) from a
    batched ``state`` of the MuJoCo C env: each env's object model, its full physics state, and the
    actuator targets the actions set (the env's own mapping), held for each step's substeps."""
    physics, data = env.physics, state.pipeline_state

    def body(c, a):
        c = jax.vmap(env.ctrl_for_action)(a, c)
        return c, c

    ctrl = np.asarray(jax.jit(lambda c, a: jax.lax.scan(body, c, a)[1])(state.info["ctrl"], actions), np.float64)
    control = np.ascontiguousarray(np.repeat(ctrl.transpose(1, 0, 2), physics.substeps, axis=1))
    state0 = np.concatenate([np.asarray(data.time, np.float64)[:, None], np.asarray(data.qpos, np.float64),
                             np.asarray(data.qvel, np.float64)], axis=1)
    return [physics.models[o] for o in np.asarray(state.info["obj"])], state0, control


def raw_rollout_time(env, state, steps: int, seed: int = 0, per_step: bool = False) -> float:
    """Seconds of ``mujoco.rollout`` alone on what a batched ``state`` of the MuJoCo C env holds:
    each env's own object model and physics state, the env's threads, and the actuator targets of
    uniform random actions (what ``env_runner`` times), ``steps`` control steps in one call. No
    features, rewards, resets, callbacks or JAX: the physics limit. ``per_step``: one call per
    control step instead, as an env with a policy in the loop must make them."""
    n = state.info["obj"].shape[0]
    actions = jax.vmap(lambda k: random_actions(env, n, k))(jax.random.split(jax.random.PRNGKey(seed), steps))
    models, state0, control = raw_rollout_inputs(env, state, actions)
    sub = env.physics.substeps
    datas = [mujoco.MjData(env.physics.models[0]) for _ in range(env.physics.nthread)]
    with mujoco.rollout.Rollout(nthread=env.physics.nthread) as r:
        r.rollout(models, datas, state0, control[:, :sub], nstep=sub)  # warm-up
        t0 = time.perf_counter()
        if not per_step:
            r.rollout(models, datas, state0, control, nstep=steps * sub)
        else:
            now = state0
            for t in range(steps):
                now = r.rollout(models, datas, now, control[:, t * sub:(t + 1) * sub], nstep=sub)[0][:, -1]
        return time.perf_counter() - t0


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


def _trainer(preset, sets, start_states: str, seed: int, **overrides):
    """(config, env, trainer, initial state, seconds spent recording start states) for a benchmark."""
    if start_states:
        overrides = {**overrides, "env__start_states": start_states}
    cfg = config.build(preset, sets, **overrides)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = record_start_states(cfg, tmp)
        starts_s = time.perf_counter() - t0 if cfg.env.demo_start > 0 and not start_states else 0.0
        env = envs.load("grasp", **dataclasses.asdict(cfg.env))  # the start states are read here
    trainer = make_train(settings_from(cfg), env)
    state = jax.jit(trainer.init)(jax.random.PRNGKey(seed), cfg.reward.as_jax())
    return cfg, env, trainer, state, starts_s


def bench_train(preset: str | None = "cpu", updates: int = 10, sets=(), start_states: str = "", seed: int = 0,
                rounds: int = 3, **overrides) -> dict:
    """Training steps/s of ``preset`` (env + PPO update, ``updates`` timed after a first one), and in
    the same run the env alone and, on the MuJoCo C backend, the raw ``mujoco.rollout`` over the
    same envs, objects, threads and number of env steps: ``train_to_raw`` and ``env_to_raw`` say
    how much of the physics limit training and the env keep. The three are timed in turn,
    ``rounds`` times, and each rate is the median's. ``overrides`` as ``config.build``'s
    (``num_envs=256``, ``env__backend="mjx"``). A preset with demonstration starts and no
    ``start_states`` records them with the oracle first (``start_states_s``)."""
    cfg, env, trainer, state, starts_s = _trainer(preset, sets, start_states, seed, **overrides)
    t0 = time.perf_counter()
    lagged = LaggedStep(trainer) if cfg.ppo.policy_lag else None
    update = lagged or jax.jit(trainer.update)
    if lagged:
        state = lagged.prime(state)
    state, metrics = update(state)
    jax.block_until_ready(metrics)
    first = time.perf_counter() - t0
    steps = updates * cfg.unroll_length  # per env: the env alone and the raw rollout do as many
    compiled_env = env_runner(env, cfg.num_envs, steps, seed, cfg.env.episode_length)
    raw_rollout = cfg.env.backend == "mujoco"
    train_s, env_s, raw_s = [], [], []
    for _ in range(rounds):  # interleaved: a shared machine's speed drifts, and all three see the drift
        t0 = time.perf_counter()
        for _ in range(updates):
            state, metrics = update(state)
        jax.block_until_ready(metrics)
        train_s.append(time.perf_counter() - t0)
        env_s.append(compiled_env())
        if raw_rollout:
            raw_s.append(raw_rollout_time(env, state.env_state, steps, seed))
    if lagged:
        lagged.close()
    n = cfg.num_envs * steps
    train_rate, env_rate_ = n / float(np.median(train_s)), n / float(np.median(env_s))
    raw = n / float(np.median(raw_s)) if raw_rollout else None
    ratio = lambda x: None if raw is None else x / raw  # noqa: E731
    return {"preset": preset, "backend": cfg.env.backend, "obs": cfg.env.obs,
            "image_size": cfg.env.image_size if cfg.env.obs == "pixels" else None,
            "num_envs": cfg.num_envs, "unroll_length": cfg.unroll_length, "updates": updates,
            "objects": list(cfg.env.objects), "hidden": list(cfg.ppo.hidden), "epochs": cfg.ppo.epochs,
            "num_minibatches": cfg.ppo.num_minibatches, "policy_lag": cfg.ppo.policy_lag,
            "privileged": cfg.env.privileged,
            "demo_start": cfg.env.demo_start, "sets": list(sets),
            "nthread": env.physics.nthread if cfg.env.backend == "mujoco" else None,
            "train_steps_per_s": train_rate, "env_steps_per_s": env_rate_,
            "raw_rollout_steps_per_s": raw, "train_to_raw": ratio(train_rate), "env_to_raw": ratio(env_rate_),
            "rounds": rounds, "train_s": train_s, "env_s": env_s, "raw_rollout_s": raw_s,
            "time_to_first_update_s": first, "start_states_s": starts_s}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def profile_update(preset: str | None = "cpu", sets=(), start_states: str = "", seed: int = 0, reps: int = 5,
                   **overrides) -> dict:
    """Where one update's time goes: ``collect`` (the unroll: physics, env, policy inference) and
    ``learn`` (GAE, SGD epochs) timed apart, with the cores each keeps busy, the env alone and the
    raw rollout (in one call, and in one call per control step) over as many steps, and the update with a one-update policy lag (``ppo/lag.py``: both halves at
    once). Medians over ``reps``."""
    cfg, env, trainer, state, _ = _trainer(preset, sets, start_states, seed, **overrides)
    update, collect, learn = jax.jit(trainer.update), jax.jit(trainer.collect), jax.jit(trainer.learn)
    state, _ = jax.block_until_ready(update(state))
    _, traj = jax.block_until_ready(collect(state))
    compiled_env = env_runner(env, cfg.num_envs, cfg.unroll_length, seed, cfg.env.episode_length)
    lagged = LaggedStep(trainer)
    primed = lagged.prime(state)
    jax.block_until_ready(lagged(primed))
    parts = {"update": lambda: jax.block_until_ready(update(state)),
             "collect": lambda: jax.block_until_ready(collect(state)),
             "learn": lambda: jax.block_until_ready(learn(state, traj)),
             "env_alone": compiled_env, "lagged_update": lambda: jax.block_until_ready(lagged(primed))}
    if cfg.env.backend == "mujoco":  # the physics alone, in one call and in one call per control step
        parts["raw_one_call"] = lambda: raw_rollout_time(env, state.env_state, cfg.unroll_length, seed)
        parts["raw_per_step_calls"] = lambda: raw_rollout_time(env, state.env_state, cfg.unroll_length, seed, True)
    wall, busy = {k: [] for k in parts}, {k: [] for k in parts}
    for _ in range(reps):
        for k, fn in parts.items():
            t0, c0 = time.perf_counter(), cpu_seconds()
            took = fn()  # the env alone and the raw rollout time themselves (no set-up or warm-up)
            elapsed = time.perf_counter() - t0
            wall[k].append(took if isinstance(took, float) else elapsed)
            busy[k].append((cpu_seconds() - c0) / elapsed)
    lagged.close()
    ms = {k: 1000 * float(np.median(v)) for k, v in wall.items()}
    n = cfg.steps_per_update
    gflop = cfg.ppo.epochs * cfg.ppo.num_minibatches * minibatch_gradient_flops(trainer, traj, n // cfg.ppo.num_minibatches, state.params) / 1e9
    return {"preset": preset, "num_envs": cfg.num_envs, "unroll_length": cfg.unroll_length, "sets": list(sets),
            "epochs": cfg.ppo.epochs, "num_minibatches": cfg.ppo.num_minibatches, "reps": reps,
            "ms": ms, "cores_busy": {k: float(np.median(v)) for k, v in busy.items()},
            "steps_per_s": {k: n / (v / 1000) for k, v in ms.items()},
            "policy_inference_ms": ms["collect"] - ms["env_alone"],
            "lag_saves": 1.0 - ms["lagged_update"] / ms["update"],
            "sgd_gflop_per_update": gflop, "sgd_gflop_per_s": gflop / (ms["learn"] / 1000)}


def minibatch_gradient_flops(trainer, traj, size: int, params) -> float:
    """XLA's count of the floating-point operations in one minibatch's gradient through the
    networks (actor and critic; the loss's own arithmetic is negligible beside them)."""
    obs = {k: jnp.zeros((size,) + v.shape[2:], v.dtype) for k, v in traj["obs"].items()}
    loss = lambda p: sum(jnp.sum(x) for x in trainer.network.apply(p, obs))  # noqa: E731
    cost = jax.jit(jax.grad(loss)).lower(params).compile().cost_analysis()
    return float((cost[0] if isinstance(cost, (list, tuple)) else cost)["flops"])


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - t0


def bench_sweep(cfg, ks, updates: int, seed: int = 0) -> list[dict]:
    """Wall time of K configurations (each its own seed and pose weight) in one vmapped program
    against the single-configuration program run K times (compiled once, as a user looping over
    configurations with a cache would), for each K in ``ks``; compile times apart."""
    env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    trainer = make_train(settings_from(cfg), env)
    steps = updates * cfg.steps_per_update

    def weights(k):
        return {t: jnp.linspace(0.5, 1.5, k) if t == "pose" else jnp.full(k, getattr(cfg.reward, t), jnp.float32)
                for t in rewards.TERMS}

    def run(update, state):
        for _ in range(updates):
            state = update(state)[0]
        return state

    init1, update1 = jax.jit(trainer.init), jax.jit(trainer.update)
    state, _ = _timed(init1, jax.random.PRNGKey(seed), cfg.reward.as_jax())
    (state, _), compile1 = _timed(update1, state)
    _, run1 = _timed(run, update1, state)
    rows = []
    for k in ks:
        init_k, update_k = jax.jit(jax.vmap(trainer.init)), jax.jit(jax.vmap(trainer.update))
        state_k, _ = _timed(init_k, jax.random.split(jax.random.PRNGKey(seed), k), weights(k))
        (state_k, _), compile_k = _timed(update_k, state_k)
        _, run_k = _timed(run, update_k, state_k)
        rows.append({"k": k, "num_envs": cfg.num_envs, "one_program_s": run_k, "one_program_compile_s": compile_k,
                     "sequential_s": k * run1, "sequential_compile_s": compile1, "speedup": k * run1 / run_k,
                     "env_steps_per_config": steps, "steps_per_s_all_configs": k * steps / run_k})
    return rows
