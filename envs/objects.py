"""The object zoo: 27 household objects built from primitive parts.

Every object is at most two boxes and two capsules, so all objects fill the
same four geom slots of one compiled model and differ only in per-env model
parameters (see ``scene.py``). Round bodies (cups, mugs, pans) are two
square prisms at 0 and 45 degrees; MJX has no cylinder-box collision.

Sizes of the 16 ContactDB objects are the published GRAFF extents (x, y, z in
metres). Sizes of the other 11 are our own estimates of everyday objects.
Parts are given loosely and re-centred: the object frame has the bounding
box centred in x and y and its bottom at z = 0, so a resting object sits at
the origin of its frame.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import math

import numpy as np

from dexvip_jax.errors import ConfigError

NUM_BOXES = 2
NUM_CAPSULES = 2
NUM_AFFORDANCE_POINTS = 20
STAR = 0.75  # half-width of each square of a round body, as a share of its radius


@dataclasses.dataclass(frozen=True)
class Part:
    """A primitive in the object frame. Box size: half extents; capsule: (radius, half length along z)."""

    kind: str
    size: tuple[float, ...]
    pos: tuple[float, float, float]
    euler: tuple[float, float, float] = (0.0, 0.0, 0.0)  # degrees, extrinsic x-y-z
    affordance: bool = False

    @property
    def rot(self) -> np.ndarray:
        return euler_to_mat(self.euler)


@dataclasses.dataclass(frozen=True)
class ObjectSpec:
    name: str
    group: str  # "contactdb16" or "extra11"
    extent: tuple[float, float, float]  # the real object's size (m); parts match it within 10%
    affordance: str  # the named part people hold to use it
    mass: float  # realistic mass (kg); the env uses 1 kg unless told otherwise, as the paper did
    parts: tuple[Part, ...]


def euler_to_mat(euler_deg) -> np.ndarray:
    ax, ay, az = np.deg2rad(euler_deg)
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def mat_to_quat(r: np.ndarray) -> np.ndarray:
    """Rotation matrix -> unit quaternion (w, x, y, z), MuJoCo's convention."""
    import mujoco

    q = np.zeros(4)
    mujoco.mju_mat2Quat(q, np.asarray(r, dtype=np.float64).reshape(9))
    return q


def box(hx, hy, hz, pos=(0, 0, 0), euler=(0, 0, 0), aff=False) -> Part:
    return Part("box", (hx, hy, hz), tuple(pos), tuple(euler), aff)


def capsule(radius, half_length, pos=(0, 0, 0), axis="z", tilt=0.0, aff=False) -> Part:
    """A capsule along the x, y or z axis, optionally tilted by ``tilt`` degrees."""
    euler = {"z": (0, 0, 0), "x": (0, 90 - tilt, 0), "y": (90 - tilt, 0, 0)}[axis]
    return Part("capsule", (radius, half_length), tuple(pos), tuple(float(e) for e in euler), aff)


def round_body(radius, height, z0=0.0, x=0.0, y=0.0, aff=False) -> tuple[Part, Part]:
    """A cylinder of ``radius`` as two square prisms at 0 and 45 degrees (an 8-point star)."""
    a, hz = STAR * radius, height / 2
    pos = (x, y, z0 + hz)
    return box(a, a, hz, pos, (0, 0, 0), aff), box(a, a, hz, pos, (0, 0, 45), aff)


# ---------------------------------------------------------------------------
# Geometry of parts: bounding boxes, signed distances, surface samples.


def part_corners(p: Part) -> np.ndarray:
    """Points whose convex hull bounds the part, in the object frame (capsule: end-cap spheres' boxes)."""
    r = p.rot
    if p.kind == "box":
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        return p.pos + (signs * np.array(p.size)) @ r.T
    rad, hl = p.size
    ends = np.array(p.pos) + np.array([[0, 0, -hl], [0, 0, hl]]) @ r.T
    offs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * rad
    return (ends[:, None, :] + offs[None]).reshape(-1, 3)


def aabb(parts) -> tuple[np.ndarray, np.ndarray]:
    """Tight axis-aligned bounds (capsules exact: their end spheres' extents)."""
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for p in parts:
        if p.kind == "box":
            c = part_corners(p)
            lo, hi = np.minimum(lo, c.min(0)), np.maximum(hi, c.max(0))
        else:
            rad, hl = p.size
            ends = np.array(p.pos) + np.array([[0, 0, -hl], [0, 0, hl]]) @ p.rot.T
            lo, hi = np.minimum(lo, ends.min(0) - rad), np.maximum(hi, ends.max(0) + rad)
    return lo, hi


def signed_distance(p: Part, x: np.ndarray) -> np.ndarray:
    """Signed distance from points ``x`` (n, 3, object frame) to the part's surface; negative inside."""
    local = (x - np.array(p.pos)) @ p.rot
    if p.kind == "box":
        q = np.abs(local) - np.array(p.size)
        outside = np.linalg.norm(np.maximum(q, 0.0), axis=-1)
        return outside + np.minimum(q.max(-1), 0.0)
    rad, hl = p.size
    z = np.clip(local[:, 2], -hl, hl)
    axis_pt = np.stack([np.zeros_like(z), np.zeros_like(z), z], -1)
    return np.linalg.norm(local - axis_pt, axis=-1) - rad


def sample_surface(p: Part, n: int, rng: np.random.Generator) -> np.ndarray:
    """Area-uniform samples on the part's surface, object frame."""
    if p.kind == "box":
        h = np.array(p.size)
        areas = np.array([h[1] * h[2], h[0] * h[2], h[0] * h[1]]).repeat(2)
        face = rng.choice(6, size=n, p=areas / areas.sum())
        pts = rng.uniform(-1, 1, size=(n, 3)) * h
        axis, sign = face // 2, np.where(face % 2 == 0, -1.0, 1.0)
        pts[np.arange(n), axis] = sign * h[axis]
    else:
        rad, hl = p.size
        side, caps = 2 * math.pi * rad * 2 * hl, 4 * math.pi * rad**2
        on_side = rng.uniform(size=n) < side / (side + caps)
        theta = rng.uniform(0, 2 * math.pi, size=n)
        pts = np.stack([rad * np.cos(theta), rad * np.sin(theta), rng.uniform(-hl, hl, n)], -1)
        sph = rng.normal(size=(n, 3))
        sph = rad * sph / np.linalg.norm(sph, axis=-1, keepdims=True)
        sph[:, 2] += np.where(sph[:, 2] >= 0, hl, -hl)
        pts = np.where(on_side[:, None], pts, sph)
    return np.array(p.pos) + pts @ p.rot.T


def farthest_point_sampling(points: np.ndarray, k: int) -> np.ndarray:
    """Greedy FPS starting from the point nearest the centroid (deterministic)."""
    idx = [int(np.argmin(np.linalg.norm(points - points.mean(0), axis=-1)))]
    d = np.linalg.norm(points - points[idx[0]], axis=-1)
    for _ in range(k - 1):
        idx.append(int(np.argmax(d)))
        d = np.minimum(d, np.linalg.norm(points - points[idx[-1]], axis=-1))
    return points[idx]


def affordance_points(spec: ObjectSpec, k: int = NUM_AFFORDANCE_POINTS, seed: int = 0) -> np.ndarray:
    """``k`` farthest-point samples of the affordance parts' exposed surface (object frame)."""
    rng = np.random.default_rng(seed)
    aff = [p for p in spec.parts if p.affordance]
    others = [p for p in spec.parts if not p.affordance]
    pts = np.concatenate([sample_surface(p, 4000, rng) for p in aff])
    # Keep only surface that is exposed: not buried inside another part, not below the table.
    keep = pts[:, 2] > 1e-3
    for p in others + aff:
        keep &= signed_distance(p, pts) > -1e-9
    return farthest_point_sampling(pts[keep], k)


AFFORDANCES = ("parts", "human")


def object_affordances(spec: ObjectSpec, source: str = "parts") -> np.ndarray:
    """(20, 3) affordance points of one object (object frame). ``parts``: sampled from its labelled
    part; ``human``: where GRAB's hands touched it (``prior_data/affordances.json``, from
    ``prior_data/generate.py affordances``) for the 17 objects GRAB covers, labelled parts for the rest."""
    if source not in AFFORDANCES:
        raise ConfigError(f"unknown env.affordances {source!r}; use one of {', '.join(AFFORDANCES)}")
    if source == "human":
        human = human_affordances()
        if spec.name in human:
            return np.asarray(human[spec.name]["points"], np.float64)
    return affordance_points(spec)


def human_affordances() -> dict[str, dict]:
    """The shipped human-contact affordances: object -> points, contact counts."""
    try:
        data = json.loads((importlib.resources.files("dexvip_jax.prior_data") / "affordances.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"prior_data/affordances.json is missing or corrupt ({type(e).__name__}); rebuild it with "
                          "python prior_data/generate.py affordances (needs myosuite: make install)") from None
    for name, entry in data["objects"].items():
        if np.shape(entry.get("points")) != (NUM_AFFORDANCE_POINTS, 3) or not np.isfinite(entry["points"]).all():
            raise ConfigError(f"prior_data/affordances.json: {name!r} needs {NUM_AFFORDANCE_POINTS} finite (x, y, z) points; "
                              "rebuild it with python prior_data/generate.py affordances")
    return data["objects"]


def surface_distance(spec: ObjectSpec, x: np.ndarray) -> np.ndarray:
    """Signed distance from points to the whole object (union of parts)."""
    return np.min([signed_distance(p, x) for p in spec.parts], axis=0)


def _recentre(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    lo, hi = aabb(parts)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    return tuple(dataclasses.replace(p, pos=tuple(float(v) for v in np.array(p.pos) + shift)) for p in parts)


def _obj(name, group, extent, affordance, mass, *parts) -> ObjectSpec:
    flat: list[Part] = []
    for p in parts:
        flat.extend(p if isinstance(p, tuple) else (p,))
    boxes = sum(p.kind == "box" for p in flat)
    caps = sum(p.kind == "capsule" for p in flat)
    assert boxes <= NUM_BOXES and caps <= NUM_CAPSULES and any(p.affordance for p in flat), name
    return ObjectSpec(name, group, tuple(extent), affordance, mass, _recentre(tuple(flat)))


# ---------------------------------------------------------------------------
# The catalogue. Coordinates in metres; z up, the table at z = 0.

_C, _E = "contactdb16", "extra11"

CATALOGUE: tuple[ObjectSpec, ...] = (
    _obj("apple", _C, (0.095, 0.089, 0.087), "body", 0.15,
         capsule(0.0440, 0.0035, (0, 0, 0.044), "x", aff=True)),
    _obj("cell_phone", _C, (0.201, 0.066, 0.035), "body", 0.17,
         box(0.1005, 0.033, 0.0175, (0, 0, 0.0175), aff=True)),
    _obj("cup", _C, (0.120, 0.120, 0.142), "body", 0.25,
         round_body(0.0566, 0.142, aff=True)),
    _obj("door_knob", _C, (0.142, 0.090, 0.106), "lever", 0.30,
         box(0.045, 0.045, 0.008, (0, 0, 0.008)),
         capsule(0.010, 0.035, (0, 0, 0.05)),
         capsule(0.012, 0.059, (0.026, 0, 0.094), "x", aff=True)),
    _obj("flashlight", _C, (0.224, 0.055, 0.055), "barrel", 0.20,
         box(0.025, 0.0275, 0.0275, (0.087, 0, 0.0275)),
         capsule(0.0275, 0.060, (-0.025, 0, 0.0275), "x", aff=True)),
    _obj("hammer", _C, (0.289, 0.166, 0.034), "handle", 0.60,
         box(0.016, 0.083, 0.017, (0.1285, 0, 0.017)),
         box(0.1285, 0.0135, 0.0135, (-0.016, 0, 0.0135), aff=True)),
    _obj("knife", _C, (0.334, 0.049, 0.023), "handle", 0.10,
         box(0.100, 0.0245, 0.003, (0.067, 0, 0.003)),
         box(0.0665, 0.0125, 0.0115, (-0.1005, 0, 0.0115), aff=True)),
    _obj("light_bulb", _C, (0.168, 0.095, 0.095), "glass bulb", 0.05,
         capsule(0.0475, 0.001, (0.0355, 0, 0.0475), "x", aff=True),
         capsule(0.016, 0.020, (-0.048, 0, 0.0475), "x")),
    _obj("mouse", _C, (0.154, 0.084, 0.053), "shell", 0.10,
         box(0.070, 0.042, 0.008, (0, 0, 0.008)),
         capsule(0.0265, 0.0505, (0, 0, 0.0265), "x", aff=True)),
    _obj("mug", _C, (0.187, 0.134, 0.169), "handle", 0.35,
         round_body(0.063, 0.169),
         capsule(0.012, 0.045, (0.108, 0, 0.085), aff=True),
         capsule(0.008, 0.028, (0.078, 0, 0.142), "x", aff=True)),
    _obj("pan", _C, (0.427, 0.272, 0.072), "handle", 1.20,
         round_body(0.128, 0.045),
         capsule(0.013, 0.070, (0.205, 0, 0.048), "x", tilt=10, aff=True)),
    _obj("scissors", _C, (0.209, 0.120, 0.024), "finger rings", 0.08,
         box(0.0623, 0.010, 0.004, (0.042, 0, 0.004)),
         box(0.012, 0.048, 0.005, (-0.028, 0, 0.005)),
         capsule(0.012, 0.030, (-0.062, 0.048, 0.012), "x", aff=True),
         capsule(0.012, 0.030, (-0.062, -0.048, 0.012), "x", aff=True)),
    _obj("stapler", _C, (0.198, 0.050, 0.067), "top arm", 0.30,
         box(0.099, 0.025, 0.010, (0, 0, 0.010)),
         box(0.090, 0.022, 0.0235, (-0.009, 0, 0.0435), aff=True)),
    _obj("teapot", _C, (0.399, 0.248, 0.191), "handle", 0.90,
         round_body(0.117, 0.140),
         capsule(0.014, 0.055, (-0.168, 0, 0.095), aff=True),
         capsule(0.013, 0.060, (0.160, 0, 0.140), "x", tilt=40)),
    _obj("toothbrush", _C, (0.248, 0.037, 0.020), "handle", 0.02,
         box(0.094, 0.008, 0.006, (-0.030, 0, 0.006), aff=True),
         box(0.030, 0.0185, 0.010, (0.094, 0, 0.010))),
    _obj("toothpaste", _C, (0.285, 0.077, 0.056), "tube", 0.15,
         box(0.1300, 0.0385, 0.028, (-0.0125, 0, 0.028), aff=True),
         capsule(0.0120, 0.0005, (0.1295, 0, 0.028), "x")),
    _obj("saucepan", _E, (0.380, 0.200, 0.100), "handle", 1.00,
         round_body(0.094, 0.100),
         capsule(0.012, 0.075, (0.181, 0, 0.080), "x", aff=True)),
    _obj("bottle", _E, (0.075, 0.075, 0.250), "body", 0.50,
         round_body(0.0354, 0.190, aff=True),
         capsule(0.014, 0.023, (0, 0, 0.213))),
    _obj("jug", _E, (0.200, 0.140, 0.220), "handle", 0.80,
         round_body(0.066, 0.220),
         capsule(0.013, 0.065, (0.112, 0, 0.110), aff=True),
         capsule(0.009, 0.030, (0.082, 0, 0.185), "x", aff=True)),
    _obj("spatula", _E, (0.300, 0.070, 0.022), "handle", 0.08,
         box(0.045, 0.035, 0.003, (0.105, 0, 0.003)),
         capsule(0.011, 0.094, (-0.045, 0, 0.011), "x", aff=True)),
    _obj("banana", _E, (0.210, 0.060, 0.036), "body", 0.12,
         Part("capsule", (0.018, 0.044), (-0.045, 0.0, 0.020), (0, 90, 15), True),
         Part("capsule", (0.018, 0.044), (0.045, 0.0, 0.020), (0, 90, -15), True)),
    _obj("soda_can", _E, (0.066, 0.066, 0.122), "body", 0.35,
         round_body(0.0311, 0.122, aff=True)),
    _obj("screwdriver", _E, (0.200, 0.032, 0.032), "handle", 0.10,
         capsule(0.016, 0.040, (-0.044, 0, 0.016), "x", aff=True),
         capsule(0.004, 0.044, (0.052, 0, 0.016), "x")),
    _obj("remote_control", _E, (0.180, 0.050, 0.024), "body", 0.12,
         box(0.090, 0.025, 0.008, (0, 0, 0.008), aff=True),
         box(0.060, 0.020, 0.004, (-0.010, 0, 0.020))),
    _obj("wrench", _E, (0.200, 0.045, 0.010), "handle", 0.15,
         box(0.075, 0.010, 0.005, (-0.025, 0, 0.005), aff=True),
         box(0.025, 0.0225, 0.005, (0.075, 0, 0.005))),
    _obj("ladle", _E, (0.290, 0.076, 0.078), "handle", 0.12,
         capsule(0.038, 0.001, (0.110, 0, 0.038), aff=False),
         capsule(0.009, 0.095, (-0.040, 0, 0.050), "x", tilt=8, aff=True)),
    _obj("pliers", _E, (0.200, 0.055, 0.018), "handles", 0.20,
         box(0.030, 0.012, 0.009, (0.070, 0, 0.009)),
         capsule(0.009, 0.060, (-0.030, 0.018, 0.009), "x", tilt=0, aff=True),
         capsule(0.009, 0.060, (-0.030, -0.018, 0.009), "x", tilt=0, aff=True)),
)

NAMES: tuple[str, ...] = tuple(o.name for o in CATALOGUE)


def get(name: str) -> ObjectSpec:
    for o in CATALOGUE:
        if o.name == name:
            return o
    raise ConfigError(f"unknown object {name!r}; choose from: {', '.join(NAMES)} (see `dexvip objects`)")


def resolve(names) -> tuple[str, ...]:
    """Object subset from a name list, a comma string, 'all', 'contactdb16' or 'extra11'."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out: list[str] = []
    for n in names:
        if n == "all":
            out += NAMES
        elif n in ("contactdb16", "extra11"):
            out += [o.name for o in CATALOGUE if o.group == n]
        else:
            out.append(get(n).name)
    if not out:
        raise ConfigError("no objects selected; pass names like 'mug,pan' or 'all'")
    return tuple(dict.fromkeys(out))
