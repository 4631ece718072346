"""Env steps/s of both backends over batch sizes; writes benchmarks/results/env_sps_<device>.json.

    python benchmarks/env_sps.py                      # CPU: batches 1, 16, 64, 256
    python benchmarks/env_sps.py --batches 1024 4096 8192 --backends mjx   # on a GPU
    python benchmarks/env_sps.py --cold --backends mjx --batches 64          # first-run compile time

Each row: env steps/s (control steps of 0.01 s, summed over the batch) on the auto-resetting
batched env with random actions, compile time apart; plus, per batch, the MuJoCo C references
(``mj_step`` on one thread; raw ``mujoco.rollout`` with the same threads).
"""

import argparse
import json
import os
import sys

from rich.progress import track

from dexvip_jax import bench
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    p.add_argument("--backends", nargs="+", default=["mujoco", "mjx"], choices=["mujoco", "mjx"])
    p.add_argument("--steps", type=int, default=0, help="timed control steps per env (0: auto per backend)")
    p.add_argument("--cold", action="store_true", help="no persistent compilation cache: first-run compile times")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    if not args.cold:
        enable_compilation_cache(on_cpu=True)
    device = bench.device_info()
    rows = []
    jobs = [(b, n) for b in args.backends for n in args.batches]
    for backend, n in track(jobs, description="benchmarking"):
        steps = args.steps or (200 if backend == "mujoco" else 50 if device["platform"] == "cpu" else 200)
        row = bench.bench_env(backend, n, steps)
        if backend == "mujoco":
            row["reference"] = bench.bench_mujoco_c(n, steps, row["nthread"])
            row["share_of_raw_rollout"] = row["env_steps_per_s"] / row["reference"]["mujoco_rollout_env_steps_per_s"]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    path = write_result(args.out, "env_sps_cold" if args.cold else "env_sps",
                        {"device": device, "compilation_cache": not args.cold, "results": rows})
    print(f"wrote {path}")
    for r in rows:
        print(f"{r['backend']:7s} {r['num_envs']:5d} envs  {r['env_steps_per_s']:9,.0f} env steps/s  "
              f"compile {r['compile_s']:5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
