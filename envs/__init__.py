"""MJX environments, installed as ``dexvip_jax.envs``.

``load("grasp", backend="mujoco", objects="mug,pan")`` returns a Brax-compatible env.
"""

from dexvip_jax.errors import ConfigError


def load(name: str, **overrides):
    """Build a registered env by name; keyword overrides set fields of its config."""
    if name != "grasp":
        raise ConfigError(f"unknown env {name!r}; the registered env is 'grasp'")
    from dexvip_jax.envs.grasp import GraspConfig, GraspEnv

    return GraspEnv(GraspConfig.make(**overrides))
