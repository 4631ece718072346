"""How many of the 21 touch sensors a grasp that lifts the object keeps active, against the pose
term's gate (``env.touch_gate``: DexVIP's R_pose acts only at or above that share).

    python benchmarks/touch_share.py [--preset cpu] [--episodes 8] [--demos NPZ]

Takes the scripted oracle's successful grasps of the preset's objects (recorded here, MuJoCo C,
~20 s for 4 objects x 8 yaws, unless ``--demos`` gives a `dexvip oracle` demos.npz) and counts,
over the steps that hold the object, the active sensors: a histogram of the count, the share of
held steps that open the gate, and each sensor's share. Writes
benchmarks/results/touch_share_<preset>_<device>.json.
"""

import argparse
import dataclasses
import os
import sys
import tempfile

import numpy as np

from dexvip_jax import bench, config, envs, oracle, training
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs import features as feat
from dexvip_jax.envs import demos as demofile
from dexvip_jax.envs import scene
from dexvip_jax.files import write_result

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def touch_slice(env) -> slice:
    """Where the touch activations sit in the motor observation (its last block, ``feat.motor_obs``)."""
    import jax.numpy as jnp

    s = env.reset_to(jnp.array(0), jnp.array(0.0))
    f = env.features(s.info["obj"], s.pipeline_state)
    end = feat.motor_obs(f).shape[0]
    return slice(end - f.touch.shape[0], end)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu", choices=list(config.PRESETS))
    p.add_argument("--episodes", type=int, default=training.START_EPISODES,
                   help="oracle episodes (yaws) per object (default: as many as training records)")
    p.add_argument("--demos", help="a demos.npz to read instead of recording one")
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    env_cfg = dataclasses.replace(config.build(args.preset).env, backend="mujoco", demo_start=0.0)
    env = envs.load("grasp", **dataclasses.asdict(env_cfg))
    path = args.demos
    if path is None:
        with tempfile.TemporaryDirectory() as tmp:
            oracle.oracle(env_cfg, args.episodes, 1.0, tmp)
            demos = demofile.load(os.path.join(tmp, "demos.npz"))
    else:
        demos = demofile.load(path)
    touch = demos["obs"][..., touch_slice(env)]
    if not np.isin(touch, (0.0, 1.0)).all():
        raise SystemExit(f"{path}: its touch block is not 0/1 activations; record it with this version")
    held = demos["held"]
    if not held.any():
        raise SystemExit(f"{path or 'the oracle'}: no step holds an object; nothing to count")
    active = touch[held]  # (held steps, 21)
    count = active.sum(-1).astype(int)
    gate = env_cfg.touch_gate
    result = {"device": bench.device_info(), "preset": args.preset, "objects": list(env_cfg.objects),
              "episodes": int(len(held)), "successful": int(demos["success"].sum()), "held_steps": int(held.sum()),
              "touch_gate": gate, "sensors_to_open_gate": int(np.ceil(gate * len(scene.TOUCH_SITES) - 1e-9)),
              "active_count_histogram": np.bincount(count, minlength=len(scene.TOUCH_SITES) + 1).tolist(),
              "active_count_mean": float(count.mean()),
              "held_steps_opening_gate": float((active.mean(-1) >= gate).mean()),
              "sensor_share": dict(zip(scene.TOUCH_SITES, active.mean(0).round(3).tolist()))}
    out = write_result(os.path.join(ROOT, "benchmarks", "results"), f"touch_share_{args.preset}", result)
    print(f"{result['held_steps']} held steps of {result['successful']} successful oracle episodes: "
          f"{result['active_count_mean']:.2f} of {len(scene.TOUCH_SITES)} sensors active on average, "
          f"{100 * result['held_steps_opening_gate']:.1f}% of the steps open the {gate:.0%} gate\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
