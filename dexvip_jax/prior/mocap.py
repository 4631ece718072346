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

from scipy.spatial import cKDTree

from dexvip_jax.envs import meshes
from dexvip_jax.envs import objects as zoo
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


def _grasp_frames(m: mujoco.MjModel, robot: np.ndarray, obj: np.ndarray, rest_z: float, myo_obj: str):
    """Yield ``(data, geoms)`` for each grasp frame of one motion: ``data`` posed at that frame,
    ``geoms`` (ncon,) the object's geom in each contact with the MyoHand (-1: another contact).

    ``robot`` (T, 29) MyoHand joints, ``obj`` (T, 7) object pose, ``rest_z`` the object's height
    resting on the table."""
    d = mujoco.MjData(m)
    body = m.body(myo_obj).id
    hand_root = m.body_rootid[m.body("full_body").id]
    for q, pose in zip(robot, obj):
        if pose[2] - rest_z <= LIFT:
            continue
        d.qpos[:ROBOT_DOF] = q
        d.qpos[ROBOT_DOF:ROBOT_DOF + 6] = _object_qpos(pose, m.body_pos[body])
        mujoco.mj_forward(m, d)
        pair = np.stack([d.contact.geom1[: d.ncon], d.contact.geom2[: d.ncon]]) if d.ncon else np.zeros((2, 0), int)
        bodies = m.geom_bodyid[pair]
        roots = m.body_rootid[bodies]
        geoms = np.where((bodies[0] == body) & (roots[1] == hand_root), pair[0],
                         np.where((bodies[1] == body) & (roots[0] == hand_root), pair[1], -1))
        if (geoms >= 0).any():
            yield d, geoms


def grasp_keypoints(m: mujoco.MjModel, robot: np.ndarray, obj: np.ndarray, rest_z: float, myo_obj: str):
    """(n, 21, 3) world keypoints of the grasp frames of one motion, and how many frames it has."""
    ids = [m.joint(n).id if kind == "joint" else m.site(n).id for kind, n in KEYPOINTS]
    out = [[d.xanchor[i] if kind == "joint" else d.site_xpos[i] for (kind, _), i in zip(KEYPOINTS, ids)]
           for d, _ in _grasp_frames(m, robot, obj, rest_z, myo_obj)]
    return np.asarray(out, np.float64).reshape(-1, 21, 3), len(robot)


def collision_pieces(m: mujoco.MjModel, myo_obj: str) -> dict[int, str]:
    """The object's convex collision pieces in MyoDM's scene: geom id -> its mesh (``contact<i>``).
    Its visual mesh also collides there, as its convex hull, which spans the mug's handle hole."""
    body = m.body(myo_obj).id
    return {g: m.mesh(int(m.geom_dataid[g])).name for g in range(m.ngeom)
            if m.geom_bodyid[g] == body and m.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH
            and m.mesh(int(m.geom_dataid[g])).name.startswith("contact")}


def grasp_contacts(m: mujoco.MjModel, robot: np.ndarray, obj: np.ndarray, rest_z: float, myo_obj: str):
    """(n, 3) the hand's contacts with the object's collision pieces over the grasp frames of one
    motion, in the object's frame (the package's STL coordinates), and (n,) the piece of each."""
    body = m.body(myo_obj).id
    pieces = collision_pieces(m, myo_obj)
    points, names = [], []
    for d, geoms in _grasp_frames(m, robot, obj, rest_z, myo_obj):
        for c, g in enumerate(geoms):
            if int(g) in pieces:
                points.append(d.xmat[body].reshape(3, 3).T @ (d.contact.pos[c] - d.xpos[body]))
                names.append(pieces[int(g)])
    return np.asarray(points, np.float64).reshape(-1, 3), np.asarray(names, str)


def _scene(obj: str) -> tuple[mujoco.MjModel, list[str]]:
    """MyoDM's scene with ``obj`` and its GRAB motion files (an object GRAB lacks fails first)."""
    pkg = package_dir()
    files = motions(obj, pkg)
    return _model(pkg, OBJECTS[obj]), files


def _motions(files: list[str]):
    """Yield ``(path, robot, object pose, resting height)`` of each GRAB motion file."""
    for path in files:
        with np.load(path) as z:
            robot, pose, init = z["robot"], z["object"], z["object_init"]
        if robot.shape[1:] != (ROBOT_DOF,) or pose.shape[1:] != (7,) or not np.isfinite(robot).all():
            raise ConfigError(f"{path}: not a MyoDM reference (robot (T, {ROBOT_DOF}), object (T, 7)); reinstall myosuite==2.12.2")
        yield path, robot, pose, min(float(init[2]), float(pose[:, 2].min()))


def read(source: str, obj: str) -> tuple[np.ndarray, dict]:
    """(n, 21, 3) right-hand keypoints of every grasp frame of ``obj`` in the dataset, and where
    they came from (motions, frames kept of frames seen)."""
    parse(source)
    m, files = _scene(obj)
    poses, used, seen = [], [], 0
    for path, robot, pose, rest_z in _motions(files):
        kp, n = grasp_keypoints(m, robot, pose, rest_z, OBJECTS[obj])
        seen += n
        if len(kp):
            poses.append(kp)
            used.append(f"{os.path.basename(path)}:{len(kp)}")
    if not poses:
        raise ConfigError(f"no grasp frames (lifted and touched) of {obj} in GRAB; use the synthetic prior for it")
    return np.concatenate(poses), {"motions": used, "frames_seen": seen, "dataset": "GRAB via MyoSuite MyoDM"}


def read_contacts(obj: str) -> tuple[np.ndarray, np.ndarray]:
    """Where GRAB's hands touched ``obj`` while holding it up: (n, 3) contact points in the
    package's object frame and (n,) the collision piece of each, over all its motions."""
    m, files = _scene(obj)
    got = [grasp_contacts(m, robot, pose, rest_z, OBJECTS[obj]) for _, robot, pose, rest_z in _motions(files)]
    points, names = np.concatenate([p for p, _ in got]), np.concatenate([n for _, n in got])
    if not len(points):
        raise ConfigError(f"no hand contacts of {obj} in GRAB's grasp frames; keep its labelled affordance part")
    return points, names


DENSE_RADIUS = 0.01  # m: a contact is in a repeatedly touched region if many others lie this close


def human_affordance(obj: str, k: int) -> tuple[np.ndarray, dict]:
    """(k, 3) affordance points of ``obj`` in the catalogue frame, and the counts behind them.

    GRAB's contacts (``read_contacts``), mapped by the mesh's fit (``meshes.load``); the densest half
    (at least the median count of others within ``DENSE_RADIUS``) is farthest-point sampled. Sampling
    all of them would spread the points by area: the mug's single brushes of its wall outweigh the
    handle that holds 39% of all contacts (2 points of 20 on it, against 8 from the densest half)."""
    points, pieces = read_contacts(obj)
    points = meshes.load(obj).to_catalogue(points)
    near = np.array([len(n) for n in cKDTree(points).query_ball_point(points, DENSE_RADIUS)])
    names, counts = np.unique(pieces, return_counts=True)
    return zoo.farthest_point_sampling(points[near >= np.median(near)], k), {
        "contacts": int(len(points)), "contacts_per_piece": dict(zip(names.tolist(), counts.tolist()))}
