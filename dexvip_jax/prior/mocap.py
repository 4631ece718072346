"""Real human grasp poses from motion capture: GRAB, as MyoSuite ships it.

``myosuite`` (2.12.2, installed ``--no-deps`` by ``make install``: it is read as data, never
imported) ships MyoDM's reference motions ``myodm/data/MyoHand_<object>_<task>.npz``: GRAB
recordings of people grasping objects, retargeted to the MyoHand model's 29 joints, with the
object's pose per frame. GRAB's licence is research-only, so nothing of it is copied into this
repository: it is read from the installed package at run time.

Grasp frames: the object is more than ``LIFT`` above its resting height **and** MuJoCo finds a
contact between a MyoHand geom and the object's collision meshes in that frame. Lifted alone is
not enough (in a "pass" the other person may hold the object after the subject lets go) and
contact alone is not either (reaching and releasing touch the object without grasping it); an
object off the table in the subject's hand is the grasp that DexVIP's prior is meant to hold.

Keypoints (MediaPipe order) come from MyoHand forward kinematics: the wrist joint, each digit's
three joint centres (thumb: CMC, MP, IP; fingers: MCP, PIP, DIP) and its tip site.
"""

from __future__ import annotations

import os
import tempfile

import mujoco
import numpy as np

from dexvip_jax.envs.meshes import INSTALL, OBJECTS, package_dir
from dexvip_jax.envs.meshes import motion_files as motions
from dexvip_jax.errors import ConfigError

DATASETS = ("grab",)
LIFT = 0.02  # m above rest: the object is off the table
# (kind, name) per MediaPipe keypoint: joints are read at their anchors, tips at their sites.
KEYPOINTS = (("joint", "flexion"),) + tuple(
    point for chain in (("cmc_flexion", "mp_flexion", "ip_flexion", "THtip"),
                        *((f"mcp{i}_flexion", f"pm{i}_flexion", f"md{i}_flexion", tip)
                          for i, tip in zip((2, 3, 4, 5), ("IFtip", "MFtip", "RFtip", "LFtip"))))
    for point in [("joint", n) for n in chain[:3]] + [("site", chain[3])])
ROBOT_DOF = 29  # 6 arm + 23 MyoHand joints, as in MyoDM's references


def parse(source: str) -> str:
    """``mocap:grab`` -> ``grab``; anything else is refused with the accepted names."""
    dataset = source.split(":", 1)[1] if source.startswith("mocap:") else ""
    if dataset not in DATASETS:
        raise ConfigError(f"unknown mocap source {source!r}; use {', '.join('mocap:' + d for d in DATASETS)}")
    return dataset


def _model(pkg: str, myo_obj: str) -> mujoco.MjModel:
    """MyoHand with the object, compiled from MyoDM's own scene. Its includes are relative to the
    package layout, so the scene is written into a temporary mirror of that layout (two links)."""
    hand_dir = os.path.join(pkg, "envs", "myo", "assets", "hand")
    with tempfile.TemporaryDirectory() as tmp:
        mirror = os.path.join(tmp, "envs", "myo", "assets", "hand")
        os.makedirs(mirror)
        os.symlink(os.path.join(pkg, "simhive"), os.path.join(tmp, "simhive"))
        os.symlink(os.path.join(hand_dir, "myohand_tabletop.xml"), os.path.join(mirror, "myohand_tabletop.xml"))
        with open(os.path.join(hand_dir, "myohand_object.xml")) as f:
            xml = f.read().replace("OBJECT_NAME", myo_obj)
        path = os.path.join(mirror, "scene.xml")
        with open(path, "w") as f:
            f.write(xml)
        return mujoco.MjModel.from_xml_path(path)


def _object_qpos(pose: np.ndarray, body_pos: np.ndarray) -> np.ndarray:
    """MyoDM's object pose (position, wxyz quaternion) as its scene's 3 slides and 3 hinges
    (x, then y, then z, each about the already-turned axes: R = Rx(a) Ry(b) Rz(c))."""
    r = np.zeros(9)
    mujoco.mju_quat2Mat(r, pose[3:7])
    r = r.reshape(3, 3)
    a, b, c = np.arctan2(-r[1, 2], r[2, 2]), np.arcsin(np.clip(r[0, 2], -1.0, 1.0)), np.arctan2(-r[0, 1], r[0, 0])
    return np.concatenate([pose[:3] - body_pos, [a, b, c]])


def grasp_keypoints(m: mujoco.MjModel, robot: np.ndarray, obj: np.ndarray, rest_z: float, myo_obj: str):
    """(n, 21, 3) world keypoints of the grasp frames of one motion, and how many frames it has.

    ``robot`` (T, 29) MyoHand joints, ``obj`` (T, 7) object pose, ``rest_z`` the object's height
    resting on the table."""
    d = mujoco.MjData(m)
    body = m.body(myo_obj).id
    hand_root = m.body_rootid[m.body("full_body").id]
    ids = [m.joint(n).id if kind == "joint" else m.site(n).id for kind, n in KEYPOINTS]
    out = []
    for q, pose in zip(robot, obj):
        if pose[2] - rest_z <= LIFT:
            continue
        d.qpos[:ROBOT_DOF] = q
        d.qpos[ROBOT_DOF:ROBOT_DOF + 6] = _object_qpos(pose, m.body_pos[body])
        mujoco.mj_forward(m, d)
        bodies = m.geom_bodyid[np.stack([d.contact.geom1[: d.ncon], d.contact.geom2[: d.ncon]])] if d.ncon else np.zeros((2, 0), int)
        roots = m.body_rootid[bodies]
        if not (((bodies[0] == body) & (roots[1] == hand_root)) | ((bodies[1] == body) & (roots[0] == hand_root))).any():
            continue
        out.append([d.xanchor[i] if kind == "joint" else d.site_xpos[i] for (kind, _), i in zip(KEYPOINTS, ids)])
    return np.asarray(out, np.float64).reshape(-1, 21, 3), len(robot)


def read(source: str, obj: str) -> tuple[np.ndarray, dict]:
    """(n, 21, 3) right-hand keypoints of every grasp frame of ``obj`` in the dataset, and where
    they came from (motions, frames kept of frames seen)."""
    parse(source)
    pkg = package_dir()
    files = motions(obj, pkg)
    m = _model(pkg, OBJECTS[obj])
    poses, used, seen = [], [], 0
    for path in files:
        with np.load(path) as z:
            robot, pose, init = z["robot"], z["object"], z["object_init"]
        if robot.shape[1:] != (ROBOT_DOF,) or pose.shape[1:] != (7,) or not np.isfinite(robot).all():
            raise ConfigError(f"{path}: not a MyoDM reference (robot (T, {ROBOT_DOF}), object (T, 7)); reinstall myosuite==2.12.2")
        kp, n = grasp_keypoints(m, robot, pose, min(float(init[2]), float(pose[:, 2].min())), OBJECTS[obj])
        seen += n
        if len(kp):
            poses.append(kp)
            used.append(f"{os.path.basename(path)}:{len(kp)}")
    if not poses:
        raise ConfigError(f"no grasp frames (lifted and touched) of {obj} in GRAB; use the synthetic prior for it")
    return np.concatenate(poses), {"motions": used, "frames_seen": seen, "dataset": "GRAB via MyoSuite MyoDM"}
