"""Does DexVIP's pose term act? GRAFF and DexVIP (the paper's penalty form, and the bounded
``pose_match`` form) trained as one compiled sweep on the cpu preset, logging per update the share
of steps with the pose gate open and the mean pose reward, and per evaluation success, posture
and the gate over held steps.

    python benchmarks/pose_term.py [--set KEY=VALUE ...] [--lanes graff,dexvip,dexvip_match] [--name NAME]

``--set env.start_grasp=prior`` records the demonstration starts with the whole-hand oracle;
``--set env.touch_gate=0.15`` is the gate ablation. The run goes to runs/pose-<name>/ (not
committed); the curves and tables to benchmarks/results/pose_term_<name>_<device>.json and
benchmarks/results/pose_term_<name>.md.
"""

import argparse
import json
import os
import shutil
import sys

from dexvip_jax import bench, config, sweep
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result, write_text_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LANES = {"graff": ("graff", []), "dexvip": ("dexvip", []),
         "dexvip_match": ("dexvip", ["reward.pose=0", "reward.pose_match=1"])}
CURVE = ("env/gate_open", "env/reward/pose", "env/reward/pose_match", "env/touch_frac", "env/held", "env/posture",
         "episode_return")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lanes", default=",".join(LANES))
    p.add_argument("--name", default="cpu")
    p.add_argument("--eval-episodes", type=int, default=25, help="per object, at each of --evals evaluations")
    p.add_argument("--evals", type=int, default=4)
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    lanes = args.lanes.split(",")
    runs = [(lane, config.build("cpu", args.set + LANES[lane][1], method=LANES[lane][0])) for lane in lanes]
    base = runs[0][1]
    out = os.path.join(ROOT, "runs", f"pose-{args.name}")
    shutil.rmtree(out, ignore_errors=True)
    summary = sweep.run_configs(base, runs, out, eval_episodes=args.eval_episodes,
                                eval_every=max(1, base.num_updates // args.evals))
    result = {"device": bench.device_info(), "sets": args.set, "base": config.to_dict(base),
              "steps_per_s_all_lanes": summary["steps_per_s_all_configs"], "wall_s": summary["wall_s"], "lanes": {}}
    lines = ["| lane | success % | posture % | gate open, last 10% of training steps | pose reward / step (last 10%) "
             "| gate open % of held eval steps | touch % of held eval steps | success at each evaluation |",
             "|---|---|---|---|---|---|---|---|"]
    for lane, row in zip(lanes, summary["configs"]):
        with open(os.path.join(row["dir"], "metrics.jsonl")) as f:
            rows = [json.loads(x) for x in f]
        updates = [r for r in rows if "env/gate_open" in r]
        tail = updates[-max(1, len(updates) // 10):]
        late = {k: sum(r[k] for r in tail) / len(tail) for k in CURVE if k in tail[0]}
        evals = [{k: r[k] for k in r if k in ("env_steps",) or k.startswith("protocol/")} for r in rows if "protocol/success" in r]
        final = row["protocol"]["overall"]
        result["lanes"][lane] = {"reward": row["reward"], "final": row["protocol"], "late_training": late,
                                 "evaluations": evals,
                                 "curve": [{k: r[k] for k in ("update", "env_steps") + CURVE if k in r} for r in updates]}
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        pose = late["env/reward/pose" if row["reward"]["pose"] else "env/reward/pose_match"]
        lines.append(f"| {lane} | {fmt(final['success'])} | {fmt(final['posture'])} | {100 * late['env/gate_open']:.1f}% "
                     f"| {pose:.4f} | {fmt(final['gate_open_share'])} | {fmt(final['touch_share'])} | "
                     + ", ".join(f"{e['protocol/success']:.0f}" for e in evals) + " |")
    table = "\n".join(lines)
    write_text_atomic(os.path.join(ROOT, "benchmarks", "results", f"pose_term_{args.name}.md"),
                      f"# Pose term, `python benchmarks/pose_term.py {' '.join('--set ' + s for s in args.set)} --name {args.name}`\n\n"
                      f"{base.total_steps:,} env steps per lane, {args.eval_episodes} episodes per object per evaluation, "
                      f"objects {', '.join(base.env.objects)}.\n\n{table}\n")
    print(table)
    print("wrote", write_result(os.path.join(ROOT, "benchmarks", "results"), f"pose_term_{args.name}", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
