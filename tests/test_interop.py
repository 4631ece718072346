"""Our env under Brax's PPO, and our PPO on a peer's standard task."""

import functools

import jax
import numpy as np
import pytest

from dexvip_jax import envs
from dexvip_jax.config import PPOConfig
from dexvip_jax.ppo.train import Settings, make_train


def test_brax_ppo_trains_on_grasp_env():
    from brax.training.agents.ppo import networks as bnet
    from brax.training.agents.ppo import train as bppo

    env = envs.load("grasp", backend="mujoco", objects="mug,apple", episode_length=20)
    progress = []
    make_policy, params, metrics = bppo.train(
        environment=env, num_timesteps=640, episode_length=20, num_envs=8, batch_size=8, num_minibatches=2,
        unroll_length=10, num_updates_per_batch=1, num_evals=2, normalize_observations=True, seed=0,
        progress_fn=lambda step, m: progress.append(step),
        network_factory=functools.partial(bnet.make_ppo_networks, policy_hidden_layer_sizes=(32,),
                                          value_hidden_layer_sizes=(32,), policy_obs_key="motor",
                                          value_obs_key="motor"))
    assert progress[-1] >= 640 and "eval/episode_reward/succ" in metrics  # our metrics reach Brax's logs
    policy = make_policy(params, deterministic=True)
    state = env.reset(jax.random.PRNGKey(0))
    action, _ = policy(state.obs, jax.random.PRNGKey(1))
    assert action.shape == (env.action_size,) and np.isfinite(action).all()


@pytest.mark.slow
def test_our_ppo_solves_brax_inverted_pendulum():
    """Brax's inverted pendulum: +1 per step upright, 1000-step episodes; solved = 1000."""
    from brax import envs as brax_envs

    env = brax_envs.get_environment("inverted_pendulum", backend="positional")
    settings = Settings(PPOConfig(learning_rate=3e-4, hidden=(64, 64), entropy_coef=0.0), num_envs=32,
                        unroll_length=64, episode_length=1000, eval_envs=8)
    trainer = make_train(settings, env)
    state = jax.jit(trainer.init)(jax.random.PRNGKey(0))
    update = jax.jit(trainer.update)
    for _ in range(100):  # 204,800 env steps
        state, _ = update(state)
    result = jax.jit(trainer.evaluate)(state, jax.random.PRNGKey(1))
    assert float(result["eval/episode_return"]) >= 950.0
