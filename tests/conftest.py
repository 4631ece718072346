"""Shared, compiled-once fixtures. CPU only; JAX's persistent compilation cache is on."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dexvip_jax import envs  # noqa: E402
from dexvip_jax.cli import enable_compilation_cache  # noqa: E402
from dexvip_jax.envs import demos as demofile  # noqa: E402
from dexvip_jax.envs import objects as zoo  # noqa: E402
from dexvip_jax.envs.scripted import grasp_actions  # noqa: E402

enable_compilation_cache(on_cpu=True)  # the CLI's own default on CPU is off

T_REST = 200  # one full episode of control steps
T_AGREE = 40  # control steps over which the two backends must agree (the damped arm reaches in ~30)


def make_rollout(env):
    """Jitted: reset each env to (obj, yaw), apply actions [T, B, nu], return per-step traces."""

    def traces(objs, yaws, actions):
        state = jax.vmap(env.reset_to)(objs, yaws)

        def body(s, a):
            s = jax.vmap(env.step)(s, a)
            f = jax.vmap(env.features)(s.info["obj"], s.pipeline_state)
            return s, {"qpos": s.pipeline_state.qpos, "touch": f.touch, "hand_obj": f.hand_obj_contact,
                       "obj_table": f.obj_table_contact, "reward": s.reward, "done": s.done,
                       "obj_pos": f.obj_pos, "nonfinite": f.nonfinite}

        return jax.lax.scan(body, state, actions)[1]

    compiled = jax.jit(traces)
    return lambda *args: jax.tree.map(np.asarray, compiled(*args))


@pytest.fixture(scope="session")
def all_objects():
    return jnp.arange(len(zoo.NAMES)), jnp.zeros(len(zoo.NAMES))


def _traces(backend, all_objects, shapes="primitive"):
    # The primitives' tests hold their labelled parts; the meshes', people's contacts (the defaults).
    env = envs.load("grasp", backend=backend, shapes=shapes, affordances="parts" if shapes == "primitive" else "human")
    rollout = make_rollout(env)
    objs, yaws = all_objects
    n = len(objs)
    zero = np.zeros((T_REST, n, env.action_size), np.float32)
    grasp = np.repeat(grasp_actions(env, T_AGREE)[:, None], n, axis=1)
    return env, rollout(objs, yaws, zero), rollout(objs, yaws, grasp)


@pytest.fixture(scope="session")
def mujoco_traces(all_objects):
    """(env, zero-action traces, scripted-grasp traces) on the MuJoCo C backend, one env per object."""
    return _traces("mujoco", all_objects)


@pytest.fixture(scope="session")
def mujoco_mesh_traces(all_objects):
    """The same with ``shapes="mesh"`` (the 17 objects with a real mesh as that mesh) and
    human-contact affordances: the env's defaults."""
    return _traces("mujoco", all_objects, "mesh")


@pytest.fixture(scope="session")
def mjx_traces(all_objects):
    """The same on MJX (compiles two programs, ~1 min on 2 CPU cores without the cache)."""
    return _traces("mjx", all_objects)


@pytest.fixture(scope="session")
def mjx_mesh_rest(all_objects):
    """Zero-action traces (``T_REST`` steps) on MJX with the meshes, every object in one model."""
    env = envs.load("grasp", backend="mjx", shapes="mesh")
    objs, yaws = all_objects
    return make_rollout(env)(objs, yaws, np.zeros((T_REST, len(objs), env.action_size), np.float32))


def write_synthetic_demos(env, path, names=None):
    """A demos.npz of real env observations under a fixed smooth action sequence, every episode
    marked successful and, with ``names``, relabelled as those objects (two episodes each): for
    tests of DAPG's format and arithmetic, not of the oracle's grasps (tests/test_oracle.py)."""
    from dexvip_jax import oracle

    names = list(names or env.config.objects)
    objs = np.repeat(np.arange(len(names)) % len(env.config.objects), 2)
    yaws = np.linspace(0.0, 2.0, len(objs))
    phase = (np.linspace(0, 3, env.config.episode_length)[None, :, None]
             + np.arange(env.action_size)[None, None] / 7 + yaws[:, None, None])
    demos = oracle.demonstrations(env, objs, yaws, (0.6 * np.sin(phase)).astype(np.float32))
    demos["success"] = np.ones(len(objs), bool)
    demos["object"] = np.repeat(np.array(names), 2)
    return demofile.save(str(path), demos)
