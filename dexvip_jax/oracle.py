"""``dexvip oracle``: the scripted grasp-and-lift (``envs/grasp_plan.py``) run through ``env.step``,
scored by the evaluator's own protocol, and its episodes saved as demonstrations (``demos.npz``,
whose layout is in ``envs/demos.py``).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from dexvip_jax import envs, evaluate
from dexvip_jax.envs import demos as demos_lib
from dexvip_jax.envs import grasp_plan, render, scene
from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs.grasp import GraspConfig
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import write_json_atomic, write_text_atomic
from dexvip_jax.rewards import HOLD_STEPS


def plan_actions(env, objs: np.ndarray, yaws: np.ndarray, length: int, workers: int | None = None,
                 grasp: str = "pinch") -> np.ndarray:
    """(E, length, nu) actions that carry out the scripted grasp of each (object, yaw): ``grasp``
    "pinch" (fingertips), or "prior" (the whole hand closing toward the object's consensus pose, the
    env's pose-reward target); objects are planned in parallel worker processes (planning
    simulates candidate grasps on the CPU)."""
    if grasp not in grasp_plan.GRASPS:
        raise ConfigError(f"unknown grasp {grasp!r}; use {' or '.join(grasp_plan.GRASPS)}")
    c = env.config
    objs = np.asarray(objs)
    poses = np.asarray(env._targets, np.float64)
    jobs = [(c.objects[o], c.object_mass, c.physics, np.asarray(yaws)[objs == o], length, c.substeps,
             c.lift_height, c.episode_length, c.max_target_step, poses[o] if grasp == "prior" else None,
             c.touch_gate, c.touch_threshold) for o in np.unique(objs)]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers > 1:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that has started XLA
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            planned = list(pool.map(grasp_plan.plan_object, jobs))
    else:
        planned = [grasp_plan.plan_object(job) for job in jobs]
    targets = np.zeros((len(objs), length, len(scene.JOINTS)), np.float32)
    for o, rows in zip(np.unique(objs), planned):
        targets[objs == o] = rows
    return np.asarray(env.actions_for_targets(jnp.asarray(targets)))


def replay(params, obs_stats, obs, t):
    """The evaluator's policy for a table of planned actions: ``params`` is (E, T, nu)."""
    del obs_stats, obs
    return params[:, jnp.minimum(t, params.shape[1] - 1)]


def run(env, episodes: int, force: float = 1.0, grasp: str = "pinch") -> dict:
    """The oracle under the evaluation protocol: per-object table and per-episode records."""
    objs, yaws = evaluate.protocol(len(env.config.objects), episodes)
    length = env.config.episode_length + len(evaluate.DIRECTIONS) * evaluate.FORCE_STEPS
    actions = plan_actions(env, objs, yaws, length, grasp=grasp)
    evaluator, _ = evaluate.make_evaluator(env, replay, episodes, force, env.config.aff_threshold)
    per, records = jax.device_get(evaluator(jnp.asarray(actions), None))
    table = evaluate.summarize(per, objs, env.config.objects)
    return {"objects": table, "markdown": evaluate.markdown(table, env.config.objects),
            "episodes": evaluate.episode_records(per, records, env.config.objects, episodes),
            "actions": actions[:, : env.config.episode_length], "objs": objs, "yaws": yaws}


def backend_agreement(objects: str, episodes: int, grasp: str = "pinch", **env_options) -> dict:
    """Per-episode success and stability of the same planned actions (planned on MuJoCo C) replayed
    on MuJoCo C and on MJX; ``wall_s`` includes each backend's compile."""
    runs, actions = {}, None
    for backend in ("mujoco", "mjx"):
        env = envs.load("grasp", backend=backend, objects=objects, **env_options)
        objs, yaws = evaluate.protocol(len(env.config.objects), episodes)
        length = env.config.episode_length + len(evaluate.DIRECTIONS) * evaluate.FORCE_STEPS
        actions = plan_actions(env, objs, yaws, length, grasp=grasp) if actions is None else actions
        evaluator, _ = evaluate.make_evaluator(env, replay, episodes, 1.0)
        t0 = time.perf_counter()
        per, _ = jax.device_get(evaluator(jnp.asarray(actions), None))
        runs[backend] = {"success": per["success"].tolist(), "stability": per["stability"].tolist(),
                         "wall_s": time.perf_counter() - t0}
    same = np.mean(np.array(runs["mujoco"]["success"]) == np.array(runs["mjx"]["success"]))
    return {"objects": objects, "episodes_per_object": episodes, "grasp": grasp, **env_options,
            "success_agreement": float(same), **runs}


def backend_traces(objects: str, episodes: int, picks: list[int], grasp: str = "pinch", **env_options) -> dict:
    """Where the backends part on episodes ``picks`` of ``backend_agreement``'s plan (of ``episodes``
    yaws), replayed through ``env.step`` alone (no force phases, a batch of ``len(picks)``): per
    backend, whether the grasp held over the last ``HOLD_STEPS`` steps, the steps it did not hold
    once first held, and the object's height; and the largest joint-state gap over time."""
    traces, actions = {}, None
    for backend in ("mujoco", "mjx"):
        env = envs.load("grasp", backend=backend, objects=objects, **env_options)
        objs, yaws = evaluate.protocol(len(env.config.objects), episodes)
        if actions is None:
            actions = plan_actions(env, objs, yaws, env.config.episode_length, grasp=grasp)[picks]
        traces[backend] = demonstrations(env, objs[picks], yaws[picks], actions)
    out = []
    for i, e in enumerate(picks):
        row = {"episode": e}
        for backend, d in traces.items():
            held = d["held"][i]
            first = int(np.argmax(held)) if held.any() else None
            row[backend] = {"success": bool(d["success"][i]), "first_held": first,
                            "dropped_at": [] if first is None else [int(t) for t in np.flatnonzero(~held[first:]) + first],
                            "object_z_every_20": np.round(d["qpos"][i, ::20, len(scene.JOINTS) + 2], 4).tolist()}
        gap = np.abs(traces["mujoco"]["qpos"][i] - traces["mjx"]["qpos"][i]).max(axis=1)
        row["max_qpos_gap_every_20"] = np.round(gap[::20], 4).tolist()
        out.append(row)
    return {"objects": objects, "episodes_per_object": episodes, "grasp": grasp, **env_options, "episodes": out}


def demonstrations(env, objs: np.ndarray, yaws: np.ndarray, actions: np.ndarray) -> dict:
    """Replay ``actions`` (E, T, nu) from reset at (object, yaw) and record the episodes."""

    @jax.jit
    def rollout(objs, yaws, actions):
        state = jax.vmap(env.reset_to)(objs, yaws)

        def step(s, a):
            nxt = jax.vmap(env.step)(s, a)
            return nxt, (s.obs["motor"], nxt.reward, nxt.pipeline_state.qpos, nxt.metrics["held"] > 0)

        return jax.lax.scan(step, state, jnp.swapaxes(actions, 0, 1))[1]

    obs, rewards, qpos, held = (np.swapaxes(np.asarray(x), 0, 1)
                                for x in rollout(jnp.asarray(objs), jnp.asarray(yaws, jnp.float32), jnp.asarray(actions)))
    return {"obs": obs.astype(np.float32), "actions": np.asarray(actions, np.float32), "rewards": rewards,
            "qpos": qpos, "held": held, "object": np.array([env.config.objects[o] for o in objs]),
            "yaw": np.asarray(yaws, np.float32), "success": held[:, -HOLD_STEPS:].all(axis=1)}


def render_demo(demos_path: str, obj: str, path: str, yaw_deg: float = 90.0, every: int = 2) -> int:
    """A GIF or MP4 of the demonstration of ``obj`` whose yaw is nearest ``yaw_deg``, replayed from
    its recorded qpos; returns the number of frames."""
    render.check_video_path(path)
    demos = demos_lib.load(demos_path)
    name = zoo.get(obj).name
    rows = np.flatnonzero(demos["object"] == name)
    if not len(rows):
        raise ConfigError(f"{demos_path} has no demonstration of {name}; it has {', '.join(sorted(set(demos['object'])))}")
    gap = np.abs((np.rad2deg(demos["yaw"][rows]) - yaw_deg + 90.0) % 180.0 - 90.0)
    qpos = demos["qpos"][rows[np.argmin(gap)], ::every]
    frames = render.render_frames(scene.compile_object(name, 1.0, scene.Physics()), qpos)
    step_s = GraspConfig.substeps * scene.TIMESTEP  # the control step the demonstrations were recorded at
    render.write_video(frames, path, fps=int(round(1 / (step_s * every))))
    return len(frames)


def oracle(env_config, episodes: int, force: float, out: str | None, grasp: str = "pinch") -> dict:
    """What ``dexvip oracle`` does: run, score, and (with ``out``) save table, records and demos."""
    env = envs.load("grasp", **dataclasses.asdict(env_config))
    result = run(env, episodes, force, grasp)
    report = {"grasp": grasp, "episodes_per_object": episodes, "force_newtons": force, "backend": env.config.backend,
              "overall": result["objects"]["overall"], "objects": result["objects"], "markdown": result["markdown"]}
    if out:
        demos = demonstrations(env, result["objs"], result["yaws"], result["actions"])
        demos_lib.save(os.path.join(out, "demos.npz"), demos)
        write_json_atomic(os.path.join(out, "oracle.json"), report)
        write_text_atomic(os.path.join(out, "oracle.md"), result["markdown"] + "\n")
        write_text_atomic(os.path.join(out, "episodes.jsonl"), "".join(json.dumps(r) + "\n" for r in result["episodes"]))
        report["demo_success"] = float(demos["success"].mean())
    return report
