"""Training steps/s (env + PPO update) and time to first update, per backend and batch size.

    python benchmarks/train_sps.py                                    # CPU defaults
    python benchmarks/train_sps.py --mjx-batches 1024 4096 --mujoco-batches   # on a GPU

Writes benchmarks/results/train_sps_<device>.json. Network: the paper's 512-512 motor MLP;
4 epochs; unroll 32; all 27 objects.
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
    p.add_argument("--mujoco-batches", type=int, nargs="*", default=[16, 64, 256])
    p.add_argument("--mjx-batches", type=int, nargs="*", default=[64])
    p.add_argument("--updates", type=int, default=5)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    device = bench.device_info()
    jobs = [("mujoco", n) for n in args.mujoco_batches] + [("mjx", n) for n in args.mjx_batches]
    rows = []
    for backend, n in track(jobs, description="benchmarking"):
        updates = args.updates if backend == "mujoco" or device["platform"] != "cpu" else 2
        rows.append(bench.bench_train(backend, n, updates))
        print(json.dumps(rows[-1]), file=sys.stderr)
    path = write_result(args.out, "train_sps", {"device": device, "results": rows})
    print(f"wrote {path}")
    for r in rows:
        print(f"{r['backend']:7s} {r['num_envs']:5d} envs  {r['train_steps_per_s']:9,.0f} training steps/s  "
              f"first update after {r['time_to_first_update_s']:5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
