"""The host loop of ``dexvip train``: jitted updates, logging, evaluation, checkpoints, the curve.

Writes under ``out``: ``config.json``, ``metrics.jsonl`` (one JSON line per update and per
evaluation), ``checkpoints/`` (Orbax), ``tb/`` (TensorBoard events) and ``curve.png``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sys
import time

import jax
import numpy as np

from dexvip_jax import config as cfg_lib
from dexvip_jax import dapg, envs, oracle
from dexvip_jax.checkpoint import Checkpointer, finished_steps, world_of
from dexvip_jax.envs import demos as demofile
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import RunLock, pyplot, save_figure, write_json_atomic, write_text_atomic
from dexvip_jax.ppo.lag import LaggedStep
from dexvip_jax.ppo.train import make_train, settings_from


def shard_batch(tree, batch: int):
    """With several devices: leaves whose leading axis has length ``batch`` (envs, or a sweep's
    configs) split over a 1-D mesh, everything else replicated. Multi-host: call
    ``jax.distributed.initialize()`` first; ``jax.devices()`` then spans every host."""
    devices = jax.devices()
    if len(devices) == 1:
        return tree
    if batch % len(devices):
        raise ConfigError(f"the batch ({batch}) must divide over the {len(devices)} visible devices; "
                          "change --num-envs or the number of configurations")
    mesh = jax.sharding.Mesh(np.array(devices), ("batch",))
    split = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("batch"))
    whole = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())

    def put(x):
        x = jax.numpy.asarray(x)
        return jax.device_put(x, split if x.ndim and x.shape[0] == batch else whole)

    return jax.tree.map(put, tree)


def read_rows(path: str) -> list[dict]:
    """The JSON lines of ``metrics.jsonl``; a last line torn by a kill mid-write is dropped."""
    rows = []
    with open(path) as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return rows


def rewind_metrics(path: str, start: int, drop: tuple[str, ...] = ()) -> list[dict]:
    """A resumed run's ``metrics.jsonl`` cut back to its checkpoint at update ``start`` (0: a new
    run, nothing kept): the rows up to it, less those with a key starting with one of ``drop``,
    written back atomically (a line torn by a kill goes too) and returned."""
    rows = []
    if start and os.path.exists(path):
        rows = [r for r in read_rows(path) if r["update"] <= start and not any(k.startswith(drop) for k in r)]
    write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))
    return rows


def _scalars(metrics: dict) -> dict:
    return {k: float(v) for k, v in jax.device_get(metrics).items()}


def plot_curve(rows: list[dict], path: str) -> None:
    """Episode return (training and evaluation) and evaluation success (held for the last 50 steps)."""
    plt = pyplot()

    train = [(r["env_steps"], r["episode_return"]) for r in rows if "episode_return" in r and not math.isnan(r["episode_return"])]
    evals = [(r["env_steps"], r["eval/episode_return"]) for r in rows if "eval/episode_return" in r]
    success = [(r["env_steps"], 100 * r["eval/success"]) for r in rows if "eval/success" in r]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.5))
    if train:
        ax.plot(*zip(*train), label="training episodes (stochastic)")
    if evals:
        ax.plot(*zip(*evals), "o-", label="evaluation (deterministic)")
    ax.set_ylabel("episode return")
    if ax.lines:
        ax.legend()
    if success:
        bx.plot(*zip(*success), "o-", color="C2")
    bx.set_ylabel("evaluation success %")
    bx.set_ylim(-2, 102)
    for a in (ax, bx):
        a.set_xlabel("env steps")
        a.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


START_EPISODES = 8  # oracle episodes per object (yaws over [0, 180)) recorded for demonstration starts


def record_start_states(cfg: cfg_lib.TrainConfig, out: str) -> cfg_lib.TrainConfig:
    """``cfg`` with ``env.start_states`` set: with ``env.demo_start`` > 0 and none given, those in
    ``out/starts/`` (a resumed run's), else the oracle records ``START_EPISODES`` per object of the
    run (its own env settings and ``env.start_grasp``) there."""
    if cfg.env.demo_start == 0 or cfg.env.start_states:
        return cfg
    where = os.path.join(out, "starts")
    if not os.path.exists(os.path.join(where, "demos.npz")):
        oracle.oracle(dataclasses.replace(cfg.env, demo_start=0.0), START_EPISODES, 1.0, where, cfg.env.start_grasp)
    return dataclasses.replace(cfg, env=dataclasses.replace(cfg.env, start_states=os.path.join(where, "demos.npz")))


def run_demos(cfg: cfg_lib.TrainConfig, env, out: str) -> dict | None:
    """DAPG's ``demo_data`` for a run: from ``cfg.dapg.demos``, or recorded by the oracle
    (``per_object`` episodes of each source object, the run's own env settings) into
    ``out/demos/demos.npz``; None with ``per_object`` 0."""
    if cfg.dapg.per_object == 0:  # the no-demonstration baseline: DAPG's reward, plain PPO
        return None
    path = cfg.dapg.demos
    if not path:
        path = os.path.join(out, "demos", "demos.npz")
        if not os.path.exists(path):
            sources = tuple(dict.fromkeys(dapg.source(o) for o in cfg.env.objects))
            oracle.oracle(dataclasses.replace(cfg.env, objects=sources), cfg.dapg.per_object, 1.0, os.path.dirname(path))
    return dapg.demo_data(demofile.load(path), cfg.env.objects, env.observation_size["motor"][0], env.action_size,
                          cfg.dapg.per_object, path)


def train(cfg: cfg_lib.TrainConfig, out: str, resume: bool = False, progress: bool = True) -> dict:
    """Train ``cfg`` into ``out`` (continuing its latest checkpoint when ``resume``); returns a summary."""
    out = os.path.abspath(out)
    ckpt_dir = os.path.join(out, "checkpoints")
    steps = finished_steps(ckpt_dir)
    if not resume and steps:
        raise ConfigError(f"{out} already holds a run; pass --resume {out} to continue it or choose another --out")
    if resume and not steps:  # killed before its first checkpoint was complete
        print(f"dexvip: {out} has no finished checkpoint yet; starting its run from the beginning", file=sys.stderr)
        resume = False
    env = envs.load("grasp", **dataclasses.asdict(dataclasses.replace(cfg.env, demo_start=0.0)))
    demos = run_demos(cfg, env, out) if cfg.method == "dapg" else None  # refused before out exists
    if cfg.env.demo_start > 0:  # now that the config has passed every check, record (or find) the starts
        cfg = record_start_states(cfg, out)
        env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    os.makedirs(out, exist_ok=True)
    with RunLock(out):  # a second writer is refused with one line
        return _run(cfg, out, resume, progress, env, demos)


def _run(cfg: cfg_lib.TrainConfig, out: str, resume: bool, progress: bool, env, demos) -> dict:
    ckpt_dir = os.path.join(out, "checkpoints")
    dapg_run = demos is not None
    trainer = make_train(settings_from(cfg), env, dapg.demo_term(cfg.dapg))
    checkpointer = Checkpointer(ckpt_dir, cfg, keep=cfg.keep_checkpoints, world=world_of(env))
    state = jax.jit(trainer.init)(jax.random.PRNGKey(cfg.seed), cfg.reward.as_jax(), cfg.dapg.lambda0 if dapg_run else 0.0)
    lagged = LaggedStep(trainer) if cfg.ppo.policy_lag else None
    cloned = None
    if resume:  # a lagged run's checkpoint holds its pending batch: the template needs one too
        state = checkpointer.restore(lagged.prime(state) if lagged else state, set_aside_damaged=True)
        if checkpointer.notice:
            print(f"dexvip: {checkpointer.notice}", file=sys.stderr)
    elif dapg_run:
        state, cloned = jax.jit(trainer.clone)(state, demos)
    if lagged and not resume:
        state = lagged.prime(state)
    write_json_atomic(os.path.join(out, "config.json"), cfg_lib.to_dict(cfg))
    state = shard_batch(state, cfg.num_envs)
    update = lagged or jax.jit(trainer.update)
    evaluate = jax.jit(trainer.evaluate)

    from tensorboardX import SummaryWriter

    writer = SummaryWriter(os.path.join(out, "tb"))
    metrics_path = os.path.join(out, "metrics.jsonl")
    rows = rewind_metrics(metrics_path, int(state.updates) if resume else 0)

    def log(row: dict, f) -> None:
        rows.append(row)
        f.write(json.dumps(row) + "\n")
        f.flush()
        for k, v in row.items():
            if k not in ("update", "env_steps") and not math.isnan(v):
                writer.add_scalar(k, v, row["env_steps"])

    def run_eval(state, f) -> dict:
        key = jax.random.fold_in(jax.random.PRNGKey(cfg.seed + 1), int(state.updates))
        row = {"update": int(state.updates), "env_steps": int(state.env_steps), **_scalars(evaluate(state, key))}
        log(row, f)
        return row

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    first = int(state.updates)
    t_start = time.perf_counter()
    t_first_update = None
    last = {}
    columns = (TextColumn("[bold]train"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} steps"),
               TextColumn("{task.fields[sps]:,.0f} steps/s"), TextColumn("return {task.fields[ret]}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    # closing(): Orbax's and TensorBoard's writer threads end even when a write fails (a full disk).
    with (contextlib.closing(checkpointer), contextlib.closing(writer), open(metrics_path, "a") as f,
          lagged or contextlib.nullcontext(),
          Progress(*columns, disable=not progress) as bar):
        task = bar.add_task("train", total=cfg.num_updates * cfg.steps_per_update,
                            completed=first * cfg.steps_per_update, sps=0.0, ret="-")
        if cloned is not None:  # behaviour cloning's own result, before any RL: update 0
            log({"update": 0, "env_steps": 0, **_scalars(cloned)}, f)
            run_eval(state, f)
        for u in range(first, cfg.num_updates):
            t0 = time.perf_counter()
            state, metrics = update(state, demos)
            row = {"update": u + 1, "env_steps": (u + 1) * cfg.steps_per_update, **_scalars(metrics)}
            dt = time.perf_counter() - t0
            if t_first_update is None:
                t_first_update = time.perf_counter() - t_start
            row["steps_per_s"] = cfg.steps_per_update / dt
            log(row, f)
            ret = row["episode_return"]
            # An update in which no episode ended has no return (NaN): the summary keeps the last one that had.
            last = {**last, **{k: v for k, v in row.items() if not (k == "episode_return" and math.isnan(v))}}
            bar.update(task, advance=cfg.steps_per_update, sps=row["steps_per_s"], ret="-" if math.isnan(ret) else f"{ret:.2f}")
            done = u + 1 == cfg.num_updates
            # Evaluate, then checkpoint: a kill between the two loses no evaluation row, since a
            # resumed run drops the rows past its checkpoint and evaluates that update again.
            if (cfg.eval_every and (u + 1) % cfg.eval_every == 0) or done:
                last = {**last, **run_eval(state, f)}
            if (u + 1) % cfg.checkpoint_every == 0 or done:
                checkpointer.save(u + 1, state)
    plot_curve(rows, os.path.join(out, "curve.png"))
    elapsed = time.perf_counter() - t_start
    timed = [r["steps_per_s"] for r in rows[1:] if "steps_per_s" in r]
    return {"out": out, "updates": cfg.num_updates, "env_steps": cfg.num_updates * cfg.steps_per_update,
            "resumed_from_update": first if resume else None, "wall_s": elapsed,
            "time_to_first_update_s": t_first_update,
            "steps_per_s_median": float(np.median(timed)) if timed else None,
            "final": {k: v for k, v in last.items() if k.startswith(("eval/", "episode_return"))},
            "files": {name: os.path.join(out, name) for name in ("config.json", "metrics.jsonl", "checkpoints", "tb", "curve.png")}}
