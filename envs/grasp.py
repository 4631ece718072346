"""GraspEnv: the Adroit hand grasps one object per episode, Brax ``Env`` contract.

``reset(rng)`` draws an object from the configured subset and a yaw in ``yaw_range_deg``;
``step(state, action)`` maps ``action`` in [-1, 1] to each actuator's ctrlrange and advances
``substeps`` physics steps. Both are pure, jittable and vmappable on either backend. Episode
bookkeeping and auto-reset live in ``wrappers.py``.

The reward is ``sum(w[k] * term_k)`` over ``rewards.TERMS``, each term logged unweighted as
``metrics["reward/<term>"]``; the weights ``w`` are JAX scalars in ``state.info["reward_weights"]``
(the config's ``method`` by default; a trainer passes its own, so a weight sweep is one vmap).
``config.obs="pixels"`` adds the egocentric camera's (H, W, 5) uint8 image to the observation
(``camera.py``). Observation and action noise (``noise_*`` options, off by default) perturb what
the policy sees and does, never the reward; their RNG and tracker freezes live in ``info["noise"]``.
A non-finite physics state ends the episode with zero reward and counts in ``metrics["nonfinite"]``
(a failure, not a time-out); an object pushed off the table counts in ``metrics["dropped"]``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from dexvip_jax import quiet

quiet.mjx()  # Brax imports MJX: drop its missing-warp notice first
from brax.envs.base import Env, State  # noqa: E402

from dexvip_jax import rewards, targets
from dexvip_jax.experiments import methods

from dexvip_jax.envs import camera
from dexvip_jax.envs import demos as demos_lib
from dexvip_jax.envs import features as feat
from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs import grasp_plan, meshes, physics, scene
from dexvip_jax.errors import ConfigError
from dexvip_jax.ranges import check_ranges

METRICS = tuple(f"reward/{t}" for t in rewards.TERMS) + (
    "held", "hand_obj_contact", "obj_table_contact", "touch_frac", "gate_open", "posture", "obj_height", "nonfinite",
    "dropped")
OBJ_QPOS = slice(len(scene.JOINTS), len(scene.JOINTS) + 7)  # the object's free joint: pos, quat
OBJ_QVEL = slice(len(scene.JOINTS), len(scene.JOINTS) + 3)  # its linear velocity
PRIVILEGED_SIZE = 10


# The paper's noise levels; ``noise_freeze_prob`` (how often the tracker freezes) is our choice,
# the paper gives only the 20-frame length: about two freezes per 200-step episode.
NOISE = {"noise_joints": 0.01, "noise_velocities": 0.01, "noise_actions": 0.01, "noise_points": 0.01,
         "noise_freeze_prob": 0.01, "noise_freeze_frames": 20, "noise_pixels": 5}


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
    lift_height: float = 0.02  # m above rest that counts as lifted (``rewards.held``)
    reach_scale: float = rewards.RewardParams.reach_scale  # m; the shared ``reach`` shaping's scale
    drop_height: float = -0.1  # m; an object whose centre is below it has left the table (a metric)
    prior_files: tuple[str, ...] = ()  # priors from `dexvip prior build`, before the shipped prior_data
    # "mocap": real human grasps (GRAB) for the 17 objects they cover, synthetic for the rest;
    # "synthetic": the synthetic stand-ins for all (``targets.py``).
    prior_source: str = "mocap"
    finger_weights: tuple[float, float, float, float] = (1.0, 0.75, 0.5, 0.25)  # pose error, root -> tip
    obs: str = "state"  # "state": the motor vector; "pixels": plus the egocentric RGB-D + affordance image
    # An asymmetric critic: ``obs["privileged"]`` (the critic's only) holds what the policy is not
    # given: height above rest, object velocity, palm-to-centre-of-mass vector, contact and held flags.
    privileged: bool = True
    image_size: int = 64  # pixels per side of the egocentric image (the paper used 128)
    depth_max: float = 0.5  # m; the depth channel's range (the hand works within ~0.3 m of what it sees)
    # Noise (GRAFF/DexVIP robustness tests): Gaussian std on observed joint angles (rad) and
    # velocities and on actions; on the tracked affordance points (m), which also freeze for
    # ``noise_freeze_frames`` steps, starting with probability ``noise_freeze_prob`` per step;
    # uniform integer noise of +-``noise_pixels`` on RGB. ``NOISE`` holds the paper's levels.
    noise_joints: float = 0.0
    noise_velocities: float = 0.0
    noise_actions: float = 0.0
    noise_points: float = 0.0
    noise_freeze_prob: float = 0.0
    noise_freeze_frames: int = 20
    noise_pixels: int = 0
    # Actions: "relative" (default): each step moves the joint targets by action x a per-joint
    # step (slides ``step_slide`` m, arm hinges ``step_arm`` rad, wrist and fingers ``step_hand``
    # rad), clipped to the ctrlrange; zero holds the pose; the targets start at the start pose and
    # join the motor observation. "absolute": GRAFF's target = middle + action x half-range.
    actions: str = "relative"
    step_slide: float = 0.01
    step_arm: float = 0.03
    step_hand: float = 0.08
    # Contact, servo and reach settings that are not the paper's (``scene.Physics``; the shipped
    # model's values are ``scene.Physics.shipped()``).
    impratio: float = scene.Physics.impratio
    finger_kp: float = scene.Physics.finger_kp
    finger_damping: float = scene.Physics.finger_damping
    reach_down: float = scene.Physics.reach_down
    hand_friction: float = scene.Physics.hand_friction
    cone: str = scene.Physics.cone
    condim: int = scene.Physics.condim
    iterations: int = scene.Physics.iterations
    slide_damping: float = scene.Physics.slide_damping
    hand_timeconst: float = scene.Physics.hand_timeconst
    # "mesh": the 17 objects with a real mesh (meshes.py, from the installed myosuite) as that
    # mesh, the others from parts; "primitive": every object from its parts (objects.py), as
    # every figure measured before 2026-12-07 was.
    shapes: str = "mesh"
    # The 20 affordance points of R_aff, functionality, the tracked-points features and the
    # camera's affordance channel: "human" (where GRAB's hands touched the 17 objects it covers,
    # ``objects.object_affordances``; labelled parts for the other 10) or "parts" (sampled from
    # each object's labelled part, as before 2026-12-07).
    affordances: str = "human"

    # Training starts (a curriculum; evaluation always starts at the start pose): a share
    # ``demo_start`` of training episodes begins at a random step of a successful episode in
    # ``start_states`` (a `dexvip oracle` demos.npz; a training run records one when it is "").
    start_states: str = ""
    demo_start: float = 0.0
    # The oracle grasp a training run records its starts with (``dexvip oracle --grasp``): "pinch"
    # (fingertips) or "prior" (the whole hand toward the consensus pose). Every method of a sweep
    # shares them.
    start_grasp: str = "pinch"
    # None: a start may be any step of a demonstration; N: only steps up to N past its first held
    # step (more starts where the grasp is made, fewer where the object already hangs in the hand).
    demo_start_held_steps: int | None = None

    @property
    def noisy(self) -> bool:
        return any(getattr(self, k) > 0 for k in NOISE if k != "noise_freeze_frames")

    @property
    def camera(self) -> camera.CameraConfig:
        return camera.CameraConfig(self.image_size, self.image_size, depth_max=self.depth_max)

    @property
    def physics(self) -> scene.Physics:
        return scene.Physics(**{f.name: getattr(self, f.name) for f in dataclasses.fields(scene.Physics)})

    @property
    def ctrl_step(self) -> np.ndarray:
        """(30,) the most each joint target may move in one step under relative actions."""
        return np.array([self.step_slide if n in scene.ARM_JOINTS[:3] else self.step_arm if n in scene.ARM_JOINTS
                         else self.step_hand for n in scene.JOINTS])

    @property
    def max_target_step(self) -> np.ndarray | None:
        """``ctrl_step`` under relative actions; None (any jump) under absolute ones."""
        return self.ctrl_step if self.actions == "relative" else None

    @property
    def reward_params(self) -> rewards.RewardParams:
        return rewards.RewardParams(self.touch_gate, self.aff_threshold, self.com_threshold, self.lift_height,
                                    reach_scale=self.reach_scale, finger_weights=tuple(self.finger_weights))

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
        methods.weights(cfg.method)  # a known method
        if cfg.prior_source not in targets.SOURCES:
            raise ConfigError(f"unknown prior_source {cfg.prior_source!r}; use 'mocap' or 'synthetic'")
        if cfg.shapes not in meshes.SHAPES:
            raise ConfigError(f"unknown shapes {cfg.shapes!r}; use 'primitive' (parts) or 'mesh' (real meshes where they exist)")
        if cfg.affordances not in zoo.AFFORDANCES:
            raise ConfigError(f"unknown affordances {cfg.affordances!r}; use 'parts' (labelled parts) or 'human' (GRAB's contacts)")
        if cfg.obs not in ("state", "pixels"):
            raise ConfigError(f"unknown obs {cfg.obs!r}; use 'state' or 'pixels'")
        if cfg.start_grasp not in grasp_plan.GRASPS:
            raise ConfigError(f"unknown start_grasp {cfg.start_grasp!r}; use 'pinch' (fingertips) or 'prior' (whole hand)")
        if cfg.actions not in ("relative", "absolute"):
            raise ConfigError(f"unknown actions {cfg.actions!r}; use 'relative' (joint-target steps) or 'absolute' (GRAFF)")
        if cfg.object_mass is not None and not cfg.object_mass > 0:  # its own words: None is allowed
            raise ConfigError(f"object_mass must be > 0 kg (or None for real masses), got {cfg.object_mass}")
        check_ranges(cfg, "env.")  # every number finite and in ranges.RANGES, as on the CLI
        # The bounds RANGES has no rule for:
        if not 8 <= cfg.image_size <= 512:
            raise ConfigError(f"image_size must be in 8..512 pixels, got {cfg.image_size}")
        if cfg.cone not in ("pyramidal", "elliptic") or cfg.condim not in (3, 4, 6):
            raise ConfigError(f"cone must be 'pyramidal' or 'elliptic' and condim 3, 4 or 6, got {cfg.cone!r} and {cfg.condim}")
        if not (cfg.impratio >= 1 and cfg.reach_down <= 0.2):
            raise ConfigError(f"impratio must be >= 1 and reach_down in [0, 0.2] m, got {cfg.impratio} and {cfg.reach_down}")
        if cfg.hand_timeconst < 2 * scene.TIMESTEP:  # MuJoCo would silently raise it to that
            raise ConfigError(f"hand_timeconst must be >= {2 * scene.TIMESTEP} s (2 physics steps), "
                              f"got {cfg.hand_timeconst}; e.g. --set env.hand_timeconst=0.01")
        return cfg


def default_backend() -> str:
    """MJX where an accelerator is visible, MuJoCo C on CPU-only machines."""
    return "mjx" if jax.default_backend() != "cpu" else "mujoco"


class GraspEnv(Env):
    def __init__(self, config: GraspConfig | None = None):
        self.config = config = config or GraspConfig.make()
        models = [scene.compile_object(n, config.object_mass, config.physics) for n in config.objects]
        self.mj_model = models[0]
        self.layout = scene.sensor_layout(models[0])
        self.physics = (physics.MujocoPhysics(models, config.substeps, config.nthread) if config.backend == "mujoco"
                        else physics.MjxPhysics(models, config.substeps))
        obj_body = self.mj_model.body("object").id
        self._aff = jnp.asarray(np.stack([zoo.object_affordances(zoo.get(n), config.affordances) for n in config.objects]), jnp.float32)
        self._com = jnp.asarray(np.stack([m.body_ipos[obj_body] for m in models]), jnp.float32)
        self._weight = jnp.asarray([-m.body_mass[obj_body] * m.opt.gravity[2] for m in models], jnp.float32)  # N
        lo, hi = self.mj_model.actuator_ctrlrange.T
        self._ctrl_lo, self._ctrl_hi = jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32)
        self._ctrl_mid = jnp.asarray((lo + hi) / 2, jnp.float32)
        self._ctrl_half = jnp.asarray((hi - lo) / 2, jnp.float32)
        self._ctrl_step = jnp.asarray(config.ctrl_step, jnp.float32)
        self.ctrl0 = jnp.clip(jnp.zeros(len(scene.JOINTS)), self._ctrl_lo, self._ctrl_hi)  # the start pose
        self._qpos0 = jnp.zeros(self.mj_model.nq, jnp.float32)
        self._targets = jnp.asarray(targets.load_targets(config.objects, config.prior_files, config.prior_source))
        self.default_weights = {k: jnp.float32(v) for k, v in methods.weights(config.method).items()}
        self.camera = config.camera
        self._geom_rgb = jnp.asarray(np.stack([m.geom_rgba[:, :3] for m in models]), jnp.float32)
        # Labelled parts: the part's geoms; people's contacts: the whole object, near the points.
        aff_geoms = scene.affordance_geoms if config.affordances == "parts" else scene.object_geoms
        self._geom_aff = jnp.asarray(np.stack([aff_geoms(m) for m in models]))
        self._starts = self._start_states() if config.demo_start > 0 else None

    # -- Brax Env contract ------------------------------------------------------------------

    @property
    def observation_size(self):
        size = {"motor": (feat.NUM_JOINTS * 2 + len(scene.OBS_HAND_POINTS) * zoo.NUM_AFFORDANCE_POINTS * 3
                          + len(scene.TOUCH_SITES) + (feat.NUM_JOINTS if self.relative else 0),)}
        if self.config.obs == "pixels":
            size["pixels"] = (self.camera.height, self.camera.width, len(camera.CHANNELS))
        if self.config.privileged:
            size["privileged"] = (PRIVILEGED_SIZE,)
        return size

    @property
    def relative(self) -> bool:
        return self.config.actions == "relative"

    @property
    def action_size(self) -> int:
        return self.mj_model.nu

    @property
    def backend(self) -> str:
        return self.config.backend

    def reset(self, rng: jax.Array, active=True, demo_start: bool = True) -> State:
        """``active=False`` may skip the physics work: the caller will discard this state. With
        ``config.demo_start`` > 0, that share of episodes starts from a demonstration's state
        instead, unless ``demo_start`` is False (evaluation)."""
        k_obj, k_yaw, k_noise = jax.random.split(rng, 3)
        obj = jax.random.randint(k_obj, (), 0, len(self.config.objects))
        lo, hi = np.deg2rad(self.config.yaw_range_deg)
        yaw = jax.random.uniform(k_yaw, (), minval=lo, maxval=hi)
        if self._starts is None or not demo_start:
            return self.reset_to(obj, yaw, active, k_noise)
        k_use, k_row = jax.random.split(jax.random.fold_in(rng, 1))  # the start-pose draws stay as they were
        row = jax.random.randint(k_row, (), 0, self._starts["obj"].shape[0])
        start = {k: v[row] for k, v in self._starts.items()}
        use = jax.random.uniform(k_use) < self.config.demo_start
        return self.reset_to(jnp.where(use, start["obj"], obj), jnp.where(use, start["yaw"], yaw), active, k_noise,
                             (use, start["qpos"], start["ctrl"]))

    def reset_to(self, obj: jax.Array, yaw: jax.Array, active=True, rng: jax.Array | None = None,
                 start=None) -> State:
        """The start state with object ``obj`` (index into ``config.objects``) turned by ``yaw`` rad;
        ``rng`` seeds the observation noise (only used when noise is on). ``start``: (use, qpos,
        ctrl) of a demonstration state, taken where ``use``."""
        quat = jnp.array([jnp.cos(yaw / 2), 0.0, 0.0, jnp.sin(yaw / 2)])
        qpos, ctrl = self._qpos0.at[OBJ_QPOS].set(jnp.concatenate([jnp.zeros(3), quat])), self.ctrl0
        if start is not None:
            qpos, ctrl = jnp.where(start[0], start[1], qpos), jnp.where(start[0], start[2], ctrl)
        data = self.physics.init(obj, qpos, active)
        f = self.features(obj, data)
        rest = f.obj_com[2] if start is None else jnp.where(start[0], self._com[obj, 2], f.obj_com[2])
        zero = jnp.zeros(())
        metrics = {k: zero for k in METRICS}
        noise = {"rng": jax.random.PRNGKey(0) if rng is None else rng, "frozen": f.aff_points, "freeze_left": zero}
        obs, noise = self._obs(obj, data, f, noise, ctrl, rest, active)
        info = {"obj": obj, "yaw": yaw, "rest_height": rest, "reward_weights": self.default_weights,
                "noise": noise, "ctrl": ctrl, "gravity": jnp.ones(())}
        return State(pipeline_state=data, obs=obs, reward=zero, done=zero, metrics=metrics, info=info)

    def step(self, state: State, action: jax.Array, object_force: jax.Array | None = None) -> State:
        """``object_force``: an optional (3,) world force (N) on the object's centre of mass, held for
        this control step (evaluation's stability test). ``info["gravity"]`` (1 from reset) is the
        share of its weight the object feels: a training curriculum may lighten it (``ppo.train``)."""
        obj, noise = state.info["obj"], state.info["noise"]
        if self.config.noise_actions > 0:
            rng, key = jax.random.split(noise["rng"])
            action = action + self.config.noise_actions * jax.random.normal(key, action.shape)
            noise = {**noise, "rng": rng}
        ctrl = self.ctrl_for_action(action, state.info["ctrl"])
        lighten = jnp.zeros(3).at[2].set((1.0 - state.info["gravity"]) * self._weight[obj])
        data = self.physics.step(obj, state.pipeline_state, ctrl, lighten if object_force is None else object_force + lighten)
        f = self.features(obj, data)
        t = rewards.terms(f, self._targets[obj], state.info["rest_height"], self.config.reward_params)
        reward = jnp.where(f.nonfinite, 0.0, rewards.total(state.info["reward_weights"], t))
        # A pushed-off object lands on the floor and the episode goes on, its affordance penalty now
        # about 1 per step. Ending the episode there instead was measured to teach the policy to
        # throw objects off the table to stop the per-step penalties: no early exit from a bad state.
        dropped = f.obj_com[2] < self.config.drop_height
        metrics = {
            **{f"reward/{k}": jnp.where(f.nonfinite, 0.0, v) for k, v in t.items()},
            "held": jnp.where(f.nonfinite, 0.0, t["succ"]),  # succ is rewards.held, as a float
            "hand_obj_contact": f.hand_obj_contact.astype(jnp.float32),
            "obj_table_contact": f.obj_table_contact.astype(jnp.float32),
            "touch_frac": f.touch.mean(),
            "gate_open": rewards.touching(f, self.config.reward_params).astype(jnp.float32),  # the pose term's gate
            "posture": self.posture(obj, f.joint_angles),
            "obj_height": f.obj_com[2],
            "nonfinite": f.nonfinite.astype(jnp.float32),
            "dropped": dropped.astype(jnp.float32),
        }
        done = f.nonfinite.astype(jnp.float32)
        obs, noise = self._obs(obj, data, f, noise, ctrl, state.info["rest_height"])
        # Merge, so wrappers that add their own metrics (Brax's do) keep them.
        return state.replace(pipeline_state=data, obs=obs, reward=reward, done=done,
                             metrics={**state.metrics, **metrics}, info={**state.info, "noise": noise, "ctrl": ctrl})

    # -- the action mapping ---------------------------------------------------------------------

    def ctrl_for_action(self, action: jax.Array, ctrl: jax.Array) -> jax.Array:
        """Actuator targets after ``action`` in [-1, 1], from the current targets ``ctrl``."""
        a = jnp.clip(action, -1.0, 1.0)
        if self.relative:
            return jnp.clip(ctrl + a * self._ctrl_step, self._ctrl_lo, self._ctrl_hi)
        return self._ctrl_mid + a * self._ctrl_half

    def action_for_ctrl(self, target: jax.Array, ctrl: jax.Array) -> jax.Array:
        """The inverse of ``ctrl_for_action`` (clipped to [-1, 1]): the action that moves the targets
        from ``ctrl`` toward ``target``."""
        if self.relative:
            return jnp.clip((target - ctrl) / self._ctrl_step, -1.0, 1.0)
        return jnp.clip((target - self._ctrl_mid) / self._ctrl_half, -1.0, 1.0)

    def _start_states(self) -> dict:
        """Every step of every successful episode in ``config.start_states`` whose object this env
        has: object index, yaw, qpos after the step, and the joint targets it left (replayed from
        the actions with this env's own mapping)."""
        c = self.config
        if not c.start_states:
            raise ConfigError("env.demo_start needs env.start_states: a `dexvip oracle --out DIR` DIR/demos.npz "
                              "(`dexvip train` records one when it is left empty)")
        demos = demos_lib.load(c.start_states)
        rows = np.flatnonzero(demos["success"] & np.isin(demos["object"], c.objects))
        if not len(rows) or demos["qpos"].shape[-1] != self.mj_model.nq or demos["actions"].shape[-1] != self.action_size:
            raise ConfigError(f"{c.start_states} has no successful episode of {', '.join(c.objects)} for this env; "
                              f"record them with `dexvip oracle --objects {','.join(c.objects)} --out DIR`")
        actions = jnp.asarray(demos["actions"][rows], jnp.float32)
        ctrl = jax.vmap(lambda seq: jax.lax.scan(lambda u, a: (self.ctrl_for_action(a, u),) * 2, self.ctrl0, seq)[1])(actions)
        steps = actions.shape[1]
        keep = np.ones((len(rows), steps), bool)
        if c.demo_start_held_steps is not None:  # a successful episode holds from some step on
            first = np.argmax(demos["held"][rows], axis=1)
            keep = np.arange(steps)[None] <= (first + c.demo_start_held_steps)[:, None]
        obj = np.array([c.objects.index(n) for n in demos["object"][rows]])
        return {"obj": jnp.asarray(np.repeat(obj, steps)[keep.ravel()], jnp.int32),
                "yaw": jnp.asarray(np.repeat(demos["yaw"][rows], steps)[keep.ravel()], jnp.float32),
                "qpos": jnp.asarray(demos["qpos"][rows][keep], jnp.float32),
                "ctrl": ctrl[keep]}

    def actions_for_targets(self, targets: jax.Array) -> jax.Array:
        """(..., T, nu) actions that follow joint targets (..., T, nu) from the start pose, as
        closely as the per-step range allows: scripted motions in the policy's own action space."""

        def step(ctrl, target):
            a = self.action_for_ctrl(target, ctrl)
            return self.ctrl_for_action(a, ctrl), a

        def one(seq):
            return jax.lax.scan(step, self.ctrl0, seq)[1]

        flat = targets.reshape((-1,) + targets.shape[-2:])
        return jax.vmap(one)(jnp.asarray(flat, jnp.float32)).reshape(targets.shape)

    # -- helpers ------------------------------------------------------------------------------

    def features(self, obj: jax.Array, data) -> feat.Features:
        return feat.features(data.qpos, data.qvel, data.sensordata, self._aff[obj], self._com[obj],
                             self.layout, self.config.touch_threshold)

    def posture(self, obj: jax.Array, joint_angles: jax.Array) -> jax.Array:
        """``rewards.posture`` of ``joint_angles`` for the object's target pose (the evaluator's
        posture is this at an episode's last step)."""
        err = functools.partial(rewards.pose_error, target_pose=self._targets[obj],
                                finger_weights=self.config.reward_params.finger_weights)
        return rewards.posture(err(joint_angles), err(jnp.zeros_like(joint_angles)))

    def pixels(self, obj: jax.Array, data, active=True) -> jax.Array:
        """The egocentric (H, W, 5) uint8 image of this state, noise-free."""
        geom, dist, cam_pos, cam_mat = self.physics.raycast(obj, data, self.camera, active)
        points = None
        if self.config.affordances != "parts":  # the points in the camera frame, at the raycast's pose
            pos, quat = data.qpos[OBJ_QPOS][:3], data.qpos[OBJ_QPOS][3:]
            points = (pos + feat.quat_rotate(quat, self._aff[obj]) - cam_pos) @ cam_mat
        return camera.image(geom, dist, self.camera, self._geom_rgb[obj], self._geom_aff[obj], points)

    def _obs(self, obj, data, f: feat.Features, noise: dict, ctrl, rest_height,
             active=True) -> tuple[dict[str, jax.Array], dict]:
        c = self.config
        truth = f  # the critic's inputs are noise-free
        if c.noisy:
            f, noise = self._perturb(f, noise)
        obs = {"motor": feat.motor_obs(f)}
        if self.relative:  # the targets the next action moves
            obs["motor"] = jnp.concatenate([obs["motor"], ctrl])
        if c.obs == "pixels":
            obs["pixels"] = self.pixels(obj, data, active)
            if c.noise_pixels > 0:
                rng, key = jax.random.split(noise["rng"])
                obs["pixels"] = camera.add_pixel_noise(key, obs["pixels"], c.noise_pixels)
                noise = {**noise, "rng": rng}
        if c.privileged:
            obs["privileged"] = self.privileged_obs(truth, data.qvel[OBJ_QVEL], rest_height)
        return obs, noise

    def privileged_obs(self, f: feat.Features, obj_vel: jax.Array, rest_height: jax.Array) -> jax.Array:
        """(PRIVILEGED_SIZE,) critic-only inputs: height above rest, object linear velocity, palm
        to centre of mass, hand contact, table contact, held."""
        p = self.config.reward_params
        palm = f.hand_points[scene.PALM_POINT]
        flags = jnp.stack([f.hand_obj_contact, f.obj_table_contact, rewards.held(f, rest_height, p)])
        return jnp.concatenate([(f.obj_com[2] - rest_height)[None], obj_vel, f.obj_com - palm,
                                flags.astype(jnp.float32)])

    def _perturb(self, f: feat.Features, noise: dict) -> tuple[feat.Features, dict]:
        """Sensor noise on what the policy observes, and tracker freezes of the affordance points."""
        c = self.config
        rng, k_q, k_v, k_p, k_f = jax.random.split(noise["rng"], 5)
        tracked = f.aff_points + c.noise_points * jax.random.normal(k_p, f.aff_points.shape)
        frozen = noise["freeze_left"] > 0
        tracked = jnp.where(frozen, noise["frozen"], tracked)
        start = ~frozen & (jax.random.uniform(k_f) < c.noise_freeze_prob)
        left = jnp.where(start, float(c.noise_freeze_frames), jnp.maximum(noise["freeze_left"] - 1, 0.0))
        f = f.replace(joint_angles=f.joint_angles + c.noise_joints * jax.random.normal(k_q, f.joint_angles.shape),
                      joint_vel=f.joint_vel + c.noise_velocities * jax.random.normal(k_v, f.joint_vel.shape),
                      aff_points=tracked)
        return f, {"rng": rng, "frozen": tracked, "freeze_left": left}
