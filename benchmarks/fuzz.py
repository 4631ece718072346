"""Physics faults under extreme actions: are they contained?

    python benchmarks/fuzz.py [--envs 64] [--steps 3200] [--backends mujoco mjx] [--shapes primitive|mesh]

Every env of an auto-resetting batch over all 27 objects is driven by bang-bang actions (each
joint ±1) that switch every 1, 2, 5, 10 or 50 steps (the period cycles over the batch). Counted
per backend: episodes, episodes in which the physics diverged (``metrics["nonfinite"]``), and
whether each divergence was handled: its step's reward is 0, the episode ends there (and the
batch resets it), and every observation and reward the learner sees stays finite. Then three PPO
updates with a policy std of e^2 (its clipped actions are bang-bang too) must leave every parameter
finite. ``--shapes mesh`` drives the 17 mesh objects (and the other 10 from parts) instead of the
primitives; each row names its backend and shapes. Writes benchmarks/results/fuzz_<device>.json.
"""

import argparse
import dataclasses
import json
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

from dexvip_jax import bench, config, envs
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs.wrappers import wrap_for_training
from dexvip_jax.files import result_path, write_result
from dexvip_jax.ppo.train import make_train, settings_from

PERIODS = (1, 2, 5, 10, 50)


def fuzz_env(backend: str, num_envs: int, steps: int, shapes: str = "primitive", seed: int = 0) -> dict:
    env = envs.load("grasp", backend=backend, objects="all", shapes=shapes)
    batched = wrap_for_training(env, num_envs)
    period = jnp.asarray([PERIODS[i % len(PERIODS)] for i in range(num_envs)])

    def run(state, key):
        def body(carry, t):
            s, a, k = carry
            k, sub = jax.random.split(k)
            fresh = jnp.sign(jax.random.uniform(sub, a.shape, minval=-1.0, maxval=1.0))
            a = jnp.where((t % period == 0)[:, None], fresh, a)
            s = batched.step(s, a)
            obs_ok = jnp.stack([jnp.isfinite(v).reshape(num_envs, -1).all(1) for v in jax.tree.leaves(s.obs)]).all(0)
            bad = s.metrics["nonfinite"] > 0
            return (s, a, k), {"diverged": bad, "done": s.done > 0, "reward": s.reward,
                               "finite": obs_ok & jnp.isfinite(s.reward)}

        a0 = jnp.ones((num_envs, env.action_size))
        return jax.lax.scan(body, (state, a0, key), jnp.arange(steps))[1]

    key = jax.random.PRNGKey(seed)
    out = jax.device_get(jax.jit(run)(jax.jit(batched.reset)(key), key))
    diverged, done = np.asarray(out["diverged"]), np.asarray(out["done"])
    return {"backend": backend, "shapes": shapes, "envs": num_envs, "steps_per_env": steps,
            "episodes": int(done.sum()),
            "diverged_steps": int(diverged.sum()),
            "diverged_episodes": int(diverged.sum()),  # a divergence ends its episode: one step each
            "diverged_steps_with_zero_reward": int((diverged & (np.asarray(out["reward"]) == 0)).sum()),
            "diverged_steps_that_ended_the_episode": int((diverged & done).sum()),
            "steps_with_non_finite_obs_or_reward": int((~np.asarray(out["finite"])).sum())}


def fuzz_updates(shapes: str = "primitive", updates: int = 3) -> dict:
    cfg = config.build("cpu", ["num_envs=16", "unroll_length=32", "ppo.init_log_std=2.0", "env.objects=all",
                               "env.demo_start=0", f"env.shapes={shapes}"])  # every episode from the start pose: no oracle states needed
    trainer = make_train(settings_from(cfg), envs.load("grasp", **dataclasses.asdict(cfg.env)))
    state = jax.jit(trainer.init)(jax.random.PRNGKey(0), cfg.reward.as_jax())
    update = jax.jit(trainer.update)
    diverged = 0.0
    for _ in range(updates):
        state, metrics = update(state)
        diverged += float(metrics["env/nonfinite"]) * cfg.steps_per_update
    leaves = jax.tree.leaves(state.params) + jax.tree.leaves(state.opt_state) + jax.tree.leaves(state.obs_stats)
    return {"shapes": shapes, "updates": updates, "policy_std": float(np.exp(2.0)), "diverged_steps_seen": round(diverged),
            "nonfinite_inputs_caught": int(metrics["nonfinite_inputs"]),  # by the trainer's NaN guard, last update
            "non_finite_parameters": int(sum((~np.isfinite(np.asarray(x))).sum() for x in leaves
                                             if np.issubdtype(np.asarray(x).dtype, np.floating)))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", type=int, default=64)
    p.add_argument("--steps", type=int, default=3200, help="per env (200-step episodes)")
    p.add_argument("--backends", nargs="*", default=["mujoco", "mjx"],
                   help="rows of backends (and shapes) not run here are kept from the existing JSON")
    p.add_argument("--shapes", choices=("primitive", "mesh"), default="primitive")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    rows = []
    for b in args.backends:
        rows.append(fuzz_env(b, args.envs, args.steps, args.shapes))
        print(json.dumps(rows[-1]), file=sys.stderr)
    trainers = {args.shapes: fuzz_updates(args.shapes)}
    print(json.dumps(trainers), file=sys.stderr)
    device = bench.device_info()
    previous = result_path(args.out, "fuzz", device)
    if os.path.exists(previous):  # one backend per invocation on a slow machine: keep the other's rows
        with open(previous) as f:
            old = json.load(f)
        rows = [r for r in old["backends"] if r["backend"] not in args.backends
                or r.get("shapes", "primitive") != args.shapes] + rows
        trainers = {**old.get("trainers", {"primitive": old.get("trainer")}), **trainers}
    path = write_result(args.out, "fuzz", {"device": device, "periods": PERIODS, "backends": rows, "trainers": trainers})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
