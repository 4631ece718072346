"""The valid range of every numeric config field, and the check that holds a config to it.

Its own module, below both the env's config and the run's, so that each checks its numbers with
the same table before anything is built: NaN and inf never reach MuJoCo.
"""

from __future__ import annotations

import dataclasses
import math

from dexvip_jax.errors import ConfigError

# The valid range of each numeric field (dotted key -> rule); every other number need only be finite.
# ">0": positive; ">=0": non-negative; "[0,1]", "(0,1]": a share.
RANGES = {
    **{k: ">0" for k in ("num_envs", "unroll_length", "total_steps", "checkpoint_every", "keep_checkpoints",
                         "eval_envs", "ppo.learning_rate", "ppo.adam_eps", "ppo.clip", "ppo.epochs",
                         "ppo.num_minibatches", "ppo.max_grad_norm", "ppo.hidden", "dapg.iteration_steps",
                         "dapg.bc_batch", "dapg.bc_lr", "env.substeps", "env.episode_length", "env.object_mass",
                         "env.image_size", "env.depth_max", "env.step_slide", "env.step_arm", "env.step_hand",
                         "env.finger_kp", "env.hand_friction", "env.noise_freeze_frames", "env.iterations",
                         "env.reach_scale")},
    **{k: ">=0" for k in ("eval_every", "gravity_ramp_steps", "ppo.value_coef", "ppo.entropy_coef",
                          "dapg.lambda0", "dapg.bc_epochs", "dapg.per_object", "env.nthread", "env.touch_threshold",
                          "env.aff_threshold", "env.com_threshold", "env.lift_height", "env.finger_weights",
                          "env.noise_joints", "env.noise_velocities", "env.noise_actions", "env.noise_points",
                          "env.noise_pixels", "env.finger_damping", "env.reach_down", "env.slide_damping",
                          "env.demo_start_held_steps")},
    **{k: "[0,1]" for k in ("gravity_start", "gravity_held_share", "ppo.gamma", "ppo.gae_lambda", "env.touch_gate",
                            "env.noise_freeze_prob", "env.demo_start")},
    "dapg.lambda1": "(0,1]",
}
_RULES = {">0": (lambda v: v > 0, "> 0"), ">=0": (lambda v: v >= 0, ">= 0"),
          "[0,1]": (lambda v: 0 <= v <= 1, "in [0, 1]"), "(0,1]": (lambda v: 0 < v <= 1, "in (0, 1]")}


def _numbers(cfg, prefix: str = ""):
    """(dotted key, number) for every numeric field, tuple items included (bools are not numbers)."""
    for f in dataclasses.fields(cfg):
        v, key = getattr(cfg, f.name), prefix + f.name
        if dataclasses.is_dataclass(v):
            yield from _numbers(v, key + ".")
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                yield key, x


def check_ranges(cfg, prefix: str = "") -> None:
    """Every number finite and in its field's range (``RANGES``), else one line naming the fix,
    with the field's default as the example. ``prefix``: where ``cfg`` sits in a TrainConfig
    (``"env."`` for a GraspConfig); ``type(cfg)()`` must give the defaults."""
    for key, v in _numbers(cfg, prefix):
        rule = RANGES.get(key)
        if not math.isfinite(v) or (rule and not _RULES[rule][0](v)):
            want = "a finite number" + (f" {_RULES[rule][1]}" if rule else "")
            example = _default(type(cfg)(), key[len(prefix):])
            raise ConfigError(f"{key} must be {want}, got {v}; e.g. --set {key}={example}")


def _default(value, key: str):
    for part in key.split("."):
        value = getattr(value, part)
    return ",".join(map(str, value)) if isinstance(value, tuple) else value
