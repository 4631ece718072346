"""Evaluation: success, stability, functionality and posture per object, deterministic policy.

Per object, ``episodes`` episodes with the yaw evenly spaced over [0, 180) degrees, 200 steps each;
then the stability test: a force of ``force`` newtons on the object's centre of mass along +x, -x,
+y, -y, +z, -z for 50 steps each, the policy still acting. Definitions (the paper leaves the last
two's details open; these are ours):

* success: the grasp (``rewards.held``: the hand touches the object, which touches no table and
  is more than ``lift_height`` above its rest height) holds for all of the last 50 steps;
* stability: success, and the grasp holds through all six force phases;
* functionality: success, and the final Chamfer distance between the 21 hand points and the 20
  affordance points is at most ``functional_distance`` (0.05 m, the affordance reward's threshold);
* posture: 100 * max(0, 1 - e / e_open), e the final weighted joint error to the object's target
  pose (the pose reward's error) and e_open that of the open start pose: 100 = the target pose,
  0 = no closer than the open hand.

All four are shares of all episodes (percent); the overall row averages the objects.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

from dexvip_jax import config as cfg_lib
from dexvip_jax import envs, rewards
from dexvip_jax.checkpoint import Checkpointer, world_of
from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs import render
from dexvip_jax.envs.grasp import NOISE
from dexvip_jax.errors import ConfigError
from dexvip_jax.ppo.lag import LaggedStep
from dexvip_jax.ppo.train import make_train, settings_from
from dexvip_jax.rewards import HOLD_STEPS

FORCE_STEPS = 50
DIRECTIONS = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], np.float32)


def episode_metrics(grasp, grasp_forced, final_chamfer, pose_error, open_error, functional_distance=0.05,
                    touch=None, gate=None) -> dict:
    """Pure per-episode metrics. ``grasp``: (T,) bool over the episode; ``grasp_forced``: (6 * 50,)
    bool over the force phases; the rest scalars. Returns 0/1 flags and posture in [0, 100]; with
    ``touch`` and ``gate``, (T,) the share of touch sensors active and the pose gate, their means
    over the held steps (``touch_share``, ``gate_open_share``: NaN for an episode that never holds)."""
    success = jnp.all(grasp[-HOLD_STEPS:])
    out = {
        "success": success.astype(jnp.float32),
        "stability": (success & jnp.all(grasp_forced)).astype(jnp.float32),
        "functionality": (success & (final_chamfer <= functional_distance)).astype(jnp.float32),
        "posture": rewards.posture(pose_error, open_error),
    }
    if touch is not None:
        held = grasp.astype(jnp.float32)
        out["touch_share"] = jnp.sum(touch * held) / jnp.sum(held)
        out["gate_open_share"] = jnp.sum(gate * held) / jnp.sum(held)
    return out


def protocol(n_objects: int, episodes: int) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation episodes: (object index, yaw in rad) each, ``episodes`` per object, the yaw
    evenly spaced over [0, 180) degrees."""
    return np.repeat(np.arange(n_objects), episodes), np.tile(np.arange(episodes) * (np.pi / episodes), n_objects)


def make_evaluator(env, act, episodes: int, force: float, functional_distance: float = 0.05, seed: int = 0):
    """A jitted ``run(params, obs_stats) -> (per-episode metrics, per-episode records)`` over every
    object of ``env``; the records (state at the episode's end, before the force phases) let anyone
    check a figure: joint and object ``qpos``, object position and quaternion, height above rest.
    ``act(params, obs_stats, obs, t)`` acts for all episodes at step ``t`` (a scripted policy may
    use it; a learned one ignores it)."""
    objs, yaws = (jnp.asarray(x) for x in protocol(len(env.config.objects), episodes))
    length = env.config.episode_length
    pose_err = functools.partial(rewards.pose_error, finger_weights=env.config.reward_params.finger_weights)

    keys = jax.random.split(jax.random.PRNGKey(seed), objs.shape[0])  # observation/action noise, when on

    def run(params, obs_stats):
        state = jax.vmap(lambda o, y, k: env.reset_to(o, y, rng=k))(objs, yaws, keys)

        def step(carry, force_vec):
            s, t = carry
            a = act(params, obs_stats, s.obs, t)
            if force_vec is None:
                s = jax.vmap(env.step)(s, a)
            else:
                s = jax.vmap(lambda st, ac: env.step(st, ac, force_vec))(s, a)
            return (s, t + 1), s.metrics["held"] > 0

        def episode_step(carry, _):
            carry, held = step(carry, None)
            return carry, (held, carry[0].metrics["touch_frac"], carry[0].metrics["gate_open"])

        (state, t), (grasp, touch, gate) = jax.lax.scan(episode_step, (state, 0), None, length=length)
        feats = jax.vmap(env.features)(state.info["obj"], state.pipeline_state)
        records = {"qpos": state.pipeline_state.qpos, "obj_pos": feats.obj_pos, "obj_quat": feats.obj_quat,
                   "height_above_rest": feats.obj_com[:, 2] - state.info["rest_height"]}
        chamfer = jax.vmap(rewards.chamfer)(feats.hand_points, feats.aff_points)
        targets = env._targets[objs]
        err = jax.vmap(pose_err)(feats.joint_angles, targets)
        err_open = jax.vmap(pose_err)(jnp.zeros_like(feats.joint_angles), targets)
        forces = jnp.repeat(jnp.asarray(DIRECTIONS) * force, FORCE_STEPS, axis=0)
        _, forced = jax.lax.scan(step, (state, t), forces)
        metrics = jax.vmap(lambda g, gf, c, e, eo, to, ga: episode_metrics(g, gf, c, e, eo, functional_distance, to, ga))(
            grasp.T, forced.T, chamfer, err, err_open, touch.T, gate.T)
        return metrics, records

    return jax.jit(run), np.asarray(objs)


def learned(act):
    """A trained policy's ``act(params, obs_stats, obs)`` as the evaluator's timed signature."""
    return lambda params, obs_stats, obs, t: act(params, obs_stats, obs)


PERCENT = ("success", "stability", "functionality", "touch_share", "gate_open_share")  # shares, shown in %
HELD_ONLY = ("touch_share", "gate_open_share")  # means over held steps: none where nothing was held


def _known_mean(values):
    """The mean of the values that are neither None nor NaN; None when there are none."""
    values = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(values)) if values else None


def summarize(per_episode: dict, objs: np.ndarray, names) -> dict:
    """Per-object means (shares in percent, posture as it is) and the overall mean over objects.
    The touch figures average the episodes that held at all; with none, they are None."""
    out = {}
    for i, name in enumerate(names):
        mask = objs == i
        out[name] = {k: _known_mean(np.asarray(v)[mask] * (100 if k in PERCENT else 1)) for k, v in per_episode.items()}
    out["overall"] = {k: _known_mean([out[n][k] for n in names]) for k in per_episode}
    return out


def group_means(table: dict, names) -> dict:
    """Per object group (ContactDB-16, the other 11) the mean over its objects of each of
    ``summarize``'s figures, as ``overall`` is over all, the way the paper splits its tables;
    groups without an object are left out."""
    out = {}
    for g in ("contactdb16", "extra11"):
        members = [n for n in names if zoo.get(n).group == g]
        if members:
            out[g] = {k: _known_mean([table[n][k] for n in members]) for k in table[members[0]]}
    return out


def markdown(table: dict, names) -> str:
    groups = {n: zoo.get(n).group for n in names}
    touch = "touch_share" in table["overall"]
    head = "| object | group | success % | stability % | functionality % | posture % |"
    lines = [head + (" touch % of held steps | gate open % of held steps |" if touch else ""),
             "|---|---|---|---|---|---|" + ("---|---|" if touch else "")]

    def cell(v):
        return "-" if v is None else f"{v:.1f}"

    for n in list(names) + ["overall"]:
        r = table[n]
        line = f"| {n} | {groups.get(n, '')} | " + " | ".join(cell(r[k]) for k in ("success", "stability", "functionality", "posture")) + " |"
        if touch:
            line += f" {cell(r['touch_share'])} | {cell(r['gate_open_share'])} |"
        lines.append(line)
    return "\n".join(lines)


def load_run(run_dir: str):
    """(config, trainer, TrainingState at the latest checkpoint) of a ``dexvip train`` directory.
    The config is the run's for evaluation: no demonstration starts (they are training's)."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise ConfigError(f"{run_dir} is not a run directory (no config.json); pass the --out of a dexvip train run")
    with open(path) as f:
        saved = cfg_lib.from_dict(json.load(f))
    cfg = dataclasses.replace(saved, env=dataclasses.replace(saved.env, demo_start=0.0))
    env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    trainer = make_train(settings_from(cfg), env)
    checkpointer = Checkpointer(os.path.join(run_dir, "checkpoints"), saved, world=world_of(env))
    template = jax.jit(trainer.init)(jax.random.PRNGKey(cfg.seed), cfg.reward.as_jax())
    if cfg.ppo.policy_lag:  # its checkpoints hold the batch not yet learned from
        with LaggedStep(trainer) as lagged:
            template = lagged.prime(template)
    state = checkpointer.restore(template)
    if checkpointer.notice:
        print(f"dexvip: {checkpointer.notice}", file=sys.stderr)
    checkpointer.close()
    return cfg, trainer, state


def evaluate_checkpoint(run_dir: str, episodes: int = 100, objects=None, force: float = 1.0,
                        noise: bool = False) -> dict:
    """Load a run's latest checkpoint and evaluate it; ``objects`` defaults to the run's own.
    ``noise``: the paper's observation and action noise (``grasp.NOISE``); else none, whatever the
    run trained with."""
    cfg, trainer, state = load_run(run_dir)
    levels = NOISE if noise else {k: (v if k == "noise_freeze_frames" else 0) for k, v in NOISE.items()}
    env_cfg = dataclasses.replace(cfg.env, objects=zoo.resolve(objects) if objects else cfg.env.objects, **levels)
    env = envs.load("grasp", **dataclasses.asdict(env_cfg))
    run, objs = make_evaluator(env, learned(trainer.act), episodes, force, env.config.aff_threshold)
    per, records = jax.device_get(run(state.params, state.obs_stats))
    table = summarize(per, objs, env.config.objects)
    return {"run": os.path.abspath(run_dir), "env_steps": int(state.env_steps), "episodes_per_object": episodes,
            "force_newtons": force, "noise": noise, "objects": table, "markdown": markdown(table, env.config.objects),
            "episodes": episode_records(per, records, env.config.objects, episodes)}


def episode_records(per: dict, records: dict, names, episodes: int) -> list[dict]:
    """One JSON-ready row per episode of ``protocol``: object, yaw, the metrics and the final state."""
    objs, yaws = protocol(len(names), episodes)
    rows = []
    for i, (o, yaw) in enumerate(zip(objs, yaws)):
        row = {"object": names[int(o)], "yaw_deg": float(np.rad2deg(yaw))}
        row.update({k: None if np.isnan(v[i]) else float(v[i]) for k, v in per.items()})  # touch: None if never held
        row.update({k: (np.asarray(v[i]).round(5).tolist()) for k, v in records.items()})
        rows.append(row)
    return rows


def render_policy(run_dir: str, obj: str, path: str, yaw_deg: float = 90.0, every: int = 2) -> int:
    """A GIF or MP4 (by ``path``'s extension) of the run's deterministic policy grasping ``obj``;
    returns the number of frames."""
    render.check_video_path(path)
    cfg, trainer, state = load_run(run_dir)
    env = envs.load("grasp", **dataclasses.asdict(dataclasses.replace(cfg.env, objects=(zoo.get(obj).name,), backend="mujoco")))

    @jax.jit
    def rollout(params, obs_stats):
        s = env.reset_to(jnp.array(0), jnp.deg2rad(yaw_deg))

        def step(s, _):
            s = env.step(s, trainer.act(params, obs_stats, s.obs))
            return s, (s.pipeline_state.qpos, s.done)

        return jax.lax.scan(step, s, None, length=env.config.episode_length)[1]

    qpos, done = jax.device_get(rollout(state.params, state.obs_stats))
    end = int(np.argmax(done)) + 1 if done.any() else len(done)  # up to the step that ended the episode
    qpos = qpos[:end:every]
    frames = render.render_frames(env.mj_model, qpos)
    render.write_video(frames, path, fps=int(round(1 / (env.config.substeps * 0.002 * every))))
    return len(frames)
