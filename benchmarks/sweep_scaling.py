"""Wall time of K configurations in one vmapped program against K sequential runs.

    python benchmarks/sweep_scaling.py                      # CPU: mujoco backend, K = 1, 2, 4, 8
    python benchmarks/sweep_scaling.py --backend mjx --num-envs 1024 --ks 1 2 4 8   # on a GPU

Each configuration: the same PPO settings with its own reward weights and seed. "sequential" runs
the single-config program K times (compiled once, as a user looping over configs would with a
cache); compile time is shown apart. Writes benchmarks/results/sweep_scaling_<device>.json.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

import jax
import jax.numpy as jnp

from dexvip_jax import bench, config, envs, rewards
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result
from dexvip_jax.ppo.train import make_train, settings_from


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    jax.block_until_ready(out)
    return out, time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default="mujoco", choices=["mujoco", "mjx"])
    p.add_argument("--num-envs", type=int, default=32)
    p.add_argument("--updates", type=int, default=5)
    p.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    cfg = config.build("cpu", [f"num_envs={args.num_envs}", "unroll_length=32", f"env.backend={args.backend}"])
    env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    trainer = make_train(settings_from(cfg), env)
    steps = args.updates * cfg.steps_per_update

    def weights(k):
        return {t: jnp.linspace(0.5, 1.5, k) if t == "pose" else jnp.full(k, getattr(cfg.reward, t), jnp.float32)
                for t in rewards.TERMS}

    # Sequential: the single-config program, compiled once, run K times.
    init1, update1 = jax.jit(trainer.init), jax.jit(trainer.update)
    state, _ = timed(init1, jax.random.PRNGKey(0), cfg.reward.as_jax())
    (state, _), compile1 = timed(update1, state)
    _, run1 = timed(lambda s: [s := update1(s)[0] for _ in range(args.updates)][-1], state)
    rows = []
    for k in args.ks:
        init_k, update_k = jax.jit(jax.vmap(trainer.init)), jax.jit(jax.vmap(trainer.update))
        state_k, _ = timed(init_k, jax.random.split(jax.random.PRNGKey(0), k), weights(k))
        (state_k, _), compile_k = timed(update_k, state_k)
        _, run_k = timed(lambda s: [s := update_k(s)[0] for _ in range(args.updates)][-1], state_k)
        row = {"k": k, "one_program_s": run_k, "one_program_compile_s": compile_k,
               "sequential_s": k * run1, "sequential_compile_s": compile1,
               "speedup": k * run1 / run_k, "env_steps_per_config": steps,
               "steps_per_s_all_configs": k * steps / run_k}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    device = bench.device_info()
    path = write_result(args.out, f"sweep_scaling_{args.backend}", {
        "device": device, "backend": args.backend, "num_envs": args.num_envs, "updates": args.updates, "results": rows})
    print(f"wrote {path}")
    for r in rows:
        print(f"K={r['k']}: one program {r['one_program_s']:.1f} s vs sequential {r['sequential_s']:.1f} s "
              f"(x{r['speedup']:.2f}); compile {r['one_program_compile_s']:.1f} s vs {r['sequential_compile_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
