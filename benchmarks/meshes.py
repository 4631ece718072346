"""Mesh objects (``env.shapes=mesh``) against their primitive stand-ins; writes
benchmarks/results/meshes_<device>.json.

    python benchmarks/meshes.py                                   # all parts (2-core CPU: ~30 min)
    python benchmarks/meshes.py --parts oracle,sps                # MuJoCo C only (~5 min)
    python benchmarks/meshes.py --parts mjx-sps                   # MJX, 17 objects in one model
    python benchmarks/meshes.py --parts mjx --mjx-objects mug,apple,hammer --mjx-episodes 8
    python benchmarks/meshes.py --parts mjx --mjx-grasp prior      # the same for the whole-hand grasp
    python benchmarks/meshes.py --parts trace --trace mug:5,6       # where the backends part (~3 min)
    python benchmarks/meshes.py --parts rest --rest-object light_bulb  # one object alone at rest (~2 min)

* ``oracle``: the scripted grasp-and-lift on the 17 mesh objects x ``--episodes`` yaws at 1 kg on
  MuJoCo C, both grasps (``pinch``, ``prior``), on meshes and on the primitives of the same objects;
* ``sps``: env steps/s (batched env, random actions, the 17 objects) on MuJoCo C, both shapes;
* ``mjx-sps``: the same on MJX (all 17 meshes in one compiled model, ``envs/mjx_meshes.py``), with
  its compile time;
* ``mjx``: the oracle's planned actions for ``--mjx-objects`` x ``--mjx-episodes`` yaws replayed on
  MuJoCo C and on MJX (one model for all), per-episode success compared; wall times include compiles;
* ``trace``: for ``--trace OBJECT:EPISODES`` of that plan, the steps each backend's grasp let go
  and the object's height, through ``env.step`` alone (``oracle.backend_traces``);
* ``rest``: ``--rest-object`` alone in its model, 200 zero-action steps (2 s) on each backend: how far
  it moves after the first 0.5 s (the known-answer test's bound is 1 mm), without other objects'
  padded hulls in the MJX model.

Parts not run are kept from the existing JSON.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from dexvip_jax import bench, envs, oracle
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs import meshes, scene
from dexvip_jax.files import result_path, write_result

PARTS = ("oracle", "sps", "mjx-sps", "mjx", "trace", "rest")
MESH_OBJECTS = ",".join(meshes.OBJECTS)


def oracle_tables(episodes: int) -> dict:
    out = {}
    for shapes in ("mesh", "primitive"):
        env = envs.load("grasp", backend="mujoco", objects=MESH_OBJECTS, shapes=shapes)
        for grasp in ("pinch", "prior"):
            t0 = time.perf_counter()
            table = oracle.run(env, episodes, grasp=grasp)["objects"]
            out[f"{shapes}/{grasp}"] = {"overall": table["overall"], "wall_s": time.perf_counter() - t0,
                                        "objects": {k: v for k, v in table.items() if k != "overall"}}
            print(f"oracle {shapes:9s} {grasp:5s} success {table['overall']['success']:5.1f}%  "
                  f"stability {table['overall']['stability']:5.1f}%", flush=True)
    return out


def env_rates(backend: str, batches: list[int], steps: int) -> list[dict]:
    rows = []
    for n in batches:
        for shapes in ("primitive", "mesh"):
            row = bench.bench_env(backend, n, steps, objects=MESH_OBJECTS, shapes=shapes)
            rows.append(row)
            print(f"env {backend:6s} {shapes:9s} {n:4d} envs: {row['env_steps_per_s']:8.0f} steps/s, "
                  f"compile {row['compile_s']:.0f} s", flush=True)
    return rows


def rest_drift(backend: str, name: str, steps: int = 200, settle: int = 50) -> dict:
    """How far ``name``, alone in its model, moves at rest after ``settle`` steps: separates a
    backend's contact from the one-model hull padding (``envs/mjx_meshes.py``)."""
    env = envs.load("grasp", backend=backend, objects=[name])
    qpos = oracle.demonstrations(env, np.array([0]), np.array([0.0]), np.zeros((1, steps, env.action_size), np.float32))["qpos"]
    pos = qpos[0, :, len(scene.JOINTS):len(scene.JOINTS) + 3]  # the object's free joint: its frame origin
    moved = pos[-1] - pos[settle]
    return {"backend": backend, "object": name, "steps": steps, "after_step": settle, "moved_mm": float(1e3 * np.abs(moved).max()),
            "moved_xy_mm": float(1e3 * np.linalg.norm(moved[:2])), "height_m": float(pos[-1, 2])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    p.add_argument("--episodes", type=int, default=4, help="oracle episodes (yaws) per object")
    p.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    p.add_argument("--steps", type=int, default=200, help="timed control steps per env")
    p.add_argument("--mjx-batches", type=int, nargs="+", default=[16], help="envs for --parts mjx-sps")
    p.add_argument("--mjx-steps", type=int, default=20, help="timed control steps per env for --parts mjx-sps")
    p.add_argument("--mjx-objects", default="mug,apple,hammer")
    p.add_argument("--mjx-episodes", type=int, default=8)
    p.add_argument("--mjx-grasp", choices=("pinch", "prior"), default="pinch",
                   help="the oracle's grasp for --parts mjx (prior: the whole hand; kept as backend_agreement_prior)")
    p.add_argument("--trace", default="mug:5,6", help="OBJECT:EPISODES of the mjx plan for --parts trace")
    p.add_argument("--rest-object", default="light_bulb", choices=list(meshes.OBJECTS), help="for --parts rest")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    parts = args.parts.split(",")
    trace_obj, _, picks = args.trace.partition(":")
    picks = picks.split(",")
    if (not parts or any(x not in PARTS for x in parts) or min(args.episodes, args.mjx_episodes, args.steps, args.mjx_steps, *args.batches, *args.mjx_batches) < 1
            or not all(x.isdigit() and int(x) < args.mjx_episodes for x in picks)):
        print(f"error: --parts takes {', '.join(PARTS)}; --episodes, --mjx-episodes, --steps, --mjx-steps, --batches and --mjx-batches must be >= 1; "
              f"--trace takes OBJECT:EPISODES with episodes below --mjx-episodes, e.g. mug:5,6", file=sys.stderr)
        return 2
    enable_compilation_cache(on_cpu=True)
    device = bench.device_info()
    path = result_path(args.out, "meshes", device)
    result = json.load(open(path)) if os.path.exists(path) else {}
    result.update(device=device, objects=list(meshes.OBJECTS), object_mass_kg=1.0)
    if "oracle" in parts:
        result["oracle"] = {"episodes_per_object": args.episodes, **oracle_tables(args.episodes)}
    if "sps" in parts:
        result["env_steps_per_s"] = env_rates("mujoco", args.batches, args.steps)
    if "mjx-sps" in parts:
        result["mjx_env_steps_per_s"] = env_rates("mjx", args.mjx_batches, args.mjx_steps)
    if "mjx" in parts:
        run = oracle.backend_agreement(args.mjx_objects, args.mjx_episodes, grasp=args.mjx_grasp, shapes="mesh")
        total = len(run["mujoco"]["success"])
        same = run["success_agreement"] * total
        key = "backend_agreement" + ("" if args.mjx_grasp == "pinch" else "_prior")
        result[key] = {"episodes": total, "success_agreement": run["success_agreement"], "run": run}
        print(f"MuJoCo C vs MJX on meshes, {args.mjx_grasp} grasp, same plans: success agrees in {same:.0f} of {total} "
              "episodes", flush=True)
    if "trace" in parts:
        result["backend_traces"] = oracle.backend_traces(trace_obj, args.mjx_episodes, [int(x) for x in picks], shapes="mesh")
        for row in result["backend_traces"]["episodes"]:
            print(f"{trace_obj} episode {row['episode']}: " + "; ".join(
                f"{b} success {row[b]['success']}, let go at {row[b]['dropped_at']}" for b in ("mujoco", "mjx")), flush=True)
    if "rest" in parts:
        result["rest_alone"] = [rest_drift(b, args.rest_object) for b in ("mujoco", "mjx")]
        for row in result["rest_alone"]:
            print(f"{args.rest_object} alone at rest, {row['backend']}: moved {row['moved_mm']:.2f} mm "
                  f"after 0.5 s", flush=True)
    print("wrote", write_result(args.out, "meshes", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
