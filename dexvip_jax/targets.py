"""Per-object target hand poses for the ``pose`` reward, from hand-pose priors.

The shipped priors (``prior_data/targets.json``) are built from SYNTHETIC stand-in poses (see
``prior_data/generate.py``); ``dexvip prior build`` makes a prior from a user's own data, and the
env's ``prior_files`` option puts such files before the shipped ones. Joint order is
``scene.JOINTS`` (30; the arm entries are unused by the reward).
"""

from __future__ import annotations

import importlib.resources
import json

import numpy as np

from dexvip_jax.envs import scene
from dexvip_jax.errors import ConfigError


def read(path_or_resource, label: str) -> dict[str, dict]:
    try:
        data = json.loads(path_or_resource.read_text() if hasattr(path_or_resource, "read_text")
                          else open(path_or_resource).read())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"prior file {label} is missing or corrupt ({type(e).__name__}); rebuild it with "
                          "`dexvip prior build` (or python prior_data/generate.py for the shipped ones)") from None
    objects = data["objects"] if "objects" in data else {data.get("object"): data}
    for name, prior in objects.items():
        joints = prior.get("target_joints") if isinstance(prior, dict) else None
        if not name or joints is None or len(joints) != len(scene.JOINTS) or prior.get("joint_names", list(scene.JOINTS)) != list(scene.JOINTS):
            raise ConfigError(f"prior file {label}: entry {name!r} has no 30-joint 'target_joints' in scene.JOINTS order; "
                              "rebuild it with `dexvip prior build`")
    return objects


def shipped() -> dict[str, dict]:
    return read(importlib.resources.files("dexvip_jax.prior_data") / "targets.json", "prior_data/targets.json")


def load_targets(names, prior_files=()) -> np.ndarray:
    """(len(names), 30) target poses; objects in ``prior_files`` override the shipped priors."""
    priors = shipped()
    for path in prior_files:
        priors.update(read(path, path))
    missing = [n for n in names if n not in priors]
    if missing:
        raise ConfigError(f"no hand-pose prior for {', '.join(missing)}; build one with "
                          "`dexvip prior build --input POSES --object NAME` and pass it in prior_files")
    return np.stack([np.asarray(priors[n]["target_joints"], np.float32) for n in names])
