"""How reliably a preset learns: several seeds of it trained as ONE compiled sweep, each evaluated
with the full protocol (success, stability, functionality, posture) during training and at the end.

    python benchmarks/seed_spread.py --preset cpu --seeds 3 [--seed 0] [--set KEY=VALUE ...] [--name NAME]

Writes benchmarks/results/seeds_<name>_<device>.json: per seed, the success curve and the final
table; over seeds, mean, std and min of final success. The runs go to runs/seeds-<name>/ (not
committed). One lane of a sweep computes what a single ``dexvip train`` of that seed computes, up to
floating-point order, so a seed's figure here and in ``learning_curve.py`` may differ slightly.
"""

import argparse
import os
import shutil
import sys

import numpy as np

from dexvip_jax import bench, config, sweep
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu", choices=list(config.PRESETS))
    p.add_argument("--method", default="dexvip")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0, help="the first seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--name", help="result name (default: <preset>_<method>)")
    p.add_argument("--eval-episodes", type=int, default=100, help="per object, final evaluation")
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    cfg = config.build(args.preset, [*args.set, f"seed={args.seed}"], method=args.method)
    name = args.name or f"{args.preset}_{args.method}"
    out = os.path.join(ROOT, "runs", f"seeds-{name}")
    shutil.rmtree(out, ignore_errors=True)
    summary = sweep.run_configs(cfg, sweep.configurations(cfg, {}, args.seeds), out,
                                eval_episodes=args.eval_episodes, eval_every=cfg.eval_every)
    seeds = [{"seed": r["seed"], "final": r["protocol"], "success_curve": r["protocol_success"]}
             for r in summary["configs"]]
    final = np.array([s["final"]["overall"]["success"] for s in seeds])
    result = {"device": bench.device_info(), "config": config.to_dict(cfg), "seeds": seeds,
              "success_mean": float(final.mean()), "success_std": float(final.std(ddof=1)) if len(final) > 1 else 0.0,
              "success_min": float(final.min()), "wall_s": summary["wall_s"],
              "steps_per_s_all_seeds": summary["steps_per_s_all_configs"]}
    path = write_result(os.path.join(ROOT, "benchmarks", "results"), f"seeds_{name}", result)
    print(f"success over {len(final)} seeds: {final.round(1).tolist()} -> mean {final.mean():.1f} "
          f"± {result['success_std']:.1f} (min {final.min():.1f})\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
