"""The oracle's two grasps side by side: the fingertip pinch and the whole-hand grasp toward each
object's consensus pose (``dexvip oracle --grasp prior``), on every object at 1 kg.

    python benchmarks/oracle_grasps.py [--episodes 4] [--objects all]

Per grasp and object: success, stability, functionality, posture, the share of touch sensors
active over held steps and the share of held steps with the pose reward's gate open (>= 30% of
the 21 sensors). MuJoCo C backend. Writes ``benchmarks/results/oracle_grasps_<device>.json`` and
``benchmarks/results/oracle_grasps.md``.
"""

import argparse
import os
import sys
import time

from dexvip_jax import bench, envs, evaluate, oracle
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result, write_text_atomic

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=4, help="per object (yaws evenly spaced over 180 degrees)")
    p.add_argument("--objects", default="all")
    p.add_argument("--out", default=RESULTS)
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    env = envs.load("grasp", backend="mujoco", objects=args.objects)
    result = {"device": bench.device_info(), "episodes_per_object": args.episodes, "object_mass_kg": 1.0,
              "touch_gate": env.config.touch_gate, "grasps": {}}
    text = []
    for grasp in ("pinch", "prior"):
        t0 = time.time()
        table = oracle.run(env, args.episodes, grasp=grasp)["objects"]
        result["grasps"][grasp] = {"overall": table["overall"], "wall_s": time.time() - t0,
                                   "objects": {k: v for k, v in table.items() if k != "overall"}}
        o = table["overall"]
        print(f"{grasp}: success {o['success']:.1f}%, posture {o['posture']:.1f}, touch {o['touch_share']:.1f}% "
              f"of sensors, gate open on {o['gate_open_share']:.1f}% of held steps", flush=True)
        text += [f"## `--grasp {grasp}`", "", evaluate.markdown(table, env.config.objects), ""]
    write_text_atomic(os.path.join(args.out, "oracle_grasps.md"),
                      f"# The oracle's grasps, {args.episodes} yaws per object, 1 kg (`python benchmarks/oracle_grasps.py`)\n\n"
                      + "\n".join(text))
    print("wrote", write_result(args.out, "oracle_grasps", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
