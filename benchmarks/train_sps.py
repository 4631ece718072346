"""Training steps/s against the physics limit, where an update's time goes, and candidate settings.

    python benchmarks/train_sps.py                       # cpu preset: 64 and 256 envs, profile at 64
    python benchmarks/train_sps.py --candidates ppo.epochs=2 ppo.epochs=3
    python benchmarks/train_sps.py --preset gpu --batches 4096 --no-profile   # on a GPU (MJX: no raw rollout)
    python benchmarks/train_sps.py --profile-only          # the update's profile alone -> train_sps_profile_<device>.json
    python benchmarks/train_sps.py --profile-only --profile-set ppo.epochs=2 --name profile_e2   # another setting's

Each row is ``dexvip bench train --json`` (``bench.bench_train``): training, the env alone under
random actions and a raw ``mujoco.rollout`` of the same envs, objects, threads and steps, timed in
turn, medians of 3 rounds, so ``train_to_raw`` and ``env_to_raw`` come from one run. The profile
(``bench.profile_update``) splits an update into the unroll and the SGD and times both at once.
The preset's demonstration starts are recorded once with the oracle and shared by every row.
Writes benchmarks/results/train_sps_<device>.json (``--name`` adds to the name).
"""

import argparse
import json
import os
import sys
import tempfile

from rich.progress import track

from dexvip_jax import bench, config
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result
from dexvip_jax.training import record_start_states


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu", choices=("cpu", "gpu"))
    p.add_argument("--batches", type=int, nargs="*", default=[64, 256])
    p.add_argument("--updates", type=int, default=10, help="timed updates per round")
    p.add_argument("--candidates", nargs="*", default=[], metavar="KEY=VALUE[;KEY=VALUE]",
                   help="extra rows at the first batch size, each a ';'-joined set of --set overrides")
    p.add_argument("--no-profile", dest="profile", action="store_false")
    p.add_argument("--profile-only", action="store_true", help="only the profile, at the first batch size")
    p.add_argument("--profile-set", action="append", default=[], metavar="KEY=VALUE",
                   help="a --set override for the profile's settings (repeatable; default: the preset's)")
    p.add_argument("--start-states", default="", metavar="NPZ", help="the preset's starts (default: recorded first)")
    p.add_argument("--name", default="")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    device = bench.device_info()
    with tempfile.TemporaryDirectory() as tmp:
        starts = args.start_states or record_start_states(config.build(args.preset), tmp).env.start_states
        jobs = [(n, ()) for n in args.batches] + [(args.batches[0], tuple(c.split(";"))) for c in args.candidates]
        jobs = [] if args.profile_only else jobs
        rows, profile = [], None
        for n, sets in track(jobs, description="benchmarking"):
            rows.append(bench.bench_train(args.preset, args.updates, sets, starts, num_envs=n))
            print(json.dumps(rows[-1]), file=sys.stderr)
        if args.profile:
            profile = bench.profile_update(args.preset, tuple(args.profile_set), starts, num_envs=args.batches[0])
    name = args.name or ("profile" if args.profile_only else "")
    path = write_result(args.out, "train_sps" + (f"_{name}" if name else ""),
                        {"device": device, "preset": args.preset, "results": rows, "profile": profile})
    print(f"wrote {path}")
    for r in rows:
        raw = "" if r["raw_rollout_steps_per_s"] is None else (
            f"  raw {r['raw_rollout_steps_per_s']:7,.0f}  train/raw {r['train_to_raw']:.2f}  env/raw {r['env_to_raw']:.2f}")
        print(f"{r['backend']:7s} {r['num_envs']:5d} envs {';'.join(r['sets']) or 'preset':>18s}  "
              f"train {r['train_steps_per_s']:7,.0f}  env {r['env_steps_per_s']:7,.0f}{raw}")
    if profile:
        print("update, ms:", {k: round(v) for k, v in profile["ms"].items()},
              "cores busy:", {k: round(v, 2) for k, v in profile["cores_busy"].items()},
              f"SGD {profile['sgd_gflop_per_update']:.1f} GFLOP per update at {profile['sgd_gflop_per_s']:.0f} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
