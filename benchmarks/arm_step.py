"""The arm's step response: overshoot and rise time of each arm joint under a step of its target,
for several damping values of the three arm slides (``scene.Physics.slide_damping``).

    python benchmarks/arm_step.py [--damping 20,40,60,80,100]

Each joint starts at rest in the start pose (mug on the table, out of reach) and its target jumps
by ``STEPS[joint]``; overshoot is the largest excursion past the target as a share of the step,
rise time the first time the joint covers 90% of it. Writes ``benchmarks/results/arm_step_<device>.json``.
"""

import argparse
import os
import sys

import mujoco
import numpy as np

from dexvip_jax import bench
from dexvip_jax.envs import scene
from dexvip_jax.files import write_result

STEPS = {"ARTx": 0.1, "ARTy": 0.1, "ARTz": 0.2, "ARRx": 0.3, "ARRz": 0.3}  # m or rad
SECONDS = 1.0


def response(physics: scene.Physics, joint: str, step: float) -> dict:
    m = scene.compile_object("mug", 1.0, physics)
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    adr = m.jnt_qposadr[m.joint(joint).id]
    q0 = d.qpos[adr]
    d.ctrl[m.actuator("A_" + joint).id] = step
    moved = []
    for _ in range(int(SECONDS / m.opt.timestep)):
        mujoco.mj_step(m, d)
        moved.append(d.qpos[adr] - q0)
    moved = np.array(moved)
    return {"overshoot_pct": float(100 * max(moved.max() / step - 1, 0.0)),
            "rise_90_s": float(np.argmax(moved >= 0.9 * step) * m.opt.timestep)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--damping", default="20,40,60,80,100", help="slide damping values, N s/m")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    rows = []
    for damping in (float(x) for x in args.damping.split(",")):
        physics = scene.Physics(slide_damping=damping)
        row = {"slide_damping": damping, **{j: response(physics, j, s) for j, s in STEPS.items()}}
        rows.append(row)
        print(f"slide damping {damping:5.0f}: " + ", ".join(
            f"{j} {row[j]['overshoot_pct']:.0f}% / {row[j]['rise_90_s']:.2f} s" for j in STEPS), flush=True)
    result = {"device": bench.device_info(), "steps": STEPS, "default": scene.Physics().slide_damping, "results": rows}
    print("wrote", write_result(args.out, "arm_step", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
