"""GraspEnv: the Adroit hand grasps one object per episode, Brax ``Env`` contract.

``reset(rng)`` draws an object from the configured subset and a yaw in ``yaw_range_deg``;
``step(state, action)`` maps ``action`` in [-1, 1] to each actuator's ctrlrange and advances
``substeps`` physics steps. Both are pure, jittable and vmappable on either backend. Episode
bookkeeping and auto-reset live in ``wrappers.py``.

The reward is ``sum(w[k] * term_k)`` over ``rewards.TERMS``, each term logged unweighted as
``metrics["reward/<term>"]``; the weights ``w`` are JAX scalars in ``state.info["reward_weights"]``
(the config's ``method`` by default; a trainer passes its own, so a weight sweep is one vmap).
A non-finite physics state ends the episode with zero reward and counts in ``metrics["nonfinite"]``
(a failure, not a time-out); an object pushed off the table counts in ``metrics["dropped"]``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from brax.envs.base import Env, State

from dexvip_jax import rewards, targets
from dexvip_jax.experiments import methods

from dexvip_jax.envs import features as feat
from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs import physics, scene
from dexvip_jax.errors import ConfigError

METRICS = tuple(f"reward/{t}" for t in rewards.TERMS) + (
    "hand_obj_contact", "obj_table_contact", "touch_frac", "obj_height", "nonfinite", "dropped")
OBJ_QPOS = slice(len(scene.JOINTS), len(scene.JOINTS) + 7)  # the object's free joint: pos, quat


@dataclasses.dataclass(frozen=True)
class GraspConfig:
    objects: tuple[str, ...] = zoo.NAMES
    backend: str = "mjx"
    substeps: int = 5  # physics steps of scene.TIMESTEP per control step (0.01 s)
    episode_length: int = 200
    object_mass: float | None = 1.0  # kg, as in the paper; None: each object's real mass
    yaw_range_deg: tuple[float, float] = (0.0, 180.0)
    touch_threshold: float = 0.01  # N; a touch sensor above it is active (backends differ in magnitude)
    nthread: int = 0  # MuJoCo C threads; 0: all cores
    method: str = "dexvip"  # reward weights when none are passed in (a trainer passes its own)
    touch_gate: float = 0.3  # share of touch sensors active that gates the pose term
    aff_threshold: float = 0.05  # m
    com_threshold: float = 0.05  # m
    lift_height: float = 0.02  # m
    drop_height: float = -0.1  # m; an object whose centre is below it has left the table (a metric)
    prior_files: tuple[str, ...] = ()  # priors from `dexvip prior build`, before the shipped prior_data
    finger_weights: tuple[float, float, float, float] = (1.0, 0.75, 0.5, 0.25)  # pose error, root -> tip

    @property
    def reward_params(self) -> rewards.RewardParams:
        return rewards.RewardParams(self.touch_gate, self.aff_threshold, self.com_threshold, self.lift_height,
                                    tuple(self.finger_weights))

    @classmethod
    def make(cls, **overrides) -> "GraspConfig":
        """A validated config; unknown keys and bad values raise a one-line ConfigError."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ConfigError(f"unknown env option(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
        if "objects" in overrides:
            overrides["objects"] = zoo.resolve(overrides["objects"])
        cfg = cls(**overrides)
        if cfg.backend not in physics.BACKENDS:
            raise ConfigError(f"unknown backend {cfg.backend!r}; use 'mjx' (GPU) or 'mujoco' (CPU)")
        if cfg.substeps < 1 or cfg.episode_length < 1:
            raise ConfigError("substeps and episode_length must be positive integers")
        methods.weights(cfg.method)  # a known method
        if cfg.object_mass is not None and not cfg.object_mass > 0:
            raise ConfigError(f"object_mass must be > 0 kg (or None for real masses), got {cfg.object_mass}")
        return cfg


def default_backend() -> str:
    """MJX where an accelerator is visible, MuJoCo C on CPU-only machines."""
    return "mjx" if jax.default_backend() != "cpu" else "mujoco"


class GraspEnv(Env):
    def __init__(self, config: GraspConfig | None = None):
        self.config = config = config or GraspConfig.make()
        models = [scene.compile_object(n, config.object_mass) for n in config.objects]
        self.mj_model = models[0]
        self.layout = scene.sensor_layout(models[0])
        self.physics = (physics.MujocoPhysics(models, config.substeps, config.nthread) if config.backend == "mujoco"
                        else physics.MjxPhysics(models, config.substeps))
        obj_body = self.mj_model.body("object").id
        self._aff = jnp.asarray(np.stack([zoo.affordance_points(zoo.get(n)) for n in config.objects]), jnp.float32)
        self._com = jnp.asarray(np.stack([m.body_ipos[obj_body] for m in models]), jnp.float32)
        lo, hi = self.mj_model.actuator_ctrlrange.T
        self._ctrl_mid = jnp.asarray((lo + hi) / 2, jnp.float32)
        self._ctrl_half = jnp.asarray((hi - lo) / 2, jnp.float32)
        self._qpos0 = jnp.zeros(self.mj_model.nq, jnp.float32)
        self._targets = jnp.asarray(targets.load_targets(config.objects, config.prior_files))
        self.default_weights = {k: jnp.float32(v) for k, v in methods.weights(config.method).items()}

    # -- Brax Env contract ------------------------------------------------------------------

    @property
    def observation_size(self):
        return {"motor": (feat.NUM_JOINTS * 2 + len(scene.OBS_HAND_POINTS) * zoo.NUM_AFFORDANCE_POINTS * 3
                          + len(scene.TOUCH_SITES),)}

    @property
    def action_size(self) -> int:
        return self.mj_model.nu

    @property
    def backend(self) -> str:
        return self.config.backend

    def reset(self, rng: jax.Array, active=True) -> State:
        """``active=False`` may skip the physics work: the caller will discard this state."""
        k_obj, k_yaw = jax.random.split(rng)
        obj = jax.random.randint(k_obj, (), 0, len(self.config.objects))
        lo, hi = np.deg2rad(self.config.yaw_range_deg)
        return self.reset_to(obj, jax.random.uniform(k_yaw, (), minval=lo, maxval=hi), active)

    def reset_to(self, obj: jax.Array, yaw: jax.Array, active=True) -> State:
        """The start state with object ``obj`` (index into ``config.objects``) turned by ``yaw`` rad."""
        quat = jnp.array([jnp.cos(yaw / 2), 0.0, 0.0, jnp.sin(yaw / 2)])
        qpos = self._qpos0.at[OBJ_QPOS].set(jnp.concatenate([jnp.zeros(3), quat]))
        data = self.physics.init(obj, qpos, active)
        f = self.features(obj, data)
        zero = jnp.zeros(())
        metrics = {k: zero for k in METRICS}
        info = {"obj": obj, "yaw": yaw, "rest_height": f.obj_com[2], "reward_weights": self.default_weights}
        return State(pipeline_state=data, obs=self._obs(f), reward=zero, done=zero, metrics=metrics, info=info)

    def step(self, state: State, action: jax.Array, object_force: jax.Array | None = None) -> State:
        """``object_force``: an optional (3,) world force (N) on the object's centre of mass, held for
        this control step (evaluation's stability test)."""
        obj = state.info["obj"]
        ctrl = self._ctrl_mid + jnp.clip(action, -1.0, 1.0) * self._ctrl_half
        data = self.physics.step(obj, state.pipeline_state, ctrl, object_force)
        f = self.features(obj, data)
        t = rewards.terms(f, self._targets[obj], state.info["rest_height"], self.config.reward_params)
        reward = jnp.where(f.nonfinite, 0.0, rewards.total(state.info["reward_weights"], t))
        # A pushed-off object lands on the floor and the episode goes on, its affordance penalty now
        # about 1 per step. Ending the episode there instead was measured to teach the policy to
        # throw objects off the table to stop the per-step penalties: no early exit from a bad state.
        dropped = f.obj_com[2] < self.config.drop_height
        metrics = {
            **{f"reward/{k}": jnp.where(f.nonfinite, 0.0, v) for k, v in t.items()},
            "hand_obj_contact": f.hand_obj_contact.astype(jnp.float32),
            "obj_table_contact": f.obj_table_contact.astype(jnp.float32),
            "touch_frac": f.touch.mean(),
            "obj_height": f.obj_com[2],
            "nonfinite": f.nonfinite.astype(jnp.float32),
            "dropped": dropped.astype(jnp.float32),
        }
        done = f.nonfinite.astype(jnp.float32)
        # Merge, so wrappers that add their own metrics (Brax's do) keep them.
        return state.replace(pipeline_state=data, obs=self._obs(f), reward=reward, done=done,
                             metrics={**state.metrics, **metrics})

    # -- helpers ------------------------------------------------------------------------------

    def features(self, obj: jax.Array, data) -> feat.Features:
        return feat.features(data.qpos, data.qvel, data.sensordata, self._aff[obj], self._com[obj],
                             self.layout, self.config.touch_threshold)

    def _obs(self, f: feat.Features) -> dict[str, jax.Array]:
        return {"motor": feat.motor_obs(f)}
