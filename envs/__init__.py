"""MJX environments, installed as ``dexvip_jax.envs``.

``load("grasp", backend="mujoco", objects="mug,pan")`` returns a Brax-compatible env.
"""

from dexvip_jax.errors import ConfigError


def load(name: str, **overrides):
    """Build a registered env by name; keyword overrides set fields of its config."""
    if name != "grasp":
        raise ConfigError(f"unknown env {name!r}; the registered env is 'grasp'")
    # Here, not at the top: every import of an envs submodule runs this file first, and the env
    # brings in Brax, MJX and MuJoCo, which `dexvip objects` and the GL choice must not wait for.
    from dexvip_jax.envs.grasp import GraspConfig, GraspEnv

    return GraspEnv(GraspConfig.make(**overrides))
