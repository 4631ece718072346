"""DAPG (Rajeswaran et al., RSS 2018) on the oracle's demonstrations: data, behaviour cloning, the
demonstration term.

DAPG warm-starts the policy by behaviour cloning, then adds to the policy gradient a term on the
demonstrations, log pi(a_demo | s_demo), weighted lambda0 * lambda1^k at iteration k, next to the
normalised on-policy advantages (the released ``mjrl`` implementation's form). The paper recorded
25 VR demonstrations per ContactDB object and gave each other object those of its most similar
ContactDB object (``source``); here the demonstrations are the scripted oracle's (``dexvip
oracle``), and only episodes that succeed are used.

The demonstrations are traced data (an argument of the jitted update), so ``dapg`` trains in the
same compiled sweep as the reward-only methods: their lambda0 is 0. ``demo_term`` plugs the term
and the cloning into ``make_train``; the run's demonstrations are recorded by ``training.run_demos``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError
from dexvip_jax.ppo.networks import gaussian_log_prob
from dexvip_jax.ppo.train import DemoTerm


def _shape_distance(a: zoo.ObjectSpec, b: zoo.ObjectSpec) -> float:
    """Log-ratio distance of the extents as they stand on the table (x, y, z: a tall bottle is not a
    flat phone), plus 1 when the affordance label differs."""
    size = math.sqrt(sum(math.log(x / y) ** 2 for x, y in zip(a.extent, b.extent)))
    return size + (0.0 if a.affordance == b.affordance else 1.0)


def source(name: str) -> str:
    """The object whose demonstrations ``name`` trains from: itself for a ContactDB-16 object, else
    the ContactDB-16 object nearest in shape (``_shape_distance``: same affordance label, then the
    closest extents), as the paper did for the objects without mocap."""
    obj = zoo.get(name)
    if obj.group == "contactdb16":
        return obj.name
    pool = [o for o in zoo.CATALOGUE if o.group == "contactdb16"]
    return min(pool, key=lambda o: _shape_distance(obj, o)).name


def demo_data(demos: dict, objects, obs_size: int, action_size: int, per_object: int = 25,
              path: str = "demos") -> dict:
    """The (obs, action) pairs DAPG trains on, as float32 arrays: for each run object its source's
    successful episodes (at most ``per_object``), every step. A file that cannot serve the run is
    refused with one line naming the mismatch."""
    if demos["actions"].shape[-1] != action_size:
        raise ConfigError(f"{path}: demonstrations have {demos['actions'].shape[-1]} actions per step, the env "
                          f"takes {action_size}; record them again with `dexvip oracle` for this env")
    if demos["obs"].shape[-1] != obs_size:
        raise ConfigError(f"{path}: demonstrations observe {demos['obs'].shape[-1]} motor values, the env "
                          f"{obs_size}; record them again with `dexvip oracle` for this env")
    for key in ("obs", "actions"):
        if not np.isfinite(demos[key]).all():
            raise ConfigError(f"{path}: demonstration {key} hold NaN or inf; record them again with `dexvip oracle`")
    have = sorted(set(demos["object"].tolist()))
    rows = []
    for name in dict.fromkeys(source(o) for o in objects):
        ok = np.flatnonzero((demos["object"] == name) & demos["success"])[:per_object]
        if not len(ok):
            needed = [o for o in objects if source(o) == name]
            raise ConfigError(f"{path} has no successful demonstration of {name} (the source for "
                              f"{', '.join(needed)}); it has {', '.join(have) or 'none'}: record them with "
                              f"`dexvip oracle --objects {name} --episodes {per_object} --out DIR`")
        rows.append(ok)
    rows = np.concatenate(rows)
    obs, act = demos["obs"][rows], demos["actions"][rows]
    return {"obs": jnp.asarray(obs.reshape(-1, obs.shape[-1]), jnp.float32),
            "action": jnp.asarray(act.reshape(-1, act.shape[-1]), jnp.float32)}


def demo_weight(lambda0, lambda1: float, k) -> jax.Array:
    """lambda0 * lambda1^k: the demonstration term's weight at DAPG iteration ``k`` (a real number:
    env steps so far / steps per iteration)."""
    return lambda0 * jnp.power(lambda1, jnp.asarray(k, jnp.float32))


def demo_log_prob(params, apply_fn, normalize, obs_stats, demos: dict, idx) -> jax.Array:
    """Mean log-likelihood of demonstration actions ``idx`` under the current policy."""
    mean, log_std, _ = apply_fn(params, normalize(obs_stats, {"motor": demos["obs"][idx]}))
    return gaussian_log_prob(demos["action"][idx], mean, log_std).mean()


def behaviour_clone(params, apply_fn, normalize, obs_stats, demos: dict, rng, epochs: int, batch: int,
                    lr: float):
    """Adam on the squared error of the policy mean to the demonstrated actions, ``epochs`` passes
    of random minibatches of ``batch``. Returns (params, loss per step)."""
    n = demos["obs"].shape[0]
    steps = max(1, epochs * n // batch)
    tx = optax.adam(lr)

    def loss(p, idx):
        mean, _, _ = apply_fn(p, normalize(obs_stats, {"motor": demos["obs"][idx]}))
        return jnp.mean((mean - demos["action"][idx]) ** 2)

    def step(carry, key):
        p, opt = carry
        value, grads = jax.value_and_grad(loss)(p, jax.random.randint(key, (batch,), 0, n))
        updates, opt = tx.update(grads, opt, p)
        return (optax.apply_updates(p, updates), opt), value

    (params, _), losses = jax.lax.scan(step, (params, tx.init(params)), jax.random.split(rng, steps))
    return params, losses


def demo_term(d) -> DemoTerm:
    """DAPG's term for ``make_train``, from a ``config.DAPGConfig``: weight lambda0 * lambda1^k,
    k = env steps / ``iteration_steps``, and behaviour cloning with its epochs, batch and lr."""
    return DemoTerm(weight=lambda lambda0, env_steps: demo_weight(lambda0, d.lambda1, env_steps / d.iteration_steps),
                    log_prob=demo_log_prob,
                    clone=functools.partial(behaviour_clone, epochs=d.bc_epochs, batch=d.bc_batch, lr=d.bc_lr))
