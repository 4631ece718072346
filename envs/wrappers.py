"""Batched-training wrappers: vmap, episode bookkeeping, auto-reset.

Unlike Brax's ``AutoResetWrapper``, which restores a cached first state (every episode of an env
then sees the same object and yaw), ``AutoResetWrapper`` here calls ``reset`` with a fresh key,
so a new object and yaw are drawn. It wraps the *batched* env and runs the reset under a
``lax.cond`` on "any env done", so on the (many) steps where no episode ends no reset is paid for.

``info`` keys: ``steps`` (in episode), ``truncation`` (1 when the time limit, not a failure, ended
it), ``episode_return``, ``rng`` (per env, for its next reset), ``terminal_obs`` (the observation
the finished episode ended in; ``obs`` then holds the fresh episode's first observation),
``terminal_return`` (the return of the episode as of this step, before any reset).
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp

from dexvip_jax import quiet

quiet.mjx()  # Brax imports MJX: drop its missing-warp notice first
from brax.envs.base import Env, State, Wrapper  # noqa: E402
from brax.envs.wrappers import training as brax_training  # noqa: E402


KEEP_ON_RESET = ("truncation", "reward_weights", "gravity")  # set by the trainer, not the episode


class EpisodeWrapper(Wrapper):
    """Counts steps, ends episodes at ``episode_length``, flags truncation apart from failure."""

    def __init__(self, env: Env, episode_length: int):
        super().__init__(env)
        self.episode_length = episode_length

    def reset(self, rng: jax.Array, **kwargs) -> State:
        state = self.env.reset(rng, **kwargs)
        zero = jnp.zeros(())
        info = {**state.info, "steps": zero, "truncation": zero, "episode_return": zero}
        return state.replace(info=info)

    def step(self, state: State, action: jax.Array) -> State:
        out = self.env.step(state, action)
        steps = state.info["steps"] + 1
        timeout = (steps >= self.episode_length).astype(jnp.float32)
        failed = out.done
        info = {**out.info, "steps": steps, "truncation": timeout * (1.0 - failed),
                "episode_return": state.info["episode_return"] + out.reward}
        return out.replace(done=jnp.maximum(failed, timeout), info=info)


class VmapWrapper(Wrapper):
    """``reset(rng)`` splits one key into ``num_envs`` and vmaps; ``step`` vmaps."""

    def __init__(self, env: Env, num_envs: int):
        super().__init__(env)
        self.num_envs = num_envs

    def reset(self, rng: jax.Array) -> State:
        keys = jax.random.split(rng, self.num_envs)
        state = jax.vmap(self.env.reset)(keys)
        return state.replace(info={**state.info, "rng": jax.vmap(jax.random.fold_in, (0, None))(keys, 1)})

    def step(self, state: State, action: jax.Array) -> State:
        return jax.vmap(self.env.step)(state, action)


class AutoResetWrapper(Wrapper):
    """Resets finished envs of a batched env with fresh draws; keeps their terminal observation."""

    def __init__(self, env: VmapWrapper):
        super().__init__(env)
        self._single_reset = env.env.reset  # the per-env reset under the vmap
        # Our env can skip the physics of resets that will be discarded (under an outer vmap the
        # cond below becomes a select, and every env's reset would otherwise be paid each step).
        self._masked = "active" in inspect.signature(env.unwrapped.reset).parameters

    def reset(self, rng: jax.Array) -> State:
        state = self.env.reset(rng)
        return state.replace(info={**state.info, "terminal_obs": state.obs,
                                   "terminal_return": state.info["episode_return"]})

    def step(self, state: State, action: jax.Array) -> State:
        out = self.env.step(state, action)
        done = out.done > 0
        keys = jax.vmap(jax.random.split)(out.info["rng"])
        out = out.replace(info={**out.info, "terminal_obs": out.obs,
                                "terminal_return": out.info["episode_return"]})

        def pick(new, old):
            mask = done.reshape(done.shape + (1,) * (old.ndim - done.ndim))
            return jnp.where(mask, new, old)

        def reset_done(out: State) -> State:
            if self._masked:
                fresh = jax.vmap(lambda k, a: self._single_reset(k, active=a))(keys[:, 0], done)
            else:
                fresh = jax.vmap(self._single_reset)(keys[:, 0])
            # Fresh object, yaw, physics and counters; the finished transition keeps its flags, and the
            # env keeps the reward weights and gravity share a trainer gave it.
            info = {**out.info, **{k: jax.tree.map(pick, v, out.info[k]) for k, v in fresh.info.items()
                                   if k not in KEEP_ON_RESET}}
            return out.replace(pipeline_state=jax.tree.map(pick, fresh.pipeline_state, out.pipeline_state),
                               obs=jax.tree.map(pick, fresh.obs, out.obs), info=info)

        out = jax.lax.cond(done.any(), reset_done, lambda s: s, out)
        return out.replace(info={**out.info, "rng": keys[:, 1]})


def wrap_for_training(env: Env, num_envs: int, episode_length: int | None = None) -> Env:
    """The batched training env: AutoReset(Vmap(Episode(env)))."""
    length = episode_length or env.config.episode_length
    return AutoResetWrapper(VmapWrapper(EpisodeWrapper(env, length), num_envs))


class BraxAutoReset(Wrapper):
    """For Brax's own trainers (``brax.training.agents.ppo.train(..., wrap_env_fn=wrap_for_brax)``):
    Brax's ``AutoResetWrapper`` restores each env's *first* physics state and observation on done
    and keeps the rest of ``info``, so every episode of an env would repeat one object, yaw and
    start, and our env's joint targets (``info["ctrl"]``) would carry over from the last episode.
    This one resets a finished env with a fresh draw, its whole env ``info`` included, and leaves
    Brax's episode bookkeeping (``steps``, ``truncation``, ``episode_metrics``...) to its
    ``EpisodeWrapper`` below it, whose time-limit flag it also gives as ``info["time_out"]``."""

    def __init__(self, env: Env, single_reset):
        super().__init__(env)
        self._single_reset = single_reset

    def reset(self, rng: jax.Array) -> State:
        state = self.env.reset(rng)  # rng: one key per env, as Brax's trainers pass them
        return state.replace(info={**state.info, "reset_rng": jax.vmap(jax.random.fold_in, (0, None))(rng, 1),
                                   "time_out": jnp.zeros_like(state.done)})

    def step(self, state: State, action: jax.Array) -> State:
        steps = jnp.where(state.done, jnp.zeros_like(state.info["steps"]), state.info["steps"])
        state = state.replace(done=jnp.zeros_like(state.done), info={**state.info, "steps": steps})
        out = self.env.step(state, action)
        done = out.done > 0
        keys = jax.vmap(jax.random.split)(out.info["reset_rng"])

        def pick(new, old):
            return jnp.where(done.reshape(done.shape + (1,) * (old.ndim - done.ndim)), new, old)

        def reset_done(out: State) -> State:
            fresh = jax.vmap(self._single_reset)(keys[:, 0])
            info = {**out.info, **{k: jax.tree.map(pick, v, out.info[k]) for k, v in fresh.info.items()}}
            return out.replace(pipeline_state=jax.tree.map(pick, fresh.pipeline_state, out.pipeline_state),
                               obs=jax.tree.map(pick, fresh.obs, out.obs), info=info)

        out = jax.lax.cond(done.any(), reset_done, lambda s: s, out)
        # Brax's bootstrap_on_timeout reads the time-limit ends as info["time_out"].
        return out.replace(info={**out.info, "reset_rng": keys[:, 1], "time_out": out.info["truncation"]})


def wrap_for_brax(env: Env, episode_length: int = 1000, action_repeat: int = 1, randomization_fn=None) -> Env:
    """Brax's training wrappers (``brax.envs.training.wrap``'s signature) with fresh resets."""
    if randomization_fn is not None:
        raise ValueError("wrap_for_brax: domain randomisation is the env's own (object, yaw); pass none")
    batched = brax_training.EpisodeWrapper(brax_training.VmapWrapper(env), episode_length, action_repeat)
    return BraxAutoReset(batched, env.reset)
