"""The grasp scene: gymnasium-robotics' Adroit relocate hand, a table and one object body of slots.

Built with ``mujoco.MjSpec`` from the installed ``adroit_relocate.xml`` (never copied into the repo),
then made MJX-friendly, each choice checked against MuJoCo C in the tests:

* collisions only through explicit ``<pair>``s: hand collision geoms x object slots, object slots x
  table and x floor, fingertips x table. The hand's 19 self-collision pairs go (the measured biggest MJX cost);
* geom margin 0 (MJX rejects margins on some pairs), joint frictionloss 0, and of the 44 fixed
  tendons only the four ``T_*J1c`` couplings that can reach their limits;
* Newton solver with few iterations, Euler integration with ``eulerdamp`` off, autoreset off so a
  diverged state shows as non-finite in both backends instead of a silent reset in MuJoCo C;
* arm servos with bias = -gain, so an arm ctrl is a position target (the shipped model's
  gain 500 / bias -200 settles at q = 2.5 ctrl).

An object is four geom slots (2 boxes, 2 capsules) on one free body; with ``shapes="mesh"`` also
``meshes.MAX_PIECES`` convex mesh slots, which hold the real shape of the objects that have one
(``meshes.py``) while their primitive slots go unused, and go unused for the others. ``compile_object``
fills them for one catalogue object; unused slots shrink to a speck inside the largest part. Every
object of one ``shapes`` setting thus compiles to a model with the same structure, and ``object_tables`` lists the fields that differ, so
MJX can gather per-env parameters (and ``mjx_meshes`` the mesh pieces, padded to common sizes) while MuJoCo C keeps one ``MjModel`` per object (all derived
fields, such as bounding radii and inertias, recomputed by MuJoCo's own compiler).
"""

from __future__ import annotations

import dataclasses
import functools
import os

import mujoco
import numpy as np

from dexvip_jax import quiet
from dexvip_jax.envs import meshes
from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError

TIMESTEP = 0.002
ARM_JOINTS = ("ARTx", "ARTy", "ARTz", "ARRx", "ARRy", "ARRz")
HAND_JOINTS = (
    "WRJ1", "WRJ0",
    "FFJ3", "FFJ2", "FFJ1", "FFJ0", "MFJ3", "MFJ2", "MFJ1", "MFJ0", "RFJ3", "RFJ2", "RFJ1", "RFJ0",
    "LFJ4", "LFJ3", "LFJ2", "LFJ1", "LFJ0", "THJ4", "THJ3", "THJ2", "THJ1", "THJ0",
)
JOINTS = ARM_JOINTS + HAND_JOINTS  # 30 actuated joints; qpos[:30], then the object's free joint
TOUCH_SITES = tuple(
    f"Tch_{f}{part}"
    for part in ("tip", "middle", "proximal", "metacarpal")
    for f in ("ff", "mf", "rf", "lf", "th")
) + ("Tch_palm",)  # 21: 5 tips, 5 middle, 5 proximal, 5 metacarpal, palm
PALM_POINT = TOUCH_SITES.index("Tch_palm")
# GRAFF's 9 hand points for the motor observation: 5 fingertips + 4 proximal phalanges.
OBS_HAND_POINTS = tuple(TOUCH_SITES.index(s) for s in (
    "Tch_fftip", "Tch_mftip", "Tch_rftip", "Tch_lftip", "Tch_thtip",
    "Tch_ffproximal", "Tch_mfproximal", "Tch_rfproximal", "Tch_lfproximal"))
HAND_COLLIDERS = (
    "C_palm0", "C_palm1", "C_lfmetacarpal",
    "C_ffproximal", "C_ffmiddle", "C_ffdistal", "C_mfproximal", "C_mfmiddle", "C_mfdistal",
    "C_rfproximal", "C_rfmiddle", "C_rfdistal", "C_lfproximal", "C_lfmiddle", "C_lfdistal",
    "C_thproximal", "C_thmiddle", "C_thdistal",
)
TABLE_COLLIDERS = ("C_ffdistal", "C_mfdistal", "C_rfdistal", "C_lfdistal", "C_thdistal")
# The touch sensors' volumes (``_touch_volumes``): Adroit's own sites are 4 mm slabs on the palmar
# face of each phalanx, which missed most contacts of a whole-hand grasp (a power grasp of the
# flashlight touched 8 hand geoms and lit 2 of its 21 sites). Each sensor here covers its part of
# the hand's collision surface, all round, 3 mm deep; the five on the palm tile its two boxes.
TOUCH_MARGIN = 0.003  # m beyond a collider's surface that a sensor's box reaches
# The palm's five sensors as (x0, x1, z0, z1) in the palm frame (its collision boxes span x in
# [-0.043, 0.043], z in [-0.011, 0.087]; the knuckle row is z > 0.055, the thumb side x > 0): the
# thumb's metacarpal sensor is the palm's thumb-side strip (the thenar eminence), the palm sensor the
# middle and the little-finger side below the knuckles.
PALM_TILES = {"Tch_ffmetacarpal": (0.022, 0.046, 0.055, 0.090), "Tch_mfmetacarpal": (0.0, 0.022, 0.055, 0.090),
              "Tch_rfmetacarpal": (-0.024, 0.0, 0.055, 0.090), "Tch_thmetacarpal": (0.022, 0.046, -0.014, 0.055),
              "Tch_palm": (-0.046, 0.022, -0.014, 0.055)}
# The hand collider(s) each touch sensor sits on. A sensor counts only while its collider touches the
# object (``features.features``): MuJoCo's touch sensor sums every contact in its volume, and a
# fingertip pressed on the table would otherwise count as touching the object.
TOUCH_COLLIDERS = {s: (("C_palm0", "C_palm1") if s in PALM_TILES else
                       ("C_lfmetacarpal",) if s == "Tch_lfmetacarpal" else
                       ("C_" + s[4:6] + {"tip": "distal"}.get(s[6:], s[6:]),)) for s in TOUCH_SITES}
# (21, 18): 1 where a touch sensor sits on a hand collider (rows TOUCH_SITES, columns HAND_COLLIDERS).
TOUCH_ON_COLLIDER = np.array([[c in TOUCH_COLLIDERS[s] for c in HAND_COLLIDERS] for s in TOUCH_SITES], np.float32)
KEPT_TENDONS = ("T_FFJ1c", "T_MFJ1c", "T_RFJ1c", "T_LFJ1c")
SLOTS = tuple(f"obj_box{i}" for i in range(zoo.NUM_BOXES)) + tuple(f"obj_cap{i}" for i in range(zoo.NUM_CAPSULES))
MESH_SLOTS = tuple(f"obj_mesh{i}" for i in range(meshes.MAX_PIECES))
MAX_HULL_VERTICES = 32  # per mesh piece: MJX's advice for convex-convex pairs (MuJoCo's default keeps all)
SPECK = 0.001  # m: the half size of an unused slot
TABLE_HALF = (0.85, 0.45, 0.025)  # GRAFF's table top, its surface at z = 0
AFF_RGBA = (0.85, 0.35, 0.2, 1.0)  # the object's affordance part is drawn (and ray-cast) in this colour
BODY_RGBA = (0.3, 0.55, 0.85, 1.0)
EGO_CAMERA = "ego"


@dataclasses.dataclass(frozen=True)
class Physics:
    """Contact, servo and reach settings that are not the paper's, chosen with the grasp oracle as
    the probe (``python benchmarks/oracle.py`` measures each against the shipped model's values).

    ``impratio`` 10: MuJoCo's ratio of friction-to-normal constraint impedance; at the shipped 1 a
    squeezed object creeps out of the fingers under its own weight. Finger servos with ``finger_kp``
    10 (shipped 1) squeeze hard enough to hold 1 kg by the fingertips (kp 5: as many lifts, fewer
    survive the stability pushes); ``finger_damping`` 0.5 (shipped 0.05) keeps them stable at the
    2 ms Euler step.
    ``reach_down`` 0.10 m: the shipped vertical slide stops at its start height, where the
    fingertips cannot reach below ~5 cm, so no object lower than that could be grasped.
    ``hand_friction`` 1.5 (shipped 1): rubber-like fingertips on household objects.
    ``hand_timeconst`` 0.01 s (MuJoCo's default 0.02) on hand-object contacts: MuJoCo's friction
    is a soft constraint, so a squeezed object creeps at a speed that grows with the constraint's
    time constant; at 0.02 s a 1 kg spatula or pliers slides out of the fingers within the episode.
    0.005 s holds more still, but there MJX (float32) launches a pan the hand pushes 7 cm up where
    MuJoCo C barely moves it, so the backends no longer agree.
    ``slide_damping`` 60 (shipped 20) on the arm slides: at 20 a step of the target overshoots by
    ~50% (``benchmarks/arm_step.py``) and a reach swings the fingers into the object.
    ``cone``, ``condim`` and ``iterations`` stay the shipped ones: torsional or rolling friction
    lifted no more with the oracle; 20 iterations (95.4% against 92.6%), impratio 20 (96.3%) and
    elliptic cones at impratio 3 (92.6%, steadier under the pushes) are measured with the oracle
    only, not on MJX, the divergence fuzz or learning (elliptic cones at impratio 10 diverge).
    """

    impratio: float = 10.0
    finger_kp: float = 10.0
    finger_damping: float = 0.5
    reach_down: float = 0.10  # m the vertical arm slide may go below its start (shipped 0)
    hand_friction: float = 1.5  # sliding friction of hand-object contacts (shipped 1)
    cone: str = "pyramidal"  # friction cone: "pyramidal" (shipped) or "elliptic"
    condim: int = 3  # hand-object contact dimension: 3 sliding (shipped), 4 + torsional, 6 + rolling
    iterations: int = 6  # Newton solver iterations
    slide_damping: float = 60.0  # N s/m on the three arm slides (shipped 20: a 0.1 m step overshoots ~50%)
    hand_timeconst: float = 0.01  # s: solref time constant of hand-object contacts (MuJoCo's default 0.02)
    shapes: str = "primitive"  # "primitive": every object from parts; "mesh": real meshes where they exist

    @classmethod
    def shipped(cls) -> "Physics":
        """The Adroit model's own values."""
        return cls(impratio=1.0, finger_kp=1.0, finger_damping=0.05, reach_down=0.0, hand_friction=1.0,
                   cone="pyramidal", condim=3, iterations=6, slide_damping=20.0, hand_timeconst=0.02)

    @property
    def slots(self) -> tuple[str, ...]:
        """The object body's collision geoms under ``shapes``."""
        return SLOTS + (MESH_SLOTS if self.shapes == "mesh" else ())


FINGER_JOINTS = HAND_JOINTS[2:]  # after the wrist: the 22 finger and thumb joints


@dataclasses.dataclass(frozen=True)
class SensorLayout:
    """Where each feature lives in ``sensordata`` (slices are static, shared by both backends)."""

    touch: slice  # 21 touch magnitudes
    hand_points: slice  # 21 x 3 touch-site positions
    obj_pos: slice
    obj_quat: slice
    hand_obj: slice  # per (hand collider, slot) pair: 1 if they touch (a contact sensor each)
    slot_table: slice  # per slot: 1 if it touches the table


def adroit_xml_path() -> str:
    root = quiet.asset_root("gymnasium_robotics")  # without importing it: no Adroit v1 notice
    return os.path.join(root, "envs", "assets", "adroit_hand", "adroit_relocate.xml")


def _base_spec(physics: Physics) -> mujoco.MjSpec:
    spec = mujoco.MjSpec.from_file(adroit_xml_path())
    for name in ("Object", "vive_tracker", "table"):
        spec.delete(spec.body(name))
    spec.delete(spec.site("target"))
    for p in list(spec.pairs):
        spec.delete(p)
    for t in list(spec.tendons):
        if t.name not in KEPT_TENDONS:
            spec.delete(t)
    for s in list(spec.sensors):  # the shipped touch sensors give way to ``_touch_volumes``
        spec.delete(s)
    for j in spec.joints:
        j.frictionloss = 0.0
    # The arm is a robot mount: gravity-compensated, as a real arm's controller would do, so the
    # arm servos hold their targets instead of sagging ~0.1 m under the hand's weight.
    for body in spec.body("forearm").find_all(mujoco.mjtObj.mjOBJ_BODY):
        body.gravcomp = 1.0
    spec.body("forearm").gravcomp = 1.0
    for name in ARM_JOINTS:
        act = spec.actuator("A_" + name)
        act.biasprm[1] = -act.gainprm[0]
    spec.joint("ARTy").range[0] = spec.actuator("A_ARTy").ctrlrange[0] = -physics.reach_down
    for name in ARM_JOINTS[:3]:
        spec.joint(name).damping[0] = physics.slide_damping
    for name in FINGER_JOINTS:
        act = spec.actuator("A_" + name)
        act.gainprm[0], act.biasprm[1] = physics.finger_kp, -physics.finger_kp
        spec.joint(name).damping[0] = physics.finger_damping

    opt = spec.option
    opt.timestep = TIMESTEP
    opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    opt.solver = mujoco.mjtSolver.mjSOL_NEWTON
    opt.iterations = physics.iterations
    opt.ls_iterations = 8
    opt.noslip_iterations = 0
    opt.jacobian = mujoco.mjtJacobian.mjJAC_DENSE
    opt.cone = {"pyramidal": mujoco.mjtCone.mjCONE_PYRAMIDAL, "elliptic": mujoco.mjtCone.mjCONE_ELLIPTIC}[physics.cone]
    opt.impratio = physics.impratio
    opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_AUTORESET
    spec.nconmax = -1
    spec.njmax = -1
    spec.nstack = -1

    world = spec.worldbody
    table = world.add_body(name="table")
    table.add_geom(name="table_top", type=mujoco.mjtGeom.mjGEOM_BOX, size=TABLE_HALF,
                   pos=(0, 0, -TABLE_HALF[2]), rgba=(0.75, 0.72, 0.68, 1))
    obj = world.add_body(name="object")
    obj.add_freejoint(name="object_free")
    for name in SLOTS:
        kind = mujoco.mjtGeom.mjGEOM_BOX if "box" in name else mujoco.mjtGeom.mjGEOM_CAPSULE
        obj.add_geom(name=name, type=kind, size=(0.01, 0.01, 0.01), condim=3, friction=(1, 0.5, 0.01))
    for name in MESH_SLOTS if physics.shapes == "mesh" else ():  # vertices: ``_fill_mesh_slots``
        obj.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_MESH, meshname=name, condim=3, friction=(1, 0.5, 0.01),
                     group=2)  # visible by default; MJX's camera casts rays against them apart (``mjx_meshes``)

    palm = spec.body("palm")
    # Egocentric camera looking out of the palm (the palm faces -y in its frame), tilted 30 degrees
    # toward the fingers (image up), so an object in front of the fingers stays in view.
    palm.add_site(name="ego_camera", pos=(0.011, -0.02, 0.05), size=(0.005, 0, 0), group=3)
    palm.add_camera(name=EGO_CAMERA, pos=(0.011, -0.02, 0.05), xyaxes=(-1, 0, 0, 0, 0.5, 0.866), fovy=90)
    world.add_camera(name="overview", pos=(0.35, -0.55, 0.45), xyaxes=(0.85, 0.53, 0, -0.25, 0.4, 0.88))

    for g in spec.geoms:
        g.margin = 0.0
        g.gap = 0.0
        g.contype = 0
        g.conaffinity = 0
    slots = physics.slots
    for hand in HAND_COLLIDERS:
        for slot in slots:
            spec.add_pair(geomname1=hand, geomname2=slot, condim=physics.condim,
                          friction=(physics.hand_friction, physics.hand_friction, 0.005, 0.0001, 0.0001),
                          solref=(physics.hand_timeconst, 1.0))
    for slot in slots:
        spec.add_pair(geomname1=slot, geomname2="table_top", condim=3, friction=(1, 1, 0.005, 0.0001, 0.0001))
    for tip in TABLE_COLLIDERS:
        spec.add_pair(geomname1=tip, geomname2="table_top", condim=3, friction=(1, 1, 0.005, 0.0001, 0.0001))
    for slot in slots:  # the floor, 1 m below the table top, catches an object pushed off the table
        spec.add_pair(geomname1="ground", geomname2=slot, condim=3, friction=(1, 1, 0.005, 0.0001, 0.0001))

    # Features come from sensors only, so MJX and MuJoCo C hand the env the same numbers.
    _touch_volumes(spec)
    for site in TOUCH_SITES:
        spec.add_sensor(name="pos_" + site, type=mujoco.mjtSensor.mjSENS_FRAMEPOS,
                        objtype=mujoco.mjtObj.mjOBJ_SITE, objname=site)
    spec.add_sensor(name="obj_pos", type=mujoco.mjtSensor.mjSENS_FRAMEPOS,
                    objtype=mujoco.mjtObj.mjOBJ_XBODY, objname="object")
    spec.add_sensor(name="obj_quat", type=mujoco.mjtSensor.mjSENS_FRAMEQUAT,
                    objtype=mujoco.mjtObj.mjOBJ_XBODY, objname="object")
    # Contacts are read per named geom pair, never derived by subtraction: "hand touches object" is
    # one sensor per (hand collider, object slot), so adding a pair elsewhere cannot change it.
    found = 1 << int(mujoco.mjtConDataField.mjCONDATA_FOUND)
    for hand in HAND_COLLIDERS:
        for slot in slots:
            spec.add_sensor(name=f"hand_{hand}_{slot}", type=mujoco.mjtSensor.mjSENS_CONTACT,
                            objtype=mujoco.mjtObj.mjOBJ_GEOM, objname=hand,
                            reftype=mujoco.mjtObj.mjOBJ_GEOM, refname=slot, intprm=[found, 0, 1])
    for slot in slots:
        spec.add_sensor(name="table_" + slot, type=mujoco.mjtSensor.mjSENS_CONTACT,
                        objtype=mujoco.mjtObj.mjOBJ_GEOM, objname=slot,
                        reftype=mujoco.mjtObj.mjOBJ_GEOM, refname="table_top", intprm=[found, 0, 1])
    return spec


def _touch_volumes(spec: mujoco.MjSpec) -> None:
    """A touch sensor (``touch_<site>``, in TOUCH_SITES order) on a box site covering each hand part's
    collision surface with ``TOUCH_MARGIN``: a capsule phalanx all round, the little finger's
    metacarpal box, and the palm's boxes in ``PALM_TILES``. Adroit's ``Tch_*`` sites stay as the
    hand points (their positions feed the affordance reward and the observation)."""
    half_y = spec.geom("C_palm0").size[1] + TOUCH_MARGIN
    for site in TOUCH_SITES:
        if site in PALM_TILES:
            x0, x1, z0, z1 = PALM_TILES[site]
            body, pos, size = "palm", ((x0 + x1) / 2, 0.0, (z0 + z1) / 2), ((x1 - x0) / 2, half_y, (z1 - z0) / 2)
        else:
            geom = spec.geom(TOUCH_COLLIDERS[site][0])
            body, pos = geom.parent.name, tuple(geom.pos)
            if geom.type == mujoco.mjtGeom.mjGEOM_CAPSULE:
                r, hl = geom.size[0], geom.size[1]
                size = (r + TOUCH_MARGIN, r + TOUCH_MARGIN, hl + r + TOUCH_MARGIN)
            else:
                size = tuple(float(h) + TOUCH_MARGIN for h in geom.size)
        quat = (1.0, 0.0, 0.0, 0.0) if site in PALM_TILES else tuple(geom.quat)
        spec.body(body).add_site(name="Tv_" + site[4:], type=mujoco.mjtGeom.mjGEOM_BOX, pos=pos, quat=quat, size=size,
                                 group=4)
        spec.add_sensor(name="touch_" + site[4:], type=mujoco.mjtSensor.mjSENS_TOUCH,
                        objtype=mujoco.mjtObj.mjOBJ_SITE, objname="Tv_" + site[4:])


def _speck(geom, at) -> None:
    """An unused slot: a massless, invisible speck of ``SPECK`` at ``at`` (inside the object)."""
    geom.pos = tuple(float(v) for v in at)
    geom.quat = (1, 0, 0, 0)
    geom.density = 0.0
    geom.rgba = (0, 0, 0, 0)
    if geom.type != mujoco.mjtGeom.mjGEOM_MESH:
        geom.size = (SPECK, SPECK, SPECK)


def _fill_slots(spec: mujoco.MjSpec, obj: zoo.ObjectSpec, mass: float, physics: Physics) -> None:
    """Primitive parts, or with ``shapes="mesh"`` the mesh pieces where the object has a mesh."""
    mesh = meshes.load(obj.name) if meshes.shape_source(obj.name, physics.shapes) == "mesh" else None
    parts = {"box": [p for p in obj.parts if p.kind == "box"], "capsule": [p for p in obj.parts if p.kind == "capsule"]}
    if mesh is None:
        largest = max(obj.parts, key=lambda p: np.prod(p.size)).pos
        density = mass / sum(_volume(p) for p in obj.parts)  # overlapping parts count twice, as in MuJoCo's own inertia
    else:
        largest = max(mesh.pieces, key=lambda v: np.ptp(v, axis=0).prod()).mean(0)
        density = mass / mesh.volume()
    for name in SLOTS:
        kind = "box" if "box" in name else "capsule"
        geom = spec.geom(name)
        part = parts[kind].pop(0) if parts[kind] and mesh is None else None
        if part is None:
            _speck(geom, largest)
            continue
        geom.size = tuple(part.size) + (0.0,) * (3 - len(part.size))
        geom.pos = part.pos
        geom.quat = zoo.mat_to_quat(part.rot)
        geom.density = density
        geom.rgba = AFF_RGBA if part.affordance else BODY_RGBA
    if physics.shapes != "mesh":
        return
    pieces = mesh.pieces if mesh is not None else ()
    tetra = SPECK * np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    for i, name in enumerate(MESH_SLOTS):
        verts = pieces[i] if i < len(pieces) else largest + tetra
        asset = spec.add_mesh(name=name, uservert=np.asarray(verts, np.float64).reshape(-1).tolist(),
                              maxhullvert=MAX_HULL_VERTICES, scale=(1, 1, 1))  # Adroit's default: mm
        # The pieces' hulls (Adroit's meshes default to the legacy inertia); a speck has too little
        # volume for MuJoCo, so it counts as a shell.
        asset.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_CONVEX if i < len(pieces) else mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL
        geom = spec.geom(name)
        if i >= len(pieces):
            _speck(geom, (0, 0, 0))
            continue
        geom.density = density
        geom.rgba = AFF_RGBA if _on_affordance(obj, verts) else BODY_RGBA


def _on_affordance(obj: zoo.ObjectSpec, verts: np.ndarray) -> bool:
    """Whether a mesh piece belongs to the stand-in's affordance part: the part its vertices lie
    nearest, on average."""
    dist = [np.abs(zoo.signed_distance(p, verts)).mean() for p in obj.parts]
    return obj.parts[int(np.argmin(dist))].affordance


def _volume(p: zoo.Part) -> float:
    if p.kind == "box":
        return 8 * float(np.prod(p.size))
    r, hl = p.size
    return np.pi * r * r * 2 * hl + 4 / 3 * np.pi * r**3


@functools.lru_cache(maxsize=None)
def compile_object(name: str, mass: float | None = 1.0, physics: Physics = Physics()) -> mujoco.MjModel:
    """The scene with ``name`` in the object slots; ``mass=None`` uses the catalogue's real mass.

    Cached because the result is immutable by convention (callers copy before editing) and the
    27 compiles are the env's whole start-up cost.
    """
    obj = zoo.get(name)
    mass = obj.mass if mass is None else float(mass)
    spec = _base_spec(physics)
    _fill_slots(spec, obj, mass, physics)
    m = spec.compile()
    got = m.body_mass[m.body("object").id]
    if not np.isclose(got, mass, rtol=1e-6):  # mesh hulls cut to MAX_HULL_VERTICES hold less volume
        for g in spec.body("object").geoms:
            g.density *= mass / got
        m = spec.compile()
    return m


def ego_camera(m: mujoco.MjModel) -> tuple[int, int]:
    """The egocentric camera's id and the body it rides on (its rays ignore that body's geoms)."""
    cam = m.camera(EGO_CAMERA).id
    return cam, int(m.cam_bodyid[cam])


def object_geoms(m: mujoco.MjModel) -> np.ndarray:
    """(ngeom,) bool: the object body's geoms."""
    return m.geom_bodyid == m.body("object").id


def affordance_geoms(m: mujoco.MjModel) -> np.ndarray:
    """(ngeom,) bool: the object's geoms that hold its affordance part (drawn in ``AFF_RGBA``)."""
    return object_geoms(m) & np.all(np.isclose(m.geom_rgba, AFF_RGBA), axis=1)


def sensor_layout(m: mujoco.MjModel) -> SensorLayout:
    def span(first: str, count: int) -> slice:
        i = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SENSOR, first)
        start = int(m.sensor_adr[i])
        end = int(m.sensor_adr[i + count - 1] + m.sensor_dim[i + count - 1])
        return slice(start, end)

    n = len(object_slots(m))
    return SensorLayout(
        touch=span("touch_" + TOUCH_SITES[0][4:], len(TOUCH_SITES)),
        hand_points=span("pos_" + TOUCH_SITES[0], len(TOUCH_SITES)),
        obj_pos=span("obj_pos", 1),
        obj_quat=span("obj_quat", 1),
        hand_obj=span(f"hand_{HAND_COLLIDERS[0]}_{SLOTS[0]}", len(HAND_COLLIDERS) * n),
        slot_table=span("table_" + SLOTS[0], n),
    )


def object_slots(m: mujoco.MjModel) -> tuple[str, ...]:
    """The model's object collision slots (``Physics.slots`` of the settings it was built with)."""
    return tuple(n for n in SLOTS + MESH_SLOTS if mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n) >= 0)


MESH_DATA = ("mesh_", "bvh_", "oct_")  # fields sized by the meshes' data: ``mjx_meshes`` pads what MJX uses


def object_tables(models: list[mujoco.MjModel]) -> dict[str, np.ndarray]:
    """Model fields that differ between objects, stacked along a leading object axis; the mesh
    data (``MESH_DATA``) differ in size between mesh objects and are left to ``mjx_meshes``."""
    base = models[0]
    out = {}
    for field in dir(base):
        if field.startswith(("_",) + MESH_DATA):
            continue
        vals = [getattr(m, field) for m in models]
        if not isinstance(vals[0], np.ndarray) or vals[0].dtype == object:
            continue
        if any(v.shape != vals[0].shape for v in vals[1:]):
            raise ConfigError(f"the objects' models differ in the size of {field}, so one compiled MJX model "
                              "cannot hold them all; build them with one env.shapes setting")
        if any(not np.array_equal(v, vals[0]) for v in vals[1:]):
            out[field] = np.stack(vals)
    return out
