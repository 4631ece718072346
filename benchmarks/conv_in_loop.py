"""Why the CNN runs as windows x matrix on CPU: the gradient of GRAFF's encoder, 4 minibatches of
64 images, inside a ``lax.scan`` (as in PPO's SGD) and unrolled, for XLA's convolution and the
windowed form; writes benchmarks/results/conv_in_loop_<device>.json.

    python benchmarks/conv_in_loop.py
"""

import json
import os
import sys
import time

import jax
import jax.numpy as jnp

from dexvip_jax import bench
from dexvip_jax.files import write_result
from dexvip_jax.ppo.networks import ActorCritic


def _ms(fn, *args, repeats: int = 3) -> float:
    fn = jax.jit(fn)
    jax.block_until_ready(fn(*args))
    t0 = time.perf_counter()
    for _ in range(repeats):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - t0) / repeats * 1000


def main() -> int:
    batches, batch, size = 4, 64, 64
    key = jax.random.PRNGKey(0)
    obs = {"motor": jnp.zeros((batches, batch, 621)),
           "pixels": jax.random.randint(key, (batches, batch, size, size, 5), 0, 256).astype(jnp.uint8)}
    rows = []
    for impl in ("xla", "patches"):
        net = ActorCritic(30, conv_impl=impl)
        params = net.init(key, jax.tree.map(lambda x: x[0], obs))
        grad = jax.grad(lambda p, o: net.apply(p, o)[2].sum())

        def sgd_step(p, o):
            return jax.tree.map(lambda a, b: a - 1e-3 * b, p, grad(p, o)), None

        def scanned(p, o):
            return jax.lax.scan(sgd_step, p, o)[0]

        def unrolled(p, o):
            return jax.lax.scan(sgd_step, p, o, unroll=True)[0]

        rows.append({"conv_impl": impl, "minibatches": batches, "batch": batch, "image": [size, size, 5],
                     "scan_ms": _ms(scanned, params, obs), "unrolled_ms": _ms(unrolled, params, obs)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    path = write_result(os.path.join(os.path.dirname(__file__), "results"), "conv_in_loop",
                        {"device": bench.device_info(), "results": rows})
    print(f"wrote {path}")
    for r in rows:
        print(f"{r['conv_impl']:8s} 4 SGD steps in a scan {r['scan_ms']:8.1f} ms, unrolled {r['unrolled_ms']:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
