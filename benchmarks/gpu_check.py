"""One prepared check for a lent GPU (``gpu_check.sh`` runs it): MJX env steps/s at 1,024 / 4,096
/ 8,192 envs, the gpu preset's training steps/s at 4,096 envs, a K=8 sweep against 8 sequential
runs, and a raw step of MuJoCo Warp (``impl="warp"``) against MJX's JAX step where warp imports.

    python benchmarks/gpu_check.py             # on the GPU, about 6 min after the compiles
    python benchmarks/gpu_check.py --dry-run   # tiny sizes, any machine (CI runs it on CPU)

``--dry-run`` goes through the MuJoCo C backend unless ``--backend mjx``. Sections run in that
order and each records its own error; a section that would start past
``--budget-s`` is skipped (named in the JSON). The preset trains without demonstration starts here:
they would need an oracle run first and change only what a reset loads. Exit code 1 when any
section failed. Writes benchmarks/results/gpu_check_<device>.json (``--out`` elsewhere).
"""

import argparse
import json
import os
import sys
import time
import traceback

import jax
import jax.numpy as jnp
import numpy as np

from dexvip_jax import bench, config, quiet
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs import scene
from dexvip_jax.files import write_result

SIZES = {
    "full": {"backend": "mjx", "env_batches": [1024, 4096, 8192], "env_steps": 100, "objects": "all", "train_envs": 4096,
             "train_updates": 5, "sweep_k": 8, "sweep_envs": 512, "sweep_updates": 3, "sets": [],
             "warp_envs": 4096, "warp_steps": 100},
    # The dry run checks the script, not MJX (whose compiles take minutes on a CPU and are tested
    # elsewhere): the MuJoCo C backend through the same code.
    "dry": {"backend": "mujoco", "env_batches": [4], "env_steps": 2, "objects": "mug,apple", "train_envs": 4, "train_updates": 1,
            "sweep_k": 2, "sweep_envs": 4, "sweep_updates": 1,
            "sets": ["unroll_length=4", "ppo.num_minibatches=2", "ppo.hidden=32,32"], "warp_envs": 4, "warp_steps": 2},
}
NO_STARTS = "env.demo_start=0"


def raw_step_rate(impl: str, num_envs: int, steps: int) -> float:
    """Env steps/s (5 physics steps each) of ``mjx.step`` alone on the mug scene, batched."""
    mjx = quiet.mjx()
    m = scene.compile_object("mug")
    model = mjx.put_model(m, impl=impl)
    data = jax.vmap(lambda _: mjx.make_data(model, impl=impl))(jnp.arange(num_envs))
    ctrl = jnp.asarray(np.random.default_rng(0).uniform(*m.actuator_ctrlrange.T, size=(num_envs, m.nu)), jnp.float32)

    @jax.jit
    def run(d):
        d = d.replace(ctrl=ctrl)
        return jax.lax.fori_loop(0, steps * 5, lambda _, d: jax.vmap(lambda x: mjx.step(model, x))(d), d)

    jax.block_until_ready(run(data))
    t0 = time.perf_counter()
    jax.block_until_ready(run(data))
    return num_envs * steps / (time.perf_counter() - t0)


def warp_section(size: dict) -> dict:
    try:
        import warp  # noqa: F401  (mujoco-mjx's "warp" extra: warp-lang 1.18.0)
    except ImportError:
        return {"skipped": "warp-lang is not installed: its 1.18.0 wheel is 149 MB, over the device tool's "
                           "64 MiB transfer, and the device has no network"}
    n, steps = size["warp_envs"], size["warp_steps"]
    return {"num_envs": n, "steps": steps, "warp_env_steps_per_s": raw_step_rate("warp", n, steps),
            "jax_env_steps_per_s": raw_step_rate("jax", n, steps)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dry-run", action="store_true", help="tiny sizes: checks that every section runs")
    p.add_argument("--budget-s", type=float, default=420.0, help="start no section after this many seconds")
    p.add_argument("--backend", choices=("mjx", "mujoco"), help="override the physics (default: mjx; mujoco with --dry-run)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    size = dict(SIZES["dry" if args.dry_run else "full"])
    size["backend"] = args.backend or size["backend"]
    t_start = time.perf_counter()

    def env_section():
        return [bench.bench_env(size["backend"], n, size["env_steps"], size["objects"]) for n in size["env_batches"]]

    sets = size["sets"] + [NO_STARTS, f"env.backend={size['backend']}"]

    def train_section():
        return bench.bench_train("gpu", size["train_updates"], sets, rounds=1, num_envs=size["train_envs"],
                                 env__objects=size["objects"])

    def sweep_section():
        cfg = config.build("gpu", sets, num_envs=size["sweep_envs"], env__objects=size["objects"])
        return bench.bench_sweep(cfg, [size["sweep_k"]], size["sweep_updates"])

    sections = {"env": env_section, "train_gpu_preset": train_section, "sweep": sweep_section,
                "warp": lambda: warp_section(size)}
    result = {"device": bench.device_info(), "dry_run": args.dry_run, "sizes": size, "sections": {}}
    failed = False
    for name, fn in sections.items():
        elapsed = time.perf_counter() - t_start
        if elapsed > args.budget_s:
            result["sections"][name] = {"skipped": f"budget: {elapsed:.0f} s had passed (--budget-s {args.budget_s:.0f})"}
            continue
        t0 = time.perf_counter()
        try:
            out = {"result": fn()}
        except Exception as e:  # noqa: BLE001  (one section's failure must not lose the others' figures)
            failed = True
            out = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(limit=8)}
        out["wall_s"] = time.perf_counter() - t0
        result["sections"][name] = out
        print(json.dumps({name: out}, default=str)[:2000], file=sys.stderr, flush=True)
    result["wall_s"] = time.perf_counter() - t_start
    path = write_result(args.out, "gpu_check" + ("_dry_run" if args.dry_run else ""), result)
    print(f"wrote {path} ({result['wall_s']:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
