"""How often random actions drive the physics non-finite, per object; writes JSON.

    python benchmarks/stability.py --episodes-per-object 40 --backend mujoco

Uniform random actions in [-1, 1] every control step are far more violent than a policy's,
so this bounds how often an episode ends early on a diverged state (``metrics["nonfinite"]``).
"""

import argparse
import collections
import os
import sys

import jax
import numpy as np

from dexvip_jax import bench, envs
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result
from dexvip_jax.envs import objects as zoo


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes-per-object", type=int, default=40)
    p.add_argument("--backend", default="mujoco", choices=["mujoco", "mjx"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    env = envs.load("grasp", backend=args.backend)
    n_obj = len(zoo.NAMES)
    n = n_obj * args.episodes_per_object
    objs = np.tile(np.arange(n_obj), args.episodes_per_object)
    yaws = np.linspace(0.0, np.pi, n)

    @jax.jit
    def run(key):
        state = jax.vmap(env.reset_to)(objs, yaws)

        def body(s, k):
            a = jax.random.uniform(k, (n, env.action_size), minval=-1.0, maxval=1.0)
            s = jax.vmap(env.step)(s, a)
            return s, s.metrics["nonfinite"]

        return jax.lax.scan(body, state, jax.random.split(key, env.config.episode_length))[1]

    diverged = np.asarray(run(jax.random.PRNGKey(args.seed))).any(axis=0)
    per_object = collections.Counter(str(zoo.NAMES[i]) for i in objs[diverged])
    result = {"device": bench.device_info(), "backend": args.backend, "episodes": n,
              "steps_per_episode": env.config.episode_length, "nonfinite_episodes": int(diverged.sum()),
              "nonfinite_by_object": dict(per_object), "seed": args.seed}
    path = write_result(args.out, f"stability_{args.backend}", result)
    print(f"{result['nonfinite_episodes']} of {n} random-action episodes went non-finite {dict(per_object)}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
