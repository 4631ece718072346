"""A one-update policy lag (``ppo.policy_lag``): learn from the last batch while collecting the next.

PPO alternates: collect a batch with the policy, then learn from it, and the physics waits for the
SGD. With a lag of one update, as in asynchronous PPO, batch k+1 is collected with the policy
that collected batch k while the SGD learns from batch k, the two in separate threads, so each can
use the cores the other leaves idle (``bench.profile_update`` measures how many). PPO's ratio is
taken against the policy that collected the batch, so the update stays PPO's; what changes is
that each batch is one update staler. The state carries the batch not yet learned from
(``TrainingState.pending``), so a checkpoint resumes the lagged run exactly; a run collects one
batch more than it learns from.
"""

from __future__ import annotations

import concurrent.futures

import jax


class LaggedStep:
    """``step(state, demos=None) -> (state, metrics)`` with ``Trainer.update``'s signature, lagged.
    ``state`` must come from ``prime``. Close it (or use it as a context manager) to end its thread."""

    def __init__(self, trainer):
        self._collect, self._learn = jax.jit(trainer.collect), jax.jit(trainer.learn)
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dexvip-learn")

    def prime(self, state):
        """``state`` with its first batch collected (and not yet learned from)."""
        collected, traj = self._collect(state)
        return collected.replace(pending=traj)

    def __call__(self, state, demos=None):
        if state.pending is None:
            raise ValueError("a policy-lag step needs a primed state: LaggedStep.prime(state) first")
        now = state.replace(pending=None)
        learning = self._pool.submit(lambda: jax.block_until_ready(self._learn(now, state.pending, demos)))
        collected, traj = jax.block_until_ready(self._collect(now))
        learned, metrics = learning.result()
        return learned.replace(env_state=collected.env_state, rng=collected.rng, pending=traj), metrics

    def close(self):
        self._pool.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
