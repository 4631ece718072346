"""Pixel mode: camera frames/s, env steps/s and training steps/s with the egocentric image, and how
closely the two backends' images agree; writes benchmarks/results/pixels_<device>.json.

    python benchmarks/pixels.py                                    # CPU: 1, 16, 64 envs, both backends
    python benchmarks/pixels.py --batches 256 1024 4096 --backends mjx --train-batches 1024 4096   # GPU

Rows: ``camera_frames_per_s`` (the ray cast + shading alone, over the batch), ``env_steps_per_s``
(physics + camera on the auto-resetting env, random actions) and, for ``--train-batches``, training
steps/s of the full PPO update with the CNN. The agreement row renders all 27 objects mid-way
through a scripted grasp on both backends and counts the pixels that differ.
"""

import argparse
import json
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
from rich.progress import track

from dexvip_jax import bench, envs
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs.scripted import grasp_actions
from dexvip_jax.files import write_result


def agreement(image_size: int, step: int = 20) -> dict:
    """Pixels differing by more than 2 levels between MuJoCo C and MJX, all 27 objects mid-grasp."""
    c_env = envs.load("grasp", backend="mujoco", image_size=image_size)
    x_env = envs.load("grasp", backend="mjx", image_size=image_size)
    objs = jnp.arange(len(c_env.config.objects))
    actions = jnp.asarray(grasp_actions(c_env, step))

    @jax.jit
    def qpos_mid_grasp(objs):
        s = jax.vmap(lambda o: c_env.reset_to(o, jnp.array(0.0)))(objs)
        s = jax.lax.fori_loop(0, step, lambda t, s: jax.vmap(c_env.step, (0, None))(s, actions[t]), s)
        return s.pipeline_state.qpos

    qpos = qpos_mid_grasp(objs)
    images = [np.asarray(jax.jit(lambda o, q, e=e: jax.vmap(e.pixels)(o, jax.vmap(e.physics.init)(o, q)))(objs, qpos))
              for e in (c_env, x_env)]
    diff = np.abs(images[0].astype(int) - images[1].astype(int)).max(-1)
    mask_c, mask_x = images[0][..., 4] > 0, images[1][..., 4] > 0
    return {"image_size": image_size, "objects": int(objs.shape[0]), "pixels": int(diff.size),
            "share_differing_over_2_levels": float((diff > 2).mean()),
            "share_identical": float((diff == 0).mean()),
            "affordance_mask_disagreement": float((mask_c != mask_x).mean()),
            "affordance_pixels": int(mask_c.sum())}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    p.add_argument("--backends", nargs="+", default=["mujoco", "mjx"], choices=["mujoco", "mjx"])
    p.add_argument("--train-batches", type=int, nargs="*", default=[16, 64], help="mujoco on CPU, mjx on GPU")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=50, help="timed control steps per env")
    p.add_argument("--no-agreement", dest="agreement", action="store_false")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    device = bench.device_info()
    objects = "mug,hammer,apple,cell_phone" if device["platform"] == "cpu" else "all"
    train_backend = "mujoco" if device["platform"] == "cpu" else "mjx"
    rows, train_rows = [], []
    for backend, n in track([(b, n) for b in args.backends for n in args.batches], description="env + camera"):
        row = bench.bench_env(backend, n, args.steps, objects, obs="pixels", image_size=args.image_size)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    for n in track(args.train_batches, description="training"):
        row = bench.bench_train(None, 5, env__backend=train_backend, num_envs=n, unroll_length=32,
                                env__objects=objects, env__obs="pixels", env__image_size=args.image_size,
                                ppo__num_minibatches=4 if n * 32 <= 8192 else 32)
        train_rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    result = {"device": device, "image_size": args.image_size, "env": rows, "train": train_rows}
    if args.agreement:
        result["agreement"] = agreement(args.image_size)
    path = write_result(args.out, "pixels", result)
    print(f"wrote {path}")
    for r in rows:
        print(f"{r['backend']:7s} {r['num_envs']:5d} envs  camera {r['camera_frames_per_s']:9,.0f} frames/s  "
              f"env {r['env_steps_per_s']:9,.0f} steps/s  compile {r['compile_s']:5.1f} s")
    for r in train_rows:
        print(f"train {r['backend']:7s} {r['num_envs']:5d} envs  {r['train_steps_per_s']:9,.0f} training steps/s  "
              f"first update after {r['time_to_first_update_s']:.1f} s")
    if args.agreement:
        print(json.dumps(result["agreement"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
