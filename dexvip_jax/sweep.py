"""Reward-weight and seed sweeps in ONE compiled program: ``vmap`` of the PPO update over configs.

A sweep is a grid over ``reward.<term>`` weights times ``seeds``. Every configuration gets a
leading axis on the TrainingState (its RNG and its reward weights are traced inputs), so K
configurations compile once and run as one program. A configuration that diverges (non-finite
parameters, or every step of an update non-finite) is reported; vmapped lanes never mix, so the
others are unaffected.

Writes under ``out``: ``<config-id>/`` for each configuration (``config.json``, ``metrics.jsonl``,
``checkpoints/``, ``curve.png`` — each one resumable and evaluable like a single run),
``summary.json`` and ``comparison.png``. ``resume`` continues an interrupted sweep from the
newest checkpoint every configuration finished (``diverged.json`` keeps the divergences seen so
far), to the same result as an uninterrupted one; a finished sweep returns its summary. With
``eval_episodes`` the sweep also runs the
evaluation protocol (``evaluate.py``: success, stability, functionality, posture) on every
configuration at once, every ``eval_every`` updates and at the end: ``<config-id>/eval.json``
and, per evaluation, ``protocol/<metric>`` lines in ``metrics.jsonl``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dexvip_jax import config as cfg_lib
from dexvip_jax import dapg, envs, rewards
from dexvip_jax import evaluate as ev_lib
from dexvip_jax.checkpoint import Checkpointer, finished_steps, world_of
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import RunLock, pyplot, save_figure, write_json_atomic
from dexvip_jax.ppo.train import make_train, settings_from
from dexvip_jax.training import plot_curve, record_start_states, rewind_metrics, run_demos, shard_batch


def parse_grid(items: list[str]) -> dict[str, list[float]]:
    """``["reward.pose=0,0.5,1", ...]`` -> {"pose": [0.0, 0.5, 1.0], ...}; only reward weights sweep."""
    grid: dict[str, list[float]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        term = key.removeprefix("reward.")
        if not sep or not key.startswith("reward.") or term not in rewards.TERMS:
            raise ConfigError(f"--grid {item!r}: write reward.<term>=v1,v2,... with a term of "
                              f"{', '.join(rewards.TERMS)} (only reward weights are traced, so only they sweep)")
        try:
            grid[term] = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"--grid {item!r}: values must be numbers, e.g. reward.pose=0,0.5,1") from None
        if not grid[term]:
            raise ConfigError(f"--grid {item!r}: give at least one value")
        if not all(math.isfinite(v) for v in grid[term]):
            raise ConfigError(f"--grid {item!r}: every value must be finite, e.g. reward.pose=0,0.5,1")
    return grid


def configurations(base: cfg_lib.TrainConfig, grid: dict[str, list[float]], seeds: int) -> list[tuple[str, cfg_lib.TrainConfig]]:
    """(config-id, config) for every grid point and seed."""
    if seeds < 1:
        raise ConfigError(f"--seeds must be a positive integer, got {seeds}")
    out = []
    terms = list(grid)
    for values in itertools.product(*(grid[t] for t in terms)):
        weights = dataclasses.replace(base.reward, **dict(zip(terms, values)))
        for s in range(seeds):
            label = "-".join(f"{t}{v:g}" for t, v in zip(terms, values)) or base.method
            out.append((f"{label}-seed{base.seed + s}", dataclasses.replace(base, reward=weights, seed=base.seed + s)))
    return out


def _lane(tree, i: int):
    return jax.tree.map(lambda x: x[i], tree)


def _finite(tree) -> jax.Array:
    """Per configuration: are all parameters finite? (leading axis = configs)"""
    leaves = [jnp.isfinite(x).reshape(x.shape[0], -1).all(axis=1) for x in jax.tree.leaves(tree)]
    return jnp.stack(leaves).all(axis=0)


def sweep(base: cfg_lib.TrainConfig, grid: dict[str, list[float]], seeds: int, out: str,
          progress: bool = True, **kw) -> dict:
    return run_configs(base, configurations(base, grid, seeds), out, progress, **kw)


def run_configs(base: cfg_lib.TrainConfig, runs: list[tuple[str, cfg_lib.TrainConfig]], out: str,
                progress: bool = True, eval_episodes: int = 0, eval_every: int = 0, force: float = 1.0,
                resume: bool = False) -> dict:
    """Train ``runs`` (id, config), which may differ from ``base`` only in reward weights, method and
    seed, as one vmapped program; ``resume`` continues the one in ``out``."""
    for cid, c in runs:
        other = cfg_lib.differences(cfg_lib.to_dict(base), cfg_lib.to_dict(c))
        if any(not k.startswith(("reward.", "method", "seed")) for k in other):
            raise ConfigError(f"configuration {cid} differs from the sweep's base in {other}: only reward "
                              "weights, method and seed can vary inside one compiled sweep")
    if base.ppo.policy_lag:
        raise ConfigError("ppo.policy_lag overlaps one run's two halves in two threads, and a sweep is one vmapped "
                          "program: drop ppo.policy_lag=true here, or train each configuration with dexvip train")
    out = os.path.abspath(out)
    if os.path.exists(os.path.join(out, "summary.json")):
        if resume:  # every configuration finished: nothing is left to train
            with open(os.path.join(out, "summary.json")) as f:
                return json.load(f)
        raise ConfigError(f"{out} already holds a sweep; choose another --out")
    if resume and not os.path.isdir(out):
        raise ConfigError(f"nothing to resume in {out}: no such directory")
    os.makedirs(out, exist_ok=True)
    if base.env.demo_start > 0 and not base.env.start_states:  # one set of start states for every lane
        base = record_start_states(base, out)
        runs = [(cid, dataclasses.replace(c, env=base.env)) for cid, c in runs]
    with RunLock(out):  # a second writer is refused with one line
        return _run(base, runs, out, progress, eval_episodes, eval_every, force, resume)


def _resume_point(checkpointers: dict) -> int:
    """The newest update every configuration's checkpoint finished (0: none did). A kill between
    two configurations' saves of one update leaves it to some of them only, so it is not used."""
    steps = [set(finished_steps(c.directory)) for c in checkpointers.values()]
    return max(set.intersection(*steps), default=0)


def _run(base, runs, out: str, progress: bool, eval_episodes: int, eval_every: int, force: float,
         resume: bool) -> dict:
    env = envs.load("grasp", **dataclasses.asdict(base.env))
    trainer = make_train(settings_from(base), env, dapg.demo_term(base.dapg))
    k = len(runs)
    keys = jnp.stack([jax.random.PRNGKey(c.seed) for _, c in runs])
    weights = {t: jnp.array([getattr(c.reward, t) for _, c in runs], jnp.float32) for t in rewards.TERMS}
    # DAPG configurations share the demonstrations (one traced argument); the others' lambda0 is 0.
    is_dapg = np.array([c.method == "dapg" for _, c in runs])
    demos = run_demos(runs[int(np.argmax(is_dapg))][1], env, out) if is_dapg.any() else None
    demo_weights = jnp.array([c.dapg.lambda0 if d else 0.0 for (_, c), d in zip(runs, is_dapg)], jnp.float32)
    dirs = {cid: os.path.join(out, cid) for cid, _ in runs}
    checkpointers = {}
    for cid, c in runs:
        os.makedirs(dirs[cid], exist_ok=True)
        write_json_atomic(os.path.join(dirs[cid], "config.json"), cfg_lib.to_dict(c))
        checkpointers[cid] = Checkpointer(os.path.join(dirs[cid], "checkpoints"), c, keep=c.keep_checkpoints,
                                          world=world_of(env))
    start = _resume_point(checkpointers)
    if start and not resume:
        raise ConfigError(f"{out} holds an unfinished sweep (checkpoints at update {start}); continue it "
                          f"with --resume {out} and the same flags, or choose another --out")
    if resume and not start:
        print(f"dexvip: {out} has no checkpoint that every configuration finished; starting from the beginning",
              file=sys.stderr)
    t0 = time.perf_counter()
    state = jax.jit(jax.vmap(trainer.init))(keys, weights, demo_weights)
    cloned = None
    if start:  # each configuration's own checkpoint (its config and world checked), stacked again
        host = jax.device_get(state)
        lanes = [checkpointers[cid].restore(_lane(host, i), start) for i, (cid, _) in enumerate(runs)]
        state = jax.tree.map(lambda *xs: jnp.asarray(np.stack(xs)), *lanes)
    elif demos is not None:
        state, cloned = jax.jit(jax.vmap(trainer.clone, (0, None, 0)))(state, demos, jnp.asarray(is_dapg))
        cloned = jax.device_get(cloned)
    if jax.device_count() > 1 and k % jax.device_count() == 0:
        state = shard_batch(state, k)
    update = jax.jit(jax.vmap(functools.partial(trainer.update, exact_when_off=False), (0, None)))
    evaluate = jax.jit(jax.vmap(trainer.evaluate))
    protocol = None
    if eval_episodes:
        run_protocol, ev_objs = ev_lib.make_evaluator(env, ev_lib.learned(trainer.act), eval_episodes, force, env.config.aff_threshold)
        protocol_all = jax.jit(jax.vmap(run_protocol))

        def protocol(state) -> list[dict]:
            per, _ = jax.device_get(protocol_all(state.params, state.obs_stats))
            return [ev_lib.summarize(_lane(per, i), ev_objs, env.config.objects) for i in range(k)]

    # Each configuration's lines up to the checkpoint, then appended to; the final evaluation row
    # (``eval/``), written after the last update, is written again.
    rows = {cid: rewind_metrics(os.path.join(dirs[cid], "metrics.jsonl"), start, drop=("eval/",)) for cid, _ in runs}
    files = {cid: open(os.path.join(dirs[cid], "metrics.jsonl"), "a") for cid, _ in runs}
    for i, (cid, _) in enumerate(runs):
        if cloned is not None and is_dapg[i]:  # behaviour cloning's own result, before any RL: update 0
            row = {"update": 0, "env_steps": 0, **{m: float(v[i]) for m, v in cloned.items()}}
            rows[cid].append(row)
            files[cid].write(json.dumps(row) + "\n")
    diverged_path = os.path.join(out, "diverged.json")
    diverged_at: dict[str, int] = {}
    if start and os.path.exists(diverged_path):
        with open(diverged_path) as f:
            diverged_at = {cid: u for cid, u in json.load(f).items() if u <= start}
    final_tables: list[dict] = []

    timings = []
    with Progress(TextColumn(f"[bold]sweep x{k}"), BarColumn(), TextColumn("{task.completed}/{task.total} updates"),
                  TextColumn("{task.fields[sps]:,.0f} steps/s (all configs)"), TimeElapsedColumn(),
                  disable=not progress) as bar:
        task = bar.add_task("sweep", total=base.num_updates, completed=start, sps=0.0)
        compile_s = None
        for u in range(start, base.num_updates):
            t1 = time.perf_counter()
            state, metrics = update(state, demos)
            metrics = jax.device_get(metrics)
            # Diverged: non-finite parameters, or every step of the update non-finite (the trainer's
            # NaN guard keeps the parameters finite, e.g. under an infinite reward weight, but
            # such a configuration learns nothing).
            ok = np.asarray(_finite(state.params)) & (np.asarray(metrics["nonfinite_inputs"]) < base.steps_per_update)
            dt = time.perf_counter() - t1
            if compile_s is None:
                compile_s = dt
            else:
                timings.append(dt)
            for i, (cid, _) in enumerate(runs):
                if not ok[i] and cid not in diverged_at:
                    diverged_at[cid] = u + 1
                row = {"update": u + 1, "env_steps": (u + 1) * base.steps_per_update,
                       **{m: float(v[i]) for m, v in metrics.items()}}
                rows[cid].append(row)
                files[cid].write(json.dumps(row) + "\n")
            bar.update(task, advance=1, sps=k * base.steps_per_update / dt)
            last = u + 1 == base.num_updates
            if protocol and ((eval_every and (u + 1) % eval_every == 0) or last):
                tables = protocol(state)
                for i, (cid, _) in enumerate(runs):
                    row = {"update": u + 1, "env_steps": (u + 1) * base.steps_per_update,
                           **{f"protocol/{m}": v for m, v in tables[i]["overall"].items()}}
                    rows[cid].append(row)
                    files[cid].write(json.dumps(row) + "\n")
                if last:
                    final_tables = tables
            if (u + 1) % base.checkpoint_every == 0 or last:
                for f in files.values():  # every row up to this update is on disk before its checkpoint
                    f.flush()
                write_json_atomic(diverged_path, diverged_at)
                host = jax.device_get(state)
                for i, (cid, _) in enumerate(runs):
                    checkpointers[cid].save(u + 1, _lane(host, i))
        if protocol and not final_tables:  # resumed after the last checkpoint: the same (deterministic) table
            final_tables = protocol(state)
        if final_tables:
            for i, (cid, _) in enumerate(runs):
                write_json_atomic(os.path.join(dirs[cid], "eval.json"),
                                  {"env_steps": base.num_updates * base.steps_per_update,
                                   "episodes_per_object": eval_episodes, "force_newtons": force,
                                   "objects": final_tables[i]})
        eval_keys = jax.vmap(jax.random.fold_in, (0, None))(
            jnp.stack([jax.random.PRNGKey(c.seed + 1) for _, c in runs]), base.num_updates)
        evals = jax.device_get(evaluate(state, eval_keys))
    summary_rows = []
    for i, (cid, c) in enumerate(runs):
        ev = {m: float(v[i]) for m, v in evals.items()}
        eval_row = {"update": base.num_updates, "env_steps": base.num_updates * base.steps_per_update, **ev}
        rows[cid].append(eval_row)
        files[cid].write(json.dumps(eval_row) + "\n")
        files[cid].close()
        checkpointers[cid].close()
        plot_curve(rows[cid], os.path.join(dirs[cid], "curve.png"))
        train_returns = [r["episode_return"] for r in rows[cid] if "episode_return" in r and not math.isnan(r["episode_return"])]
        summary_rows.append({"id": cid, "dir": dirs[cid], "seed": c.seed, "reward": dataclasses.asdict(c.reward),
                             "diverged": cid in diverged_at, "diverged_at_update": diverged_at.get(cid),
                             "final_train_return": train_returns[-1] if train_returns else None, **ev})
        if final_tables:  # the evaluation protocol: the final table and success over training
            summary_rows[-1]["protocol"] = final_tables[i]
            summary_rows[-1]["protocol_success"] = [[r["env_steps"], r["protocol/success"]] for r in rows[cid]
                                                    if "protocol/success" in r]
    wall = time.perf_counter() - t0
    summary = {"configs": summary_rows, "num_configs": k, "updates": base.num_updates,
               "resumed_from_update": start or None,
               "env_steps_per_config": base.num_updates * base.steps_per_update, "wall_s": wall,
               "first_update_s": compile_s,
               "steps_per_s_all_configs": k * base.steps_per_update / float(np.median(timings)) if timings else None,
               "compilations": update._cache_size()}
    write_json_atomic(os.path.join(out, "summary.json"), summary)
    plot_comparison(summary_rows, rows, os.path.join(out, "comparison.png"))
    return summary


def plot_comparison(summary_rows, rows, path: str) -> None:
    plt = pyplot()

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for r in summary_rows:
        pts = [(x["env_steps"], x["episode_return"]) for x in rows[r["id"]]
               if "episode_return" in x and not math.isnan(x["episode_return"])]
        if pts:
            ax1.plot(*zip(*pts), label=r["id"] + (" (diverged)" if r["diverged"] else ""))
    ax1.set_xlabel("env steps")
    ax1.set_ylabel("training episode return")
    if ax1.lines:
        ax1.legend(fontsize=7)
    ax1.grid(alpha=0.3)
    ids = [r["id"] for r in summary_rows]
    ax2.bar(range(len(ids)), [r["eval/episode_return"] for r in summary_rows])
    ax2.set_xticks(range(len(ids)), ids, rotation=45, ha="right", fontsize=7)
    ax2.set_ylabel("final evaluation return")
    fig.tight_layout()
    save_figure(fig, path)
