"""kill -9 at random moments, resume, repeat: does the run end exactly where an unbroken one does?

    python benchmarks/kill_resume.py [--trials 10] [--kills 10] [--updates 24] [--seed 0]

One uninterrupted `dexvip train` (cpu preset, a small network and batch, a checkpoint every update)
is the reference. Each trial starts the same command, SIGKILLs it at a random time (``trial``),
continues it with `--resume` (or starts it again when it died before its first checkpoint),
`--kills` times, then lets it finish. A trial passes when its final
TrainingState equals the reference's bit for bit and its metrics.jsonl holds every update exactly
once, in order, with no torn line and the same values. Writes benchmarks/results/kill_resume_<device>.json.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from dexvip_jax import bench
from dexvip_jax.files import write_result

SETTINGS = ["num_envs=8", "unroll_length=8", "ppo.hidden=32,32", "ppo.num_minibatches=2",
            "env.objects=mug,apple", "checkpoint_every=1", "eval_every=4", "eval_envs=4",
            "env.episode_length=50"]


def command(out: str, updates: int, seed: int, resume: bool) -> list[str]:
    args = [sys.executable, "-m", "dexvip_jax.cli", "train", "--json"]
    if resume:
        return args + ["--resume", out]
    sets = [x for s in SETTINGS for x in ("--set", s)]
    return args + ["--preset", "cpu", "--seed", str(seed), "--total-steps", str(updates * 64), "--out", out] + sets


def final_state(out: str):
    """Every leaf of the run's last checkpoint, as numpy arrays."""
    import jax

    from dexvip_jax.evaluate import load_run

    return [np.asarray(x) for x in jax.tree.leaves(load_run(out)[2])]


def metric_lines(out: str) -> tuple[list[dict], bool]:
    """(rows without timings, whether every line parsed)."""
    rows, whole = [], True
    for line in open(os.path.join(out, "metrics.jsonl")):
        try:
            rows.append({k: v for k, v in json.loads(line).items() if k != "steps_per_s"})
        except json.JSONDecodeError:
            whole = False
    return rows, whole


def same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))


def trial(out: str, updates: int, seed: int, kills: int, wall: float, rng: random.Random) -> dict:
    """Kill the run ``kills`` times, each at a time drawn uniformly over [0, wall / 2] after its
    (re)start (start-up included, so kills land in imports, compilation, updates, evaluations and
    checkpoint writes alike), unless it finishes first; then let it finish."""
    killed_at = []
    while len(killed_at) < kills:
        resume = os.path.exists(os.path.join(out, "config.json"))
        proc = subprocess.Popen(command(out, updates, seed, resume), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.0, wall / 2)
        try:
            proc.wait(timeout=delay)
            break  # it finished before the kill
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL
            proc.wait()
            killed_at.append(round(delay, 2))
    resume = os.path.exists(os.path.join(out, "config.json"))
    done = subprocess.run(command(out, updates, seed, resume), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return {"kills": len(killed_at), "killed_at_s": killed_at, "final_exit": done.returncode,
            "stderr_tail": done.stderr[-300:] if done.returncode else ""}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--updates", type=int, default=24)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="kill_resume_")
    ref = os.path.join(work, "reference")
    t0 = time.perf_counter()
    subprocess.run(command(ref, args.updates, args.seed, False), check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    ref_state, (ref_rows, _) = final_state(ref), metric_lines(ref)
    rng = random.Random(args.seed)
    results = []
    for i in range(args.trials):
        out = os.path.join(work, f"trial{i}")
        r = trial(out, args.updates, args.seed, args.kills, wall, rng)
        if r["final_exit"] == 0:
            rows, whole = metric_lines(out)
            updates = [row["update"] for row in rows if "loss/policy" in row]
            r.update(params_identical=all(np.array_equal(a, b) for a, b in zip(ref_state, final_state(out))),
                     no_torn_line=whole, every_update_once=updates == list(range(1, args.updates + 1)),
                     metrics_equal=len(rows) == len(ref_rows) and all(
                         a.keys() == b.keys() and all(same(a[k], b[k]) for k in a) for a, b in zip(rows, ref_rows)))
        r["passed"] = bool(r["final_exit"] == 0 and r["params_identical"] and r["no_torn_line"]
                           and r["every_update_once"] and r["metrics_equal"])
        results.append(r)
        print(json.dumps(r), file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    summary = {"device": bench.device_info(), "settings": SETTINGS, "updates": args.updates,
               "kills_per_trial": args.kills, "reference_wall_s": wall, "trials": results,
               "passed": sum(r["passed"] for r in results), "of": len(results)}
    path = write_result(args.out, "kill_resume", summary)
    print(f"{summary['passed']}/{summary['of']} trials identical to the unbroken run "
          f"({sum(r['kills'] for r in results)} kills); wrote {path}")
    return 0 if summary["passed"] == summary["of"] else 1


if __name__ == "__main__":
    sys.exit(main())
