"""Train a preset end to end and keep its measured curve: steps/s, returns, evaluation.

    python benchmarks/learning_curve.py --preset cpu --method dexvip

The run itself (checkpoints, TensorBoard) goes to runs/curve-<preset>-<method>/ (not committed);
the summary and the per-update returns go to benchmarks/results/curve_<preset>_<method>_<device>.json and
the plot to docs/curve_<preset>_<method>.png.
"""

import argparse
import json
import os
import shutil
import sys

from dexvip_jax import bench, config, training
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu", choices=list(config.PRESETS))
    p.add_argument("--method", default="dexvip")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args()
    enable_compilation_cache()
    cfg = config.build(args.preset, args.set, method=args.method)
    name = f"{args.preset}_{args.method}"
    run_dir = os.path.join(ROOT, "runs", f"curve-{args.preset}-{args.method}")
    shutil.rmtree(run_dir, ignore_errors=True)
    summary = training.train(cfg, run_dir)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    keep = ("update", "env_steps", "episode_return", "steps_per_s", "reward_per_step", "env/held", "env/reward/succ",
            "env/reward/aff", "env/reward/pose", "env/touch_frac", "env/hand_obj_contact")
    result = {"device": bench.device_info(), "config": config.to_dict(cfg),
              "summary": {k: v for k, v in summary.items() if k != "files"},
              "curve": [{k: r[k] for k in keep if k in r} for r in rows if "loss/policy" in r],
              "evaluations": [r for r in rows if "eval/episode_return" in r]}
    out = write_result(os.path.join(ROOT, "benchmarks", "results"), f"curve_{name}", result)
    shutil.copy(os.path.join(run_dir, "curve.png"), os.path.join(ROOT, "docs", f"curve_{name}.png"))
    print(f"wrote {out} and docs/curve_{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
