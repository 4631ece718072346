"""Train a preset end to end and keep its measured curve: steps/s, returns, real success.

    python benchmarks/learning_curve.py --preset cpu --method dexvip [--set KEY=VALUE ...] [--name NAME]

Success is the paper's (held, ``rewards.held``, for all of the last 50 steps): the curve of
``eval/success`` and ``eval/posture`` (the final pose's) during training, the share of training steps
with the pose gate open (``env/gate_open``), the env steps and wall time to the first 10% and 50%, and a
final evaluation with ``--eval-episodes`` per object and the 1 N stability forces, per object and per
object group (ContactDB-16, the other 11).

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
from dexvip_jax.evaluate import evaluate_checkpoint, group_means
from dexvip_jax.files import write_result, write_text_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _first_reaching(rows: list[dict], levels, steps_per_update: int) -> dict:
    """Env steps, and seconds spent in training updates, at the first evaluation whose success
    reaches each level (None: never)."""
    updates = [r for r in rows if "steps_per_s" in r]
    out = {}
    for level in levels:
        hit = next((r for r in rows if r.get("eval/success", -1.0) >= level), None)
        out[f"{round(100 * level)}%"] = None if hit is None else {
            "env_steps": hit["env_steps"],
            "update_s": sum(steps_per_update / r["steps_per_s"] for r in updates if r["update"] <= hit["update"])}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu", choices=list(config.PRESETS))
    p.add_argument("--method", default="dexvip")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--name", help="result name (default: <preset>_<method>)")
    p.add_argument("--eval-episodes", type=int, default=100, help="per object, final evaluation")
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    cfg = config.build(args.preset, args.set, method=args.method)
    name = args.name or f"{args.preset}_{args.method}"
    run_dir = os.path.join(ROOT, "runs", f"curve-{name}")
    shutil.rmtree(run_dir, ignore_errors=True)
    summary = training.train(cfg, run_dir)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    keep = ("update", "env_steps", "episode_return", "steps_per_s", "reward_per_step", "env/held", "env/reward/succ",
            "env/reward/reach", "env/reward/lift", "env/reward/aff", "env/reward/pose", "env/reward/pose_match", "env/touch_frac", "env/gate_open", "env/posture",
            "env/hand_obj_contact", "env/obj_height", "dapg/weight", "loss/demo_log_prob")
    result = {"device": bench.device_info(), "config": config.to_dict(cfg),
              "summary": {k: v for k, v in summary.items() if k != "files"},
              "curve": [{k: r[k] for k in keep if k in r} for r in rows if "loss/policy" in r],
              "evaluations": [r for r in rows if "eval/episode_return" in r],
              "to_success": _first_reaching(rows, (0.1, 0.5), cfg.steps_per_update)}
    final = evaluate_checkpoint(run_dir, args.eval_episodes)
    result["final_evaluation"] = {k: final[k] for k in ("episodes_per_object", "force_newtons", "objects")}
    result["final_evaluation"]["groups"] = group_means(final["objects"], cfg.env.objects)
    write_text_atomic(os.path.join(ROOT, "benchmarks", "results", f"eval_{name}.md"), final["markdown"] + "\n")
    print(final["markdown"])
    out = write_result(os.path.join(ROOT, "benchmarks", "results"), f"curve_{name}", result)
    shutil.copy(os.path.join(run_dir, "curve.png"), os.path.join(ROOT, "docs", f"curve_{name}.png"))
    print(f"wrote {out} and docs/curve_{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
