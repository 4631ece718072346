"""Our env under Brax's PPO, and our PPO on a peer's standard task."""

import functools

import jax
import numpy as np
import pytest

from dexvip_jax import envs
from dexvip_jax.config import PPOConfig
from dexvip_jax.envs.wrappers import wrap_for_brax
from dexvip_jax.ppo.train import Settings, make_train


def test_brax_wrapper_resets_with_fresh_draws():
    """Under ``wrap_for_brax`` a finished episode starts afresh: a new yaw (and object) draw and the
    start pose's joint targets, not the first episode's state again nor the last one's targets."""
    env = envs.load("grasp", backend="mujoco", objects="mug,apple,hammer")
    wrapped = wrap_for_brax(env, episode_length=3)
    n = 4
    state = jax.jit(wrapped.reset)(jax.random.split(jax.random.PRNGKey(0), n))
    step = jax.jit(wrapped.step)
    start_ctrl = np.asarray(state.info["ctrl"])
    yaws = [np.asarray(state.info["yaw"])]
    for t in range(6):
        state = step(state, np.ones((n, env.action_size), np.float32))  # every step moves the targets
        if t in (2, 5):  # the episode's last step: the env was reset with a fresh draw
            assert np.asarray(state.done).all() and (np.asarray(state.info["steps"]) == 3).all()
            np.testing.assert_array_equal(np.asarray(state.info["ctrl"]), start_ctrl)
            yaws.append(np.asarray(state.info["yaw"]))
        else:
            assert not np.allclose(np.asarray(state.info["ctrl"]), start_ctrl)
    assert (yaws[0] != yaws[1]).all() and (yaws[1] != yaws[2]).all()
    state = step(state, np.zeros((n, env.action_size), np.float32))
    assert (np.asarray(state.info["steps"]) == 1).all()  # Brax's counter starts again


def test_brax_ppo_trains_on_grasp_env():
    from brax.training.agents.ppo import networks as bnet
    from brax.training.agents.ppo import train as bppo

    env = envs.load("grasp", backend="mujoco", objects="mug,apple", episode_length=20)
    progress = []
    make_policy, params, metrics = bppo.train(
        environment=env, num_timesteps=640, episode_length=20, num_envs=8, batch_size=8, num_minibatches=2,
        unroll_length=10, num_updates_per_batch=1, num_evals=2, normalize_observations=True, seed=0,
        progress_fn=lambda step, m: progress.append(step), wrap_env_fn=wrap_for_brax,
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
