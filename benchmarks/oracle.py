"""The scripted grasp-and-lift oracle per object, under each physics setting; MuJoCo C vs MJX.

    python benchmarks/oracle.py [--episodes 4] [--mjx-objects apple,mug,soda_can,bottle]
    python benchmarks/oracle.py --agreement-only   # MuJoCo C vs MJX alone

For every physics variant (the shipped Adroit values, each tuned setting alone, all tuned: the
default) the oracle runs the evaluation protocol on all 27 objects at 1 kg on the MuJoCo C
backend. Then the tuned plans are replayed on MJX for a few objects and each episode's success is
compared with MuJoCo C's. Writes ``benchmarks/results/oracle_<device>.json`` and prints tables.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

from dexvip_jax import bench, envs, oracle
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs import scene
from dexvip_jax.files import result_path, write_result

SHIPPED = dataclasses.asdict(scene.Physics.shipped())
TUNED = dataclasses.asdict(scene.Physics())
VARIANTS = {
    "shipped (impratio 1, finger kp 1, damping 0.05, no reach below start, friction 1, slide damping 20, "
    "hand contact time constant 0.02 s)": SHIPPED,
    "impratio 10 only": {**SHIPPED, "impratio": TUNED["impratio"]},
    "finger kp 10, damping 0.5 only": {**SHIPPED, "finger_kp": TUNED["finger_kp"],
                                       "finger_damping": TUNED["finger_damping"]},
    "reach 10 cm below start only": {**SHIPPED, "reach_down": TUNED["reach_down"]},
    "slide damping 60 only": {**SHIPPED, "slide_damping": TUNED["slide_damping"]},
    "hand contact time constant 0.01 s only": {**SHIPPED, "hand_timeconst": TUNED["hand_timeconst"]},
    "all tuned but reach": {**TUNED, "reach_down": SHIPPED["reach_down"]},
    "all tuned but friction 1": {**TUNED, "hand_friction": SHIPPED["hand_friction"]},
    "all tuned but finger kp 5, damping 0.25": {**TUNED, "finger_kp": 5.0, "finger_damping": 0.25},
    "all tuned but finger kp 20, damping 1": {**TUNED, "finger_kp": 20.0, "finger_damping": 1.0},
    "all tuned but slide damping 20": {**TUNED, "slide_damping": SHIPPED["slide_damping"]},
    "all tuned but slide damping 40": {**TUNED, "slide_damping": 40.0},
    "all tuned but slide damping 80": {**TUNED, "slide_damping": 80.0},
    "all tuned but hand contact time constant 0.02 s (MuJoCo's default)": {**TUNED, "hand_timeconst": 0.02},
    "all tuned but hand contact time constant 0.005 s (MJX and MuJoCo C part on pushed objects)":
        {**TUNED, "hand_timeconst": 0.005},
    "all tuned but impratio 20": {**TUNED, "impratio": 20.0},
    "all tuned + elliptic cones (impratio 1)": {**TUNED, "cone": "elliptic", "impratio": 1.0},
    "all tuned + elliptic cones (impratio 10: diverges)": {**TUNED, "cone": "elliptic"},
    "all tuned + elliptic cones (impratio 3)": {**TUNED, "cone": "elliptic", "impratio": 3.0},
    "all tuned + condim 4 (torsional friction)": {**TUNED, "condim": 4},
    "all tuned + condim 6 (rolling friction)": {**TUNED, "condim": 6},
    "all tuned + 20 solver iterations": {**TUNED, "iterations": 20},
    "tuned (default)": TUNED,
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=4, help="per object and variant")
    p.add_argument("--objects", default="all")
    p.add_argument("--mjx-objects", default="apple,mug,soda_can,bottle,hammer,knife,jug,banana")
    p.add_argument("--mjx-episodes", type=int, default=4)
    p.add_argument("--agreement-only", action="store_true",
                   help="only the MuJoCo C vs MJX comparison; the physics variants are kept from the existing JSON")
    p.add_argument("--variants", metavar="TEXT[,TEXT]",
                   help="re-run only the variants whose name contains one of these; the others are kept from the existing JSON")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    result = {"device": bench.device_info(), "episodes_per_object": args.episodes, "object_mass_kg": 1.0,
              "goal": "success >= 90% of (object, yaw) cases", "variants": {}}
    if args.agreement_only or args.variants:
        with open(result_path(args.out, "oracle", result["device"])) as f:
            result = {**json.load(f), "device": result["device"]}
    chosen = {} if args.agreement_only else {k: v for k, v in VARIANTS.items()
                                              if not args.variants or any(t in k for t in args.variants.split(","))}
    result["variants"] = {k: result["variants"][k] if k not in chosen else None for k in VARIANTS
                          if k in chosen or k in result["variants"]}  # the table's order, stale names dropped
    for name, physics in chosen.items():
        env = envs.load("grasp", backend="mujoco", objects=args.objects, **physics)
        t0 = time.time()
        table = oracle.run(env, args.episodes)["objects"]
        result["variants"][name] = {"physics": physics, "overall": table["overall"], "wall_s": time.time() - t0,
                                    "objects": {k: v for k, v in table.items() if k != "overall"}}
        print(f"{name:48s} success {table['overall']['success']:5.1f}%  stability {table['overall']['stability']:5.1f}%",
              flush=True)
    if not args.agreement_only:
        tuned = result["variants"]["tuned (default)"]["objects"]
        print("\n| object | success % | stability % |\n|---|---|---|")
        for obj, row in tuned.items():
            print(f"| {obj} | {row['success']:.0f} | {row['stability']:.0f} |")
    if args.mjx_objects:
        result["backend_agreement"] = oracle.backend_agreement(args.mjx_objects, args.mjx_episodes)
        print(f"\nMuJoCo C vs MJX, same plans: success agrees in "
              f"{100 * result['backend_agreement']['success_agreement']:.0f}% of episodes")
    print("wrote", write_result(args.out, "oracle", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
