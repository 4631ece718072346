"""Wall time of K configurations in one vmapped program against K sequential runs.

    python benchmarks/sweep_scaling.py                      # CPU: mujoco backend, K = 1, 2, 4, 8
    python benchmarks/sweep_scaling.py --backend mjx --num-envs 1024 --ks 1 2 4 8   # on a GPU

Each configuration: the same PPO settings with its own reward weights and seed. "sequential" runs
the single-config program K times (compiled once, as a user looping over configs would with a
cache); compile time is shown apart. Writes benchmarks/results/sweep_scaling_<device>.json.
"""

import argparse
import json
import os
import sys

from dexvip_jax import bench, config
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default="mujoco", choices=["mujoco", "mjx"])
    p.add_argument("--num-envs", type=int, default=32)
    p.add_argument("--updates", type=int, default=5)
    p.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    # No demonstration starts: they change only what a reset loads, and would need an oracle run first.
    cfg = config.build("cpu", [f"num_envs={args.num_envs}", "unroll_length=32", f"env.backend={args.backend}",
                               "env.demo_start=0"])
    rows = bench.bench_sweep(cfg, args.ks, args.updates)
    for row in rows:
        print(json.dumps(row), file=sys.stderr)
    device = bench.device_info()
    path = write_result(args.out, f"sweep_scaling_{args.backend}", {
        "device": device, "backend": args.backend, "num_envs": args.num_envs, "updates": args.updates, "results": rows})
    print(f"wrote {path}")
    for r in rows:
        print(f"K={r['k']}: one program {r['one_program_s']:.1f} s vs sequential {r['sequential_s']:.1f} s "
              f"(x{r['speedup']:.2f}); compile {r['one_program_compile_s']:.1f} s vs {r['sequential_compile_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
