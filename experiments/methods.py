"""Reward-weight presets for the paper's methods (shared/reference/dexvip_facts.md, alpha = beta = gamma = 1).

Terms: succ (grasp held: hand contact, off the table, lifted; ``rewards.held``), reach (palm near the
centre of mass, bounded) and lift (height above rest up to 10 cm while the hand touches): shaping
that is not the paper's, given alike to every method (``SHAPING``); aff (affordance
Chamfer), pose (consensus human pose, gated on touch), touch (>= 30% of sensors), com (palm to
centre of mass). Weights absent from a preset are 0.
"""

from __future__ import annotations

from dexvip_jax.errors import ConfigError

METHODS: dict[str, dict[str, float]] = {
    "com": {"succ": 1.0, "com": 1.0},  # COM baseline: palm-to-centre distance instead of R_aff
    "touch": {"succ": 1.0, "touch": 1.0},  # TOUCH baseline: +1 when >= 30% of touch sensors fire
    "graff": {"succ": 1.0, "aff": 1.0},  # GRAFF: R_succ + R_aff
    # DexVIP: R_succ + R_aff + R_pose, R_pose in the bounded form the main text describes ("a positive
    # reward when the pose matches"); the appendix's penalty (``pose``) punished opening the touch gate
    # and opened it on 4.1% of late training steps against 10.7% (README, "The pose term").
    "dexvip": {"succ": 1.0, "aff": 1.0, "pose_match": 1.0},
    "aff_only": {"succ": 1.0, "aff": 1.0},  # ablation "affordance only" (GRAFF's reward, DexVIP's setup)
    "aff_touch": {"succ": 1.0, "aff": 1.0, "touch": 1.0},  # ablation "affordance + touch"
    # DAPG: the task reward, success, plus imitation of demonstrations (``dapg.py``; DexVIP's paper
    # does not give DAPG's reward terms, so it gets none of the others)
    "dapg": {"succ": 1.0},
}

# The methods `dexvip paper` trains ("aff_only" has exactly GRAFF's reward here, so GRAFF's runs are it).
COMPARED = ("com", "touch", "graff", "dapg", "dexvip", "aff_touch")

# Shaping shared by every method, so the comparison stays fair. The paper's rewards alone are
# ``--set reward.reach=0 --set reward.lift=0``; with them (and the earlier physics) PPO never
# lifted an object within the cpu budget (README, "Learning on the CPU").
SHAPING = {"reach": 0.5, "lift": 1.0}


def weights(method: str) -> dict[str, float]:
    """All terms' weights for ``method``: its own, then the shared shaping, else 0."""
    # Here, not at the top: the CLI reads this module to build its parser, before a drawing command
    # has chosen its offscreen GL, and rewards imports MuJoCo (which reads MUJOCO_GL when first imported).
    from dexvip_jax.rewards import TERMS

    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return {t: METHODS[method].get(t, SHAPING.get(t, 0.0)) for t in TERMS}
