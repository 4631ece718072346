"""Observation and action noise (the robustness tests): what it perturbs, by how much, and what it
must leave alone (the reward and the physics, for observation noise)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dexvip_jax import envs
from dexvip_jax.envs import features as feat
from dexvip_jax.envs.grasp import NOISE
from dexvip_jax.envs.scripted import grasp_actions

T = 30
J = feat.NUM_JOINTS


def _run(**noise):
    env = envs.load("grasp", backend="mujoco", objects="mug", **noise)
    actions = jnp.asarray(grasp_actions(env, T))

    @jax.jit
    def run(key):
        s = env.reset_to(jnp.array(0), jnp.array(0.5), rng=key)

        def body(s, a):
            s = env.step(s, a)
            return s, (s.obs["motor"], s.reward, s.pipeline_state.qpos, s.info["noise"]["frozen"])

        first = (s.obs["motor"], s.reward, s.pipeline_state.qpos, s.info["noise"]["frozen"])
        return jax.tree.map(lambda x, xs: jnp.concatenate([x[None], xs]), first, jax.lax.scan(body, s, actions)[1])

    return [np.asarray(x) for x in run(jax.random.PRNGKey(3))]


@pytest.fixture(scope="module")
def clean():
    return _run()


def test_observation_noise_perturbs_what_the_policy_sees_not_the_reward(clean):
    obs_noise = {k: NOISE[k] for k in ("noise_joints", "noise_velocities", "noise_points")}
    noisy = _run(**obs_noise)
    np.testing.assert_array_equal(noisy[1], clean[1])  # rewards
    np.testing.assert_array_equal(noisy[2], clean[2])  # physics
    d = noisy[0] - clean[0]
    assert np.std(d[:, :J]) == pytest.approx(0.01, rel=0.15)  # joint angles
    assert np.abs(d[:, J:2 * J]).max() > 0  # velocities (clipped to +-1 after the noise)
    offsets = d[:, 2 * J:2 * J + 540].reshape(T + 1, 9, 20, 3)
    # The same tracked point shifts the offsets of all 9 hand points alike: noise on the points, not the hand.
    np.testing.assert_allclose(offsets, np.broadcast_to(offsets[:, :1], offsets.shape), atol=1e-5)
    assert np.std(offsets[:, 0]) == pytest.approx(0.01, rel=0.15)
    np.testing.assert_array_equal(d[:, 2 * J + 540:], 0)  # touch is not perturbed


def test_tracked_points_freeze_for_20_frames(clean):
    frozen = _run(noise_points=0.01, noise_freeze_prob=1.0)[3]  # a freeze starts whenever none runs
    for t in range(1, 21):
        np.testing.assert_array_equal(frozen[t], frozen[0])  # reset's points held for 20 steps
    assert np.abs(frozen[21] - frozen[0]).max() > 1e-4  # then tracking resumes (and freezes again)
    np.testing.assert_array_equal(frozen[22], frozen[21])


def test_action_noise_changes_the_motion_a_little(clean):
    noisy = _run(noise_actions=0.01)
    gap = np.abs(noisy[2][-1, :J] - clean[2][-1, :J])
    assert gap.max() > 1e-5 and gap.max() < 0.1
