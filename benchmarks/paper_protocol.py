"""The paper's comparison under the paper's protocol at a CPU budget where reward-only RL lifts:
GRAFF and DexVIP learn from their reward alone (no oracle starts), seeds paired, with 95%
intervals on DexVIP - GRAFF in success, posture and steps to GRAFF's final success.

    python benchmarks/paper_protocol.py [--parts 0:5] [--assist none|starts] [--curriculum steps|held|held0]
                                        [--objects LIST] [--total-steps N] [--tag TAG] [--out runs/protocol]

The budget (``BUDGET``): the mug alone (the one object PPO had lifted from reward alone before),
2M env steps per run, the cpu preset's PPO (2 epochs of 256-256 MLPs since 2026-12-04; the
results before that date used 2 epochs of 512-512), the gravity curriculum (a quarter of the weight at first)
ramped to full over the first 1.6M steps, 5 evaluations of 40 episodes. Tried first (JSON in
``benchmarks/results/paper_protocol_pilot_*``): the apple and the mug, 1M steps, the ramp over
0.6M: the hand held the lightened objects on up to 4% of training steps and let go as they grew
heavy, 0% at full weight; the apple alone, 3M steps, the ramp over 2.4M: held on up to 3% of
steps, stopped at 0.6M. ``--curriculum held`` (every method alike) lets the weight rise at the
rate of a ramp over 1.2M steps only after updates whose training steps held the object on at least
5% (``gravity_curriculum``), where 10% success at that weight needs at least 2.5%. ``held0`` is
the same from a weightless object (``gravity_start=0``), as Isaac Lab's Dexsuite lift starts its
gravity curriculum: any touch that raises the object 2 cm off the table is a hold. It is the one
budget that has lifted from the reward alone (2026-12-06, 10 seeds: GRAFF 11.8%, DexVIP 10.5%;
``paper_protocol_held0*``). Each part
``a:b`` trains seeds a..b-1 as one `dexvip paper` program in ``<out>/<name>-seeds<a>-<b-1>`` (resumed if
it was interrupted: run the same command again), then the parts combine into one report
(``paper.combine``; a sweep's lanes never mix, so a seed's run is the same kind of run in any
part). Writes benchmarks/results/<name>_<device>.json and <name>.md, and the curves to
docs/<name>_curves.png; <name> is paper_protocol, with _assisted for ``--assist starts``, _held
for ``--curriculum held``, _<objects> for ``--objects``, _<K>k for ``--total-steps`` and _<TAG> for ``--tag``.
"""

import argparse
import os
import shutil
import sys

from dexvip_jax import bench
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.experiments import paper
from dexvip_jax.files import write_result, write_text_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET = {"quick": True, "methods": ("graff", "dexvip"), "objects": "mug", "total_steps": 2_000_000,
          "episodes": 40, "evals": 5, "demo_budgets": (), "overrides": ("gravity_ramp_steps=1600000",)}
CURRICULA = {"steps": (), "held": ("gravity_curriculum=held", "gravity_held_share=0.05", "gravity_ramp_steps=1200000")}
CURRICULA["held0"] = CURRICULA["held"] + ("gravity_start=0",)


def parts(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        a, _, b = item.partition(":")
        if not (a.isdigit() and b.isdigit() and int(b) - int(a) >= 2):
            raise SystemExit(f"--parts {text!r}: write a:b seed ranges of at least 2 seeds, e.g. 0:2,2:5")
        out.append((int(a), int(b)))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="0:5", help="seed ranges a:b, each one program (default one: 0:5)")
    p.add_argument("--assist", choices=tuple(paper.PROTOCOLS), default="none")
    p.add_argument("--curriculum", choices=tuple(CURRICULA), default="steps",
                   help="the gravity curriculum: linear in steps, or rising with the held share (held0: from weightless)")
    p.add_argument("--objects", help="objects instead of the budget's mug (named in the result), e.g. apple")
    p.add_argument("--total-steps", type=int, help="env steps per run instead of the budget's (named in the result)")
    p.add_argument("--tag", default="", help="added to the result's name (a rerun under changed code)")
    p.add_argument("--out", default=os.path.join(ROOT, "runs", "protocol"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    budget = {**BUDGET, **({"total_steps": args.total_steps} if args.total_steps else {}),
              **({"objects": args.objects} if args.objects else {})}
    budget["overrides"] += CURRICULA[args.curriculum]
    name = ("paper_protocol" + ("" if args.assist == "none" else "_assisted")
            + ("" if args.curriculum == "steps" else f"_{args.curriculum}")
            + (f"_{args.objects.replace(',', '-')}" if args.objects else "")
            + (f"_{args.total_steps // 1000}k" if args.total_steps else "") + (f"_{args.tag}" if args.tag else ""))
    dirs = []
    for a, b in parts(args.parts):
        out = os.path.join(args.out, f"{name}-seeds{a}-{b - 1}")
        seed = (f"seed={a}",) if a else ()
        if os.path.exists(os.path.join(out, paper.ARGS)):
            paper.resume(out)
        else:
            paper.run(out, seeds=b - a, assist=args.assist, **{**budget, "overrides": budget["overrides"] + seed})
        dirs.append(out)
    report = paper.combine(dirs, os.path.join(args.out, f"{name}-combined"))
    shutil.copyfile(os.path.join(args.out, f"{name}-combined", "curves.png"),
                    os.path.join(ROOT, "docs", f"{name}_curves.png"))
    text = paper.markdown(report)
    write_text_atomic(os.path.join(ROOT, "benchmarks", "results", f"{name}.md"), text + "\n")
    path = write_result(os.path.join(ROOT, "benchmarks", "results"), name,
                        {"device": bench.device_info(), "command": " ".join(["python", *sys.argv]), **report})
    print(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
