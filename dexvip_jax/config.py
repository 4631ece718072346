"""Training configuration: frozen dataclasses, presets, ``--set a.b=value`` overrides, JSON round trip."""

from __future__ import annotations

import dataclasses
import json
import types
import typing

from dexvip_jax.envs.grasp import GraspConfig
from dexvip_jax.errors import ConfigError
from dexvip_jax.experiments import methods
from dexvip_jax.ranges import check_ranges


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """GRAFF's published PPO settings (DexVIP gives only lr and steps); all overridable."""

    learning_rate: float = 5e-5
    adam_eps: float = 1e-5
    clip: float = 0.2
    gamma: float = 0.99
    gae_lambda: float = 0.95
    epochs: int = 4
    num_minibatches: int = 4
    value_coef: float = 0.5
    entropy_coef: float = 0.001
    max_grad_norm: float = 0.5
    clip_value: bool = True
    normalize_advantages: bool = True
    normalize_obs: bool = True
    scale_rewards: bool = True  # divide rewards by the running std of discounted returns
    hidden: tuple[int, ...] = (512, 512)
    init_log_std: float = -1.0  # std 0.37 of a per-step delta: exploration without batting objects
    lr_decay: bool = False  # the learning rate falls linearly to 0 over the run's total_steps
    # Collect the next batch with the policy that collected the last while learning from it, at
    # once (``ppo/lag.py``): one update of policy lag, as in asynchronous PPO. Off: plain PPO.
    policy_lag: bool = False


@dataclasses.dataclass(frozen=True)
class DAPGConfig:
    """``--method dapg``: demonstrations and DAPG's settings (``dapg.py``). lambda0, lambda1 and the
    behaviour-cloning epochs, batch and lr are the released DAPG example's (hand_dapg ``dapg.txt``).
    The decay's k counts DAPG iterations of data: ``iteration_steps`` env steps each (that example's
    200 trajectories of 200 steps), not PPO's far smaller updates."""

    demos: str = ""  # a `dexvip oracle` demos.npz; "": record them with the oracle into the run directory
    per_object: int = 25  # demonstrations per (source) object, as the paper's mocap; 0: DAPG's reward alone
    lambda0: float = 0.01
    lambda1: float = 0.95
    iteration_steps: int = 40_000
    bc_epochs: int = 5
    bc_batch: int = 32
    bc_lr: float = 1e-3


@dataclasses.dataclass(frozen=True)
class RewardWeights:
    """Weight of each reward term (``rewards.TERMS``); passed into training as JAX scalars."""

    succ: float = 1.0
    reach: float = 0.0
    lift: float = 0.0
    aff: float = 1.0
    pose: float = 1.0
    pose_match: float = 0.0
    touch: float = 0.0
    com: float = 0.0

    @classmethod
    def of(cls, method: str) -> "RewardWeights":
        return cls(**methods.weights(method))

    def as_jax(self) -> dict:
        import jax.numpy as jnp

        return {k: jnp.float32(v) for k, v in dataclasses.asdict(self).items()}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    env: GraspConfig = GraspConfig()
    ppo: PPOConfig = PPOConfig()
    method: str = "dexvip"  # the preset the reward weights started from (a label once overridden)
    reward: RewardWeights = dataclasses.field(default_factory=lambda: RewardWeights.of("dexvip"))
    dapg: DAPGConfig = DAPGConfig()
    num_envs: int = 64
    unroll_length: int = 32  # env steps per env per update
    total_steps: int = 1_000_000  # env steps, summed over envs
    seed: int = 0
    checkpoint_every: int = 10  # updates
    keep_checkpoints: int = 3
    eval_every: int = 0  # updates; 0: only at the end
    eval_envs: int = 16
    # Gravity curriculum (training only; evaluation always has full gravity): the object feels
    # ``gravity_start`` of its weight at first, rising to all of it over ``gravity_ramp_steps``.
    # ``gravity_curriculum``: "steps" rises linearly with env steps; "held" rises at that rate only
    # after an update whose share of env steps with the object held reached ``gravity_held_share``,
    # and falls at it after one that did not (never below ``gravity_start``): the weight follows
    # what the policy lifts, instead of outgrowing its grip.
    gravity_start: float = 1.0
    gravity_ramp_steps: int = 0
    gravity_curriculum: str = "steps"
    gravity_held_share: float = 0.05

    @property
    def steps_per_update(self) -> int:
        return self.num_envs * self.unroll_length

    @property
    def num_updates(self) -> int:
        return max(1, -(-self.total_steps // self.steps_per_update))


GRAVITY_CURRICULA = ("steps", "held")

# Fields that may change when a run is resumed: they do not change what a step computes.
RESUMABLE = {"total_steps", "checkpoint_every", "keep_checkpoints", "eval_every", "eval_envs", "env.nthread",
             "dapg.demos"}

PRESETS: dict[str, dict] = {
    # CPU: MuJoCo C backend, a few objects, small batch; trains, checkpoints, evaluates in minutes.
    "cpu": {"env.backend": "mujoco", "env.objects": ("mug", "hammer", "apple", "cell_phone"),
            "num_envs": 64, "unroll_length": 32, "total_steps": 2_000_000, "checkpoint_every": 100,
            "eval_every": 100, "eval_envs": 32,
            # GRAFF's lr 5e-5 went with 60M steps; a parameter moves ~1 over 3M at that rate.
            "ppo.learning_rate": 1e-4, "ppo.clip_value": False,
            # 2 epochs of 256-256 MLPs: on 2 cores the SGD of 4 epochs of 512-512 took half an
            # update (train/raw 0.28; this 0.52), and learned within the seed spread (seeds 0, 1: 45.5% and 58.5%
            # against 49.0% and 47.0%; benchmarks/results/curve_cpu_dexvip_{preset,h256e2}*).
            "ppo.epochs": 2, "ppo.hidden": (256, 256),
            # The object starts at a quarter of its weight, full from 1.2M steps on (measured: it
            # gave the first learned lifts, 32% on the mug alone; these 4 objects: 0% either way).
            "gravity_start": 0.25, "gravity_ramp_steps": 1_200_000,
            # Half the training episodes start from oracle states up to 10 steps past the lift, and
            # the learning rate decays to 0 (measured: 0% without either; 2.2-20.8% with the starts
            # alone; 30.5% and 6.2% for seeds 0 and 1 with starts from any step and the decay;
            # 27.8% and 40.8% with the starts up to the lift).
            "env.demo_start": 0.5, "env.demo_start_held_steps": 10, "ppo.lr_decay": True,
            # The starts come from the whole-hand oracle (`dexvip oracle --grasp prior`): the pinch's
            # held steps never open the pose gate, the whole hand's do on about half (README, "The
            # pose term"; every learning row measured after the touch-sensing change used them).
            "env.start_grasp": "prior"},
    # GPU: MJX, thousands of envs, all 27 objects (the 17 GRAB meshes padded into one model,
    # envs/mjx_meshes.py; on a CPU they cost 8x the primitives' MJX steps/s, on a GPU unmeasured),
    # the paper's budget.
    # Same design as cpu (relative actions, asymmetric critic, shared shaping, gravity curriculum,
    # at full weight for the last 80% of the budget); lr 3e-4 as in
    # Playground's MJX hands: its 4,096-sample minibatches are 8x the cpu preset's, whose 512-sample
    # ones needed 1e-4. Not measured here: no GPU was lent to the sessions that chose it.
    "gpu": {"env.backend": "mjx", "num_envs": 4096, "unroll_length": 32, "total_steps": 150_000_000,
            "ppo.num_minibatches": 32, "checkpoint_every": 50, "ppo.learning_rate": 3e-4,
            "ppo.clip_value": False, "gravity_start": 0.25, "gravity_ramp_steps": 30_000_000,
            "env.demo_start": 0.5, "env.demo_start_held_steps": 10, "ppo.lr_decay": True,
            "env.start_grasp": "prior"},
}


def _parse(text: str, kind, key: str):
    """A command-line string as the field's type."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if text.lower() in ("none", "null"):
            return None
        return _parse(text, args[0], key)
    if origin is tuple:
        (item, *_) = typing.get_args(kind)
        return tuple(_parse(t.strip(), item, key) for t in text.split(",") if t.strip())
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        return kind(text)
    except ValueError:
        raise ConfigError(f"--set {key}={text}: expected {getattr(kind, '__name__', kind)}") from None


def _fields(obj) -> dict[str, dataclasses.Field]:
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj)}


def override(cfg, key: str, value, _prefix: str = ""):
    """``cfg`` with dotted ``key`` set; a string ``value`` is parsed by the field's type."""
    head, _, rest = key.partition(".")
    fields = _fields(cfg)
    if head not in fields:
        raise ConfigError(f"unknown config key {_prefix + key!r}; valid here: {', '.join(sorted(fields))}")
    if rest:
        return dataclasses.replace(cfg, **{head: override(getattr(cfg, head), rest, value, _prefix + head + ".")})
    if dataclasses.is_dataclass(getattr(cfg, head)):
        example = next(iter(_fields(getattr(cfg, head))))
        raise ConfigError(f"{_prefix + key!r} is a group; set one of its fields, e.g. {_prefix + key}.{example}")
    if isinstance(value, str):
        value = _parse(value, fields[head], _prefix + key)
    return dataclasses.replace(cfg, **{head: value})


def build(preset: str | None = None, sets: typing.Iterable[str] = (), method: str | None = None,
          **overrides) -> TrainConfig:
    """Preset, then the method's reward weights, then ``key=value`` strings, then keyword overrides
    (dotted keys as ``env__backend``)."""
    cfg = TrainConfig()
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
        for k, v in PRESETS[preset].items():
            cfg = override(cfg, k, v)
    method = method or cfg.method  # no method given: the default method's preset, shaping included
    cfg = dataclasses.replace(cfg, method=method, reward=RewardWeights.of(method))
    cfg = apply_sets(cfg, sets)
    for k, v in overrides.items():
        cfg = override(cfg, k.replace("__", "."), v)
    return validate(cfg)


def apply_sets(cfg, sets: typing.Iterable[str]):
    """``cfg`` with each ``key=value`` string of ``--set`` applied in order."""
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: write key=value, e.g. --set ppo.learning_rate=1e-4")
        cfg = override(cfg, key.strip(), value.strip())
    return cfg


def validate(cfg: TrainConfig) -> TrainConfig:
    check_ranges(cfg)  # before the env is built: NaN and inf never reach MuJoCo
    env = GraspConfig.make(**dataclasses.asdict(cfg.env))  # checks objects and backend
    cfg = dataclasses.replace(cfg, env=env)
    methods.weights(cfg.method)  # a known method
    if cfg.gravity_curriculum not in GRAVITY_CURRICULA:
        raise ConfigError(f"gravity_curriculum must be one of {', '.join(GRAVITY_CURRICULA)}, got "
                          f"{cfg.gravity_curriculum!r}; e.g. --set gravity_curriculum=held")
    if cfg.method == "dapg" and cfg.env.obs != "state":
        raise ConfigError("--method dapg trains from the demonstrations' motor observations; use --obs state")
    if cfg.steps_per_update % cfg.ppo.num_minibatches:
        raise ConfigError(f"num_envs * unroll_length ({cfg.steps_per_update}) must divide into "
                          f"ppo.num_minibatches ({cfg.ppo.num_minibatches}) equal minibatches")
    return cfg


def to_dict(cfg) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def from_dict(data: dict) -> TrainConfig:
    groups = {"env": GraspConfig, "ppo": PPOConfig, "reward": RewardWeights, "dapg": DAPGConfig}
    parts = {name: cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.get(name, {}).items()})
             for name, cls in groups.items()}
    return TrainConfig(**parts, **{k: v for k, v in data.items() if k not in groups})


def differences(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two config dicts."""
    out = []
    for k in sorted(set(a) | set(b)):
        key = prefix + k
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += differences(va, vb, key + ".")
        elif va != vb:
            out.append(key)
    return out
