"""Real object shapes: the ContactDB/GRAB meshes that MyoSuite ships, fitted to the catalogue.

``myosuite`` 2.12.2 (installed ``--no-deps`` by ``make install``, read as data and never
imported) ships, per object, ``simhive/object_sim/<name>/contact*.stl``: convex collision pieces of
the shape GRAB's people held. They are read at build time and never copied into the repository.

Each mesh object is posed and sized so that it replaces its primitive stand-in (``objects.py``):

* up: GRAB's first frame of the object's first motion, where it rests on the table;
* yaw: of 72 turns about z, the one whose pieces, scaled alike on all axes, lie closest to the
  stand-in's surface, so a handle points where the stand-in's does and the grasp plans and labels
  keep their meaning;
* size: the bounds scaled per axis to the catalogue extent (an affine map keeps pieces convex);
  centred in x and y with its bottom at z = 0, the catalogue's frame.

An object keeps at most ``MAX_PIECES`` pieces: more are merged, the pair whose merged hull adds
the least volume first (the teapot's 41 pieces become 12). The door knob's files are a copy of
the stamp, so it has no mesh.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import os
import struct

import numpy as np
from scipy.spatial import ConvexHull

from dexvip_jax import quiet
from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError

# Our object name -> MyoSuite's (its object_sim folder and MyoDM's motion files).
OBJECTS = {
    "apple": "apple", "cell_phone": "phone", "cup": "cup", "flashlight": "flashlight", "hammer": "hammer",
    "knife": "knife", "light_bulb": "lightbulb", "mouse": "mouse", "mug": "mug", "pan": "fryingpan",
    "scissors": "scissors", "stapler": "stapler", "teapot": "teapot", "toothbrush": "toothbrush",
    "toothpaste": "toothpaste", "banana": "banana", "bottle": "waterbottle",
}
SHAPES = ("primitive", "mesh")
MAX_PIECES = 12
YAWS = 72  # candidate turns about z, 5 degrees apart
INSTALL = "install it with `make install` (or pip install --no-deps myosuite==2.12.2)"


@dataclasses.dataclass(frozen=True)
class MeshObject:
    """Convex pieces of one object in the catalogue's object frame (metres)."""

    name: str
    pieces: tuple[np.ndarray, ...]  # each (n, 3): the vertices of a convex hull
    source: str  # where the pieces came from
    turn_deg: float  # the yaw applied after GRAB's rest pose
    scale: tuple[float, float, float]  # the per-axis scale from GRAB's size to the catalogue's
    linear: np.ndarray  # (3, 3) and (3,): a point of the package's mesh frame -> the catalogue's,
    offset: np.ndarray  # linear @ p + offset (rest pose, turn, scale and centring in one affine map)

    def volume(self) -> float:
        return float(sum(ConvexHull(p).volume for p in self.pieces))

    def to_catalogue(self, points: np.ndarray) -> np.ndarray:
        """(n, 3) points in MyoSuite's object frame (its STL coordinates) -> the catalogue frame."""
        return np.asarray(points, np.float64) @ self.linear.T + self.offset


def package_dir() -> str:
    """Where ``myosuite`` is installed (found without importing it: its imports need other pins)."""
    try:
        return quiet.asset_root("myosuite")
    except ModuleNotFoundError:
        raise ConfigError(f"mesh objects and mocap priors read the myosuite package, which is not installed; {INSTALL}") from None


def has_mesh(name: str) -> bool:
    return name in OBJECTS


def source_of(name: str) -> str:
    """Where an object's mesh is read from (without reading it)."""
    return f"mesh: myosuite 2.12.2 simhive/object_sim/{OBJECTS[name]}"


def shape_source(name: str, shapes: str) -> str:
    """What an object is built from under ``env.shapes``: mesh where one exists, else primitives."""
    if shapes not in SHAPES:
        raise ConfigError(f"unknown env.shapes {shapes!r}; use one of {', '.join(SHAPES)}")
    return "mesh" if shapes == "mesh" and has_mesh(name) else "primitive"


def read_stl(path: str) -> np.ndarray:
    """(n, 3) distinct vertices of a binary STL file."""
    with open(path, "rb") as f:
        raw = f.read()
    (count,) = struct.unpack_from("<I", raw, 80)
    if len(raw) != 84 + 50 * count:
        raise ConfigError(f"{path} is not a binary STL; reinstall myosuite==2.12.2 ({INSTALL})")
    tri = np.frombuffer(raw, dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]), count=count, offset=84)
    return np.unique(tri["v"].reshape(-1, 3).astype(np.float64), axis=0)


def motion_files(name: str, pkg: str) -> list[str]:
    """MyoDM's GRAB reference motions of one of our objects (every task: lift, pass, use, ...)."""
    if name not in OBJECTS:
        raise ConfigError(f"GRAB has no motion capture of {name!r}; it covers {', '.join(OBJECTS)} "
                          "(use the synthetic prior or images for the others)")
    files = sorted(glob.glob(os.path.join(pkg, "envs", "myo", "myodm", "data", f"MyoHand_{OBJECTS[name]}_*.npz")))
    if not files:
        raise ConfigError(f"no MyoHand_{OBJECTS[name]}_*.npz in {pkg}; reinstall myosuite==2.12.2 ({INSTALL})")
    return files


def rest_rotation(name: str, pkg: str) -> np.ndarray:
    """(3, 3) the object's orientation in GRAB's first frame of its first motion (resting)."""
    with np.load(motion_files(name, pkg)[0]) as z:
        w, x, y, zq = z["object"][0, 3:7] / np.linalg.norm(z["object"][0, 3:7])
    return np.array([[1 - 2 * (y * y + zq * zq), 2 * (x * y - w * zq), 2 * (x * zq + w * y)],
                     [2 * (x * y + w * zq), 1 - 2 * (x * x + zq * zq), 2 * (y * zq - w * x)],
                     [2 * (x * zq - w * y), 2 * (y * zq + w * x), 1 - 2 * (x * x + y * y)]])


def _hull_volume(points: np.ndarray) -> float:
    return float(ConvexHull(points).volume)


def merge_pieces(pieces: list[np.ndarray], limit: int) -> list[np.ndarray]:
    """At most ``limit`` convex pieces: repeatedly merge the pair whose hull adds the least volume."""
    pieces = [p[ConvexHull(p).vertices] for p in pieces]
    vols = [_hull_volume(p) for p in pieces]
    while len(pieces) > limit:
        best = None
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces)):
                union = np.concatenate([pieces[i], pieces[j]])
                added = _hull_volume(union) - vols[i] - vols[j]
                if best is None or added < best[0]:
                    best = (added, i, j, union)
        _, i, j, union = best
        hull = ConvexHull(union)
        pieces[i], vols[i] = union[hull.vertices], float(hull.volume)
        del pieces[j], vols[j]
    return pieces


def _fit(pieces: list[np.ndarray], extent: np.ndarray, uniform: bool = False) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Scale the pieces' bounds per axis to ``extent`` (``uniform``: one scale, to its volume),
    centre x and y, bottom at z = 0. Returns the pieces, the scale and the centre subtracted."""
    allv = np.concatenate(pieces)
    lo, hi = allv.min(0), allv.max(0)
    scale = extent / (hi - lo)
    if uniform:
        scale = np.full(3, np.prod(scale) ** (1 / 3))
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    return [(p - centre) * scale for p in pieces], scale, centre


def _yaw(deg: float) -> np.ndarray:
    c, s = np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def piece_files(name: str) -> list[str]:
    """The object's convex collision pieces in the installed myosuite."""
    if name not in OBJECTS:
        raise ConfigError(f"{name!r} has no mesh; meshes exist for {', '.join(OBJECTS)} (env.shapes=primitive builds all 27)")
    folder = os.path.join(package_dir(), "simhive", "object_sim", OBJECTS[name])
    files = sorted(glob.glob(os.path.join(folder, "contact*.stl")))
    if not files:
        raise ConfigError(f"no contact*.stl in {folder}; reinstall myosuite==2.12.2 ({INSTALL})")
    return files


@functools.lru_cache(maxsize=None)
def load(name: str) -> MeshObject:
    """The mesh of catalogue object ``name``, posed and sized as its stand-in (cached: immutable)."""
    files = piece_files(name)
    spec = zoo.get(name)
    up = rest_rotation(name, package_dir())
    raw = [read_stl(f) @ up.T for f in files]
    extent = np.array(spec.extent)
    # Score each yaw on the raw pieces' vertices, scaled alike on all axes (a per-axis scale would
    # stretch any turn to the extent): mean distance to the stand-in's surface.
    cost = []
    for deg in np.arange(YAWS) * 360.0 / YAWS:
        turned, _, _ = _fit([p @ _yaw(deg).T for p in raw], extent, uniform=True)
        cost.append(float(np.abs(zoo.surface_distance(spec, np.concatenate(turned))).mean()))
    deg = float(np.argmin(cost) * 360.0 / YAWS)
    fitted, scale, centre = _fit([p @ _yaw(deg).T for p in raw], extent)
    linear = np.diag(scale) @ _yaw(deg) @ up
    return MeshObject(name, tuple(merge_pieces(fitted, MAX_PIECES)),
                      f"{source_of(name)} ({len(files)} pieces, turned {deg:.0f} deg)", deg, tuple(float(x) for x in scale),
                      linear, -scale * centre)
