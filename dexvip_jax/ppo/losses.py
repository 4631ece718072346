"""GAE and the clipped PPO loss, as pure functions of arrays (testable without an env)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from dexvip_jax.ppo.networks import gaussian_entropy, gaussian_log_prob


def gae(rewards, values, next_values, terminations, episode_ends, gamma, lam):
    """Generalised advantage estimation over time-major arrays [T, ...].

    ``next_values[t]`` is V of the observation step t ended in (the terminal observation when an
    episode ended there), ``terminations`` cut the bootstrap (a failure), ``episode_ends`` cut the
    trace (failure or time limit). A time-limit end thus still bootstraps from V(terminal obs).
    Returns (advantages, value targets).
    """
    deltas = rewards + gamma * (1.0 - terminations) * next_values - values

    def back(carry, x):
        delta, end = x
        adv = delta + gamma * lam * (1.0 - end) * carry
        return adv, adv

    _, adv = jax.lax.scan(back, jnp.zeros_like(deltas[0]), (deltas, episode_ends), reverse=True)
    return adv, adv + values


def ppo_loss(params, apply_fn, batch, clip, value_coef, entropy_coef, clip_value, normalize_advantages):
    """Clipped surrogate + (optionally clipped) value loss - entropy bonus. Returns (loss, metrics)."""
    mean, log_std, value = apply_fn(params, batch["obs"])
    logp = gaussian_log_prob(batch["action"], mean, log_std)
    ratio = jnp.exp(logp - batch["logp"])
    adv = batch["advantage"]
    if normalize_advantages:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    policy_loss = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - clip, 1 + clip) * adv).mean()
    v_err = (value - batch["target"]) ** 2
    if clip_value:
        v_clipped = batch["value"] + jnp.clip(value - batch["value"], -clip, clip)
        v_err = jnp.maximum(v_err, (v_clipped - batch["target"]) ** 2)
    value_loss = 0.5 * v_err.mean()
    entropy = gaussian_entropy(log_std).mean()
    loss = policy_loss + value_coef * value_loss - entropy_coef * entropy
    metrics = {"loss/policy": policy_loss, "loss/value": value_loss, "loss/entropy": entropy,
               "loss/approx_kl": ((ratio - 1) - jnp.log(ratio)).mean(),
               "loss/clip_frac": (jnp.abs(ratio - 1) > clip).mean()}
    return loss, metrics
