"""Build a per-object prior: human poses -> pose distances -> k-medoids -> consensus -> Adroit target.

The pose distance is the mean keypoint distance after ``hand.normalize`` (wrist-relative,
palm-aligned, hand-size-normalised), so it ignores where the hand was, how it was turned and how
big it was. The consensus is the medoid of the largest cluster; it is retargeted to Adroit joints.
"""

from __future__ import annotations

import datetime

import jax.numpy as jnp
import numpy as np

from dexvip_jax.envs import scene
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import write_json_atomic
from dexvip_jax.prior import hand, kmedoids, retarget


def pose_distances(poses: np.ndarray) -> np.ndarray:
    n = np.asarray(hand.normalize(jnp.asarray(poses, jnp.float32)))
    d = np.linalg.norm(n[:, None] - n[None], axis=-1).mean(axis=-1)
    np.fill_diagonal(d, 0.0)
    return (d + d.T) / 2


def build_prior(poses: np.ndarray, obj: str, k: int | None = None, method: str = "ik", source: str = "") -> dict:
    if len(poses) < 2:
        raise ConfigError(f"{source or obj}: {len(poses)} pose(s); a consensus needs at least 2")
    if method not in ("ik", "angles"):
        raise ConfigError(f"unknown retargeting method {method!r}; use 'ik' or 'angles'")
    d = pose_distances(poses)
    clustering = kmedoids.cluster(d, k=None if k is None else min(k, len(poses)))
    i = clustering.consensus
    result = retarget.ik(poses[i]) if method == "ik" else retarget.angles(poses[i])
    sizes = np.bincount(clustering.labels, minlength=len(clustering.medoids))
    out = {
        "object": obj, "source": source, "num_poses": int(len(poses)), "k": int(len(clustering.medoids)),
        "cluster_sizes": sizes.tolist(), "consensus_index": i,
        "consensus_keypoints": np.asarray(hand.normalize(jnp.asarray(poses[i], jnp.float32))).round(5).tolist(),
        "retarget_method": method, "joint_names": list(scene.JOINTS),
        "target_joints": np.asarray(result["joints"]).round(5).tolist(),
        "palm_rotation": np.asarray(result["palm_rotation"]).round(5).tolist(),
        "built": datetime.date.today().isoformat(),
    }
    if "tip_error_m" in result:
        out["fingertip_error_m"] = np.asarray(result["tip_error_m"]).round(5).tolist()
    return out


def save(prior: dict, path: str) -> str:
    return write_json_atomic(path, prior)
