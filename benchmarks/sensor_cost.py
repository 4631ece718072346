"""What the contact sensors behind "hand touches object" cost MuJoCo C, and what the tuned physics costs.

    python benchmarks/sensor_cost.py

Raw ``mujoco.rollout`` (2 threads, 64 envs x 100 control steps of 5 substeps, uniform random
controls, the mug) on three models: as shipped by ``scene`` (72 hand x slot contact sensors, tuned
physics), the same without the 72 sensors, and with the Adroit model's own physics values.
Writes ``benchmarks/results/sensor_cost_<device>.json``.
"""

import os
import sys
import time

import mujoco
import mujoco.rollout
import numpy as np

from dexvip_jax import bench
from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs import scene
from dexvip_jax.files import write_result


def model(physics: scene.Physics, hand_sensors: bool = True) -> mujoco.MjModel:
    spec = scene._base_spec(physics)
    scene._fill_slots(spec, zoo.get("mug"), 1.0)
    if not hand_sensors:
        for s in [s for s in spec.sensors if s.name.startswith("hand_")]:
            spec.delete(s)
    return spec.compile()


def env_steps_per_s(m: mujoco.MjModel, envs: int = 64, steps: int = 100, repeats: int = 3) -> float:
    rng = np.random.default_rng(0)
    d = mujoco.MjData(m)
    d.qpos[len(scene.JOINTS) + 3] = 1.0
    mujoco.mj_forward(m, d)
    kind = mujoco.mjtState.mjSTATE_FULLPHYSICS
    state = np.zeros((envs, mujoco.mj_stateSize(m, kind)))
    mujoco.mj_getState(m, d, state[0], kind)
    state[:] = state[0]
    lo, hi = m.actuator_ctrlrange.T
    ctrl = rng.uniform(lo, hi, (envs, steps * 5, m.nu))
    datas = [mujoco.MjData(m) for _ in range(2)]
    runner = mujoco.rollout.Rollout(nthread=2)
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        runner.rollout([m] * envs, datas, state, ctrl, nstep=steps * 5)
        best = max(best, envs * steps / (time.perf_counter() - t0))
    return best


def main() -> int:
    rows = {"scene as shipped (72 hand-object contact sensors, tuned physics)": model(scene.Physics()),
            "without the 72 hand-object contact sensors": model(scene.Physics(), hand_sensors=False),
            "with the Adroit model's own physics values": model(scene.Physics.shipped())}
    result = {"device": bench.device_info(), "env_steps_per_s": {}}
    for label, m in rows.items():
        result["env_steps_per_s"][label] = env_steps_per_s(m)
        print(f"{label:70s} {result['env_steps_per_s'][label]:8,.0f} env steps/s")
    print("wrote", write_result(os.path.join(os.path.dirname(__file__), "results"), "sensor_cost", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
