"""A scripted grasp-and-lift that plans with the hand's own kinematics and acts only through ``env.step``.

Per (object, yaw), on the object's compiled MuJoCo model:

1. **Where to grasp.** Through the centre of mass (at most 5 cm below the object's top, where
   the fingertips reach), through the point of each part's long axis nearest the centre of mass
   (a long part held there does not pivot) and through each part's centre, ray casts find the
   narrowest horizontal sections (at least 1 cm wide) among the directions the hand can face
   (fingers ahead, within 90 degrees of +y): the fingers go on the far side, the thumb on the near.
2. **How.** Damped-least-squares IK over all 30 joints puts the index, middle and ring fingertips
   on the far surface (2.5 cm apart) and the thumb tip on the near one, the little finger straight
   (curled, it hangs below the others onto the object). Hand-only IK then gives a wide-open claw
   (5 cm outside the surface) and a squeeze (targets 3, 5 or 8 cm past the surface, which the
   position servos turn into grip force).
3. **Motion.** Joint-space moves: straight up (so the fingers do not sweep into a tall object),
   to the open claw 5 cm above the object's top, straight down (the ARTy slide is world z),
   close, lift 30 cm straight up (a long object tilting in the grasp still clears the table), hold
   until the episode ends and through the stability forces. A phase takes longer where a joint
   would move further per step than the env's relative actions allow, so the env follows the plan.
4. **Check.** Candidates (each point's four narrowest sections, at its height and 2 cm higher and
   lower; all with the 3 cm squeeze, then all with 5 cm, then 8 cm) are simulated in order on the
   planner's own copy of the MuJoCo model; the first that holds the object for the last 50 steps,
   and holds it too with the object turned 1 degree and 1.5 times heavier (a grasp that barely
   holds can fail in the env's float32 replay or on MJX), is executed; else the first with the
   fewest of those margins missing; else the first.

``plan(..., target_pose=...)`` (``dexvip oracle --grasp prior``) grasps with the whole hand instead:
the palm flat over the grasp point (``place_palm``), the fingers closing toward the object's
consensus human pose and past it (``_wrap``); a grasp that holds with the pose reward's touch gate
open comes first.

The joint targets become actions with the env's own inverse action mapping
(``GraspEnv.actions_for_targets``), so the oracle follows any change of action parametrisation.
"""

from __future__ import annotations

import copy

import numpy as np

import mujoco

from dexvip_jax.envs import scene

NJ = len(scene.JOINTS)
ARM = np.arange(8)  # 6 arm joints and the 2 wrist joints place the palm
HAND = np.arange(8, NJ)  # finger and thumb joints
FINGERTIPS = ("Tch_fftip", "Tch_mftip", "Tch_rftip")
THUMB = "Tch_thtip"
LITTLE = np.array([scene.JOINTS.index(j) for j in ("LFJ4", "LFJ3", "LFJ2", "LFJ1", "LFJ0")])
FINGER_SPREAD = 0.025  # m between neighbouring fingertips on the far surface
OPEN_MARGIN = 0.05  # m outside the surface for the open claw
SQUEEZES = (0.03, 0.05, 0.08)  # m past the surface for the closing targets: firm, then harder
LIFT = 0.30  # m: a pan held by its handle tilts, and its rim must still clear the table
CLEARANCE = 0.05  # m above the object's top before descending
REACH_BELOW_TOP = 0.05  # m: the fingertips grasp at most this far below the top
PHASES = {"raise": 10, "reach": 30, "descend": 20, "close": 20, "settle": 5, "lift": 30}  # control steps
YAW_WINDOW_DEG = 90
SECTIONS_PER_POINT = 4  # the narrowest sections tried at each grasp point and height
AXIS_MARGIN = 0.015  # m: a grasp point on a part's axis stays this far in from its ends
MIN_HALF = 0.005  # m: a narrower section (a blade, a grazed corner) cannot be squeezed
ROBUST_YAW = np.deg2rad(1.0)  # a chosen grasp must also hold the object turned this much: the env's
# float32 replay of a grasp that barely holds on the planner's model can drop it
ROBUST_WEIGHT = 1.5  # ... and hold it this many times heavier: a grasp with that margin holds on MJX as
# on MuJoCo C, where a pinch that only just holds can let go on either (benchmarks/meshes.py --parts mjx)
LOWEST = 0.012  # m: the lowest grasp height, where the fingertips just clear the table
GRASPS = ("pinch", "prior")  # fingertip pinch (the default); whole-hand grasp toward the consensus pose
# Whole-hand grasps: (the hand point placed over the grasp point, m it is pressed below the object's
# top), tried in order: the object under the proximal phalanges (a handle; flat objects), then
# under the knuckles (round ones, the palm cupping them).
WRAPS = (("Tch_mfproximal", 0.04), ("Tch_mfmetacarpal", 0.02), ("Tch_mfmetacarpal", 0.04), ("Tch_mfproximal", 0.0))
PALM_SITES = ("Tch_palm", "Tch_ffmetacarpal", "Tch_rfmetacarpal")  # three points that fix the palm's pose
THUMB_TURN = np.array([scene.JOINTS.index("THJ4")])  # the thumb's rotation toward the palm
# How far each finger joint's closing target lies past the consensus pose, as a share of the way
# from open to it (clipped at the joint's limits), tried in order: past it the servos squeeze.
WRAP_SQUEEZES = (1.0, 3.0)
WRAP_SECTIONS = 16  # a whole-hand grasp tries the first sections only (through the centre of mass, narrowest first)


def _ik(m, d, sites: dict, q0: np.ndarray, free: np.ndarray, iters: int = 300, q_nom=None, w_nom: float = 0.02):
    """Joint angles (``free`` ones moved) putting each named site at its target; DLS within limits."""
    q = q0.copy()
    lo, hi = m.jnt_range[:NJ].T
    ids = [m.site(s).id for s in sites]
    jac = np.zeros((3, m.nv))
    for _ in range(iters):
        d.qpos[:NJ] = q
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        rows, errs = [], []
        for sid, target in zip(ids, sites.values()):
            mujoco.mj_jacSite(m, d, jac, None, sid)
            rows.append(jac[:, free].copy())
            errs.append(target - d.site_xpos[sid])
        if q_nom is not None:
            rows.append(w_nom * np.eye(len(free)))
            errs.append(w_nom * (q_nom[free] - q[free]))
        jm, e = np.vstack(rows), np.concatenate(errs)
        q[free] = np.clip(q[free] + np.linalg.solve(jm.T @ jm + 1e-3 * np.eye(len(free)), jm.T @ e), lo[free], hi[free])
    return q


def _palm_ik(m, d, q0: np.ndarray, delta: np.ndarray, iters: int = 200) -> np.ndarray:
    """Arm joints that move the palm by ``delta`` (world) and keep its orientation."""
    q = q0.copy()
    lo, hi = m.jnt_range[:NJ].T
    sid, palm = m.site("Tch_palm").id, m.body("palm").id
    d.qpos[:NJ] = q
    mujoco.mj_kinematics(m, d)
    target, rot = d.site_xpos[sid] + delta, d.xmat[palm].reshape(3, 3).copy()
    jp, jr = np.zeros((3, m.nv)), np.zeros((3, m.nv))
    for _ in range(iters):
        d.qpos[:NJ] = q
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        mujoco.mj_jacSite(m, d, jp, jr, sid)
        e_rot = rot @ d.xmat[palm].reshape(3, 3).T
        err = np.concatenate([target - d.site_xpos[sid],
                              0.3 * 0.5 * np.array([e_rot[2, 1] - e_rot[1, 2], e_rot[0, 2] - e_rot[2, 0],
                                                    e_rot[1, 0] - e_rot[0, 1]])])
        jm = np.vstack([jp[:, ARM], 0.3 * jr[:, ARM]])
        q[ARM] = np.clip(q[ARM] + jm.T @ np.linalg.solve(jm @ jm.T + 1e-4 * np.eye(6), err), lo[ARM], hi[ARM])
    return q


def _section(m, d, centre: np.ndarray, n: np.ndarray):
    """(half-width, midpoint) of the object along horizontal ``n`` through ``centre``, by ray casts."""
    body = m.body("object").id
    geom = np.zeros(1, np.int32)
    hits = []
    for sign in (1.0, -1.0):
        start = centre + sign * 0.6 * n
        dist = mujoco.mj_ray(m, d, start, -sign * n, None, 1, -1, geom)
        if dist < 0 or m.geom_bodyid[geom[0]] != body:
            return None
        hits.append(start - sign * n * dist)
    return np.linalg.norm(hits[0] - hits[1]) / 2, (hits[0] + hits[1]) / 2


def grasp_sections(m, d, centre: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """(direction n: thumb to fingers, half-width, centre) of each horizontal section through
    ``centre`` that the hand can face, narrowest (then most direct) first."""
    found = []
    for ang in np.deg2rad(np.arange(-YAW_WINDOW_DEG, YAW_WINDOW_DEG + 1, 10)):
        n = np.array([np.sin(ang), np.cos(ang), 0.0])
        section = _section(m, d, centre, n)
        if section is not None and section[0] >= MIN_HALF:
            found.append((section[0] + 0.01 * abs(ang), n, *section))
    found.sort(key=lambda f: f[0])
    return [f[1:] for f in found]


def candidates(m, d) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Grasp sections to try, in order: through the centre of mass at the preferred height (the
    centre of mass, but within reach below the top), then through each part's centre at its own
    height; at each point the two narrowest sections, then those 2 cm higher and lower."""
    body = m.body("object").id
    com, top = d.xipos[body], _top(m, d)
    low = min(LOWEST, top / 2)  # flat objects: half their height
    points = [np.array([com[0], com[1], max(min(com[2], top - 0.02), top - REACH_BELOW_TOP, low)])]
    geoms = np.flatnonzero(m.geom_bodyid == body)
    for centre, g in [(_nearest_on_axis(m, d, g, com), g) for g in geoms] + [(d.geom_xpos[g].copy(), g) for g in geoms]:
        centre[2] = max(min(centre[2], _top(m, d, [g]) - 0.01), low)
        if min(np.linalg.norm(centre - p) for p in points) > 0.02:
            points.append(centre)
    out = []
    for point in points:
        for dz in (0.0, 0.02, -0.02):
            if dz == 0.0 or low <= point[2] + dz <= top - 0.01:
                out += grasp_sections(m, d, point + np.array([0.0, 0.0, dz]))[:SECTIONS_PER_POINT]
    return out or [(np.array([0.0, 1.0, 0.0]), 0.03, points[0])]


def _nearest_on_axis(m, d, g: int, point: np.ndarray) -> np.ndarray:
    """The point on part ``g``'s long axis nearest ``point`` (the centre of mass), at least
    ``AXIS_MARGIN`` in from its ends: a long part held near the centre of mass does not pivot."""
    rot = d.geom_xmat[g].reshape(3, 3)
    if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_CAPSULE:
        axis, half = rot[:, 2], m.geom_size[g, 1]
    else:
        i = int(np.argmax(m.geom_size[g, :2]))
        axis, half = rot[:, i], m.geom_size[g, i]
    reach = max(half - AXIS_MARGIN, 0.0)
    return d.geom_xpos[g] + axis * np.clip(axis @ (point - d.geom_xpos[g]), -reach, reach)


def _top(m, d, geoms=None) -> float:
    """The highest point (world z) of the object's geoms (or of ``geoms``), from their bounding boxes."""
    body = m.body("object").id
    top = -np.inf
    for g in np.flatnonzero(m.geom_bodyid == body) if geoms is None else geoms:
        centre, half = m.geom_aabb[g, :3], m.geom_aabb[g, 3:]
        rot = d.geom_xmat[g].reshape(3, 3)
        corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * half + centre
        top = max(top, float((d.geom_xpos[g] + corners @ rot.T)[:, 2].max()))
    return top


def _pinch(m, d, section, squeeze: float) -> tuple[np.ndarray, np.ndarray]:
    """(claw, closed) joint targets of the fingertip pinch: index, middle and ring tips on the far
    surface, the thumb tip on the near one, closing ``squeeze`` past them."""
    n, half, centre = section
    along = np.array([-n[1], n[0], 0.0])

    def sites(offset: float) -> dict:
        far, near = centre + n * (half + offset), centre - n * (half + offset)
        return {tip: far + along * FINGER_SPREAD * (1 - i) for i, tip in enumerate(FINGERTIPS)} | {THUMB: near}

    nominal = np.zeros(NJ)
    nominal[HAND] = 0.5 * np.clip(m.actuator_ctrlrange[HAND, 1], 0, None)  # a half-closed hand
    nominal[LITTLE] = 0.0  # the little finger, which no target places, straight: curled, it hangs below the others
    touch = _ik(m, d, sites(0.0), nominal, np.arange(NJ), q_nom=nominal)
    return _ik(m, d, sites(OPEN_MARGIN), touch, HAND, iters=200), _ik(m, d, sites(-squeeze), touch, HAND, iters=200)


def _wrap(m, d, section, squeeze: float, target_pose: np.ndarray, wrap=WRAPS[0]) -> tuple[np.ndarray, np.ndarray]:
    """(claw, closed) joint targets of the whole-hand grasp toward the consensus pose
    ``target_pose`` (30,): the palm flat over the grasp point, fingers pointing across the section,
    ``wrap`` = (hand point, depth) placing the object under that point, pressed that deep into
    its top; the fingers close from open through the consensus pose and ``squeeze`` times as far
    again, which the servos turn into grip force where the object stops them."""
    n, _, centre = section
    q = np.zeros(NJ)
    q[THUMB_TURN] = target_pose[THUMB_TURN]  # the thumb already turned to oppose, so it closes onto the near side
    anchor, press = wrap
    placed = place_palm(m, d, q, anchor, centre, n, top_at(m, d, centre) - press)
    closed = placed.copy()
    closed[HAND] = np.clip(target_pose[HAND] + squeeze * (target_pose[HAND] - q[HAND]), *m.jnt_range[HAND].T)
    return placed, closed


def place_palm(m, d, q: np.ndarray, anchor: str, centre: np.ndarray, n: np.ndarray, height: float) -> np.ndarray:
    """``q`` with the arm and wrist moved (IK) so the palm faces down, the fingers point along the
    horizontal ``n``, and the hand point ``anchor`` lies at ``centre``'s x, y and ``height``."""
    dd = mujoco.MjData(m)
    dd.qpos[:NJ] = q
    mujoco.mj_kinematics(m, dd)
    origin = dd.site_xpos[m.site(anchor).id].copy()
    ang = -np.arctan2(n[0], n[1])  # turns the start pose's fingers (+y) onto n
    rz = np.array([[np.cos(ang), -np.sin(ang), 0.0], [np.sin(ang), np.cos(ang), 0.0], [0.0, 0.0, 1.0]])
    goal = np.array([centre[0], centre[1], height])
    sites = {s: goal + rz @ (dd.site_xpos[m.site(s).id] - origin) for s in PALM_SITES + (anchor,)}
    return _ik(m, d, sites, q, ARM)


def top_at(m, d, point: np.ndarray) -> float:
    """The object's height (world z) straight above ``point``'s x, y: a ray cast down onto its
    geoms alone (the hand, wherever an earlier plan left it, cannot shadow it)."""
    start, down = np.array([point[0], point[1], 1.0]), np.array([0.0, 0.0, -1.0])
    dists = [mujoco.mj_rayMesh(m, d, g, start, down) if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH
             else mujoco.mju_rayGeom(d.geom_xpos[g], d.geom_xmat[g], m.geom_size[g], start, down, m.geom_type[g])
             for g in np.flatnonzero(m.geom_bodyid == m.body("object").id)]
    hits = [x for x in dists if x >= 0]
    return float(start[2] - min(hits)) if hits else float(point[2])


def motion(m, d, section, length: int, squeeze: float = SQUEEZES[0], max_step: np.ndarray | None = None,
           target_pose: np.ndarray | None = None, wrap=WRAPS[0]) -> np.ndarray:
    """(length, 30) joint targets: the scripted grasp-and-lift of one section, a fingertip pinch,
    or with ``target_pose`` the whole-hand grasp ``wrap`` toward it (``_wrap``). A phase takes its
    ``PHASES`` steps, or more where a joint would move further per step than ``max_step`` allows."""
    n, half, centre = section
    top = _top(m, d)
    claw, closed = (_pinch(m, d, section, squeeze) if target_pose is None
                    else _wrap(m, d, section, squeeze, target_pose, wrap))
    home = np.zeros(NJ)
    above = claw.copy()
    rise = top - centre[2] + CLEARANCE if target_pose is None else top - top_at(m, d, centre) + CLEARANCE
    above[1] += rise  # ARTy slides the arm along world z
    if above[1] > m.jnt_range[1, 1]:
        above = _palm_ik(m, d, claw, np.array([0.0, 0.0, rise]))
    lifted = closed.copy()
    lifted[1] += LIFT
    if lifted[1] > m.jnt_range[1, 1]:
        lifted = _palm_ik(m, d, closed, np.array([0.0, 0.0, LIFT]))
        lifted[HAND] = closed[HAND]
    raised = home.copy()  # straight up first, so the fingers do not sweep into a tall object
    raised[1], raised[HAND] = max(home[1], above[1]), claw[HAND]
    return path_through([home, raised, above, claw, closed, closed, lifted], list(PHASES.values()), length, max_step)


def path_through(keyframes: list[np.ndarray], steps: list[int], length: int, max_step: np.ndarray | None = None) -> np.ndarray:
    """(length, 30) joint targets moving linearly from keyframe to keyframe, ``steps[i]`` control
    steps for the i-th move or more where a joint would move further per step than ``max_step``
    allows (so the env's relative actions follow), then holding the last."""
    path = [keyframes[0]]
    for target, n in zip(keyframes[1:], steps):
        start = path[-1]
        if max_step is not None:
            n = max(n, int(np.ceil(np.max(np.abs(target - start) / max_step) - 1e-6)))
        path += [start + (target - start) * (i + 1) / n for i in range(n)]
    path = np.array(path[1:])
    hold = np.repeat(path[-1:], max(0, length - len(path)), axis=0)
    return np.concatenate([path, hold])[:length]


def holds(m, yaw: float, targets: np.ndarray, substeps: int, lift_height: float, window: int = 50,
          touch_threshold: float = 0.01) -> tuple[bool, np.ndarray]:
    """Whether ``targets`` (T, 30) hold the object (``rewards.held``'s condition, read from MuJoCo's
    contact list) for the last ``window`` steps, simulated on the planner's own copy of the model,
    and the share of touch sensors active at each of those steps (``features.features``' rule).
    ``motion`` keeps each step within the env's per-step action range, so the env follows them."""
    d = start(m, yaw)
    body, table = m.body("object").id, m.geom("table_top").id
    colliders = [m.geom(g).id for g in scene.HAND_COLLIDERS]
    adr = np.array([m.sensor_adr[m.sensor("touch_" + s[4:]).id] for s in scene.TOUCH_SITES])
    rest = d.xipos[body][2]
    lo, hi = m.actuator_ctrlrange.T
    shares = []
    for t, q in enumerate(targets):
        d.ctrl[:] = np.clip(q, lo, hi)
        mujoco.mj_step(m, d, substeps)
        if t < len(targets) - window:
            continue
        pairs = [(int(c.geom1), int(c.geom2)) for c in d.contact[: d.ncon]] if d.ncon else []
        on_obj = [(g1, g2) if m.geom_bodyid[g2] == body else (g2, g1) for g1, g2 in pairs
                  if body in (m.geom_bodyid[g1], m.geom_bodyid[g2])]
        on = {other for other, _ in on_obj}
        touched = np.array([c in on for c in colliders], np.float32)
        on_table = any(other == table for other, _ in on_obj)
        if not (touched.any() and not on_table and d.xipos[body][2] - rest > lift_height):
            return False, np.zeros(0)
        touch = (d.sensordata[adr] > touch_threshold) & (scene.TOUCH_ON_COLLIDER @ touched > 0.5)
        shares.append(touch.mean())
    return True, np.array(shares)


def start(m, yaw: float):
    d = mujoco.MjData(m)
    d.qpos[NJ + 3], d.qpos[NJ + 6] = np.cos(yaw / 2), np.sin(yaw / 2)
    mujoco.mj_forward(m, d)
    return d


def plan(m: mujoco.MjModel, yaw: float, length: int, substeps: int = 5, lift_height: float = 0.02,
         episode_length: int = 200, max_step: np.ndarray | None = None, target_pose: np.ndarray | None = None,
         touch_gate: float = 0.3, touch_threshold: float = 0.01) -> tuple[np.ndarray, int]:
    """(length, 30) joint targets for the object at ``yaw`` (rad), and how many candidate grasps
    were simulated: the first candidate that holds the object through the episode on the
    planner's own model, turned ``ROBUST_YAW`` and ``ROBUST_WEIGHT`` times heavier too; else the
    first with the fewest of those missing (a plan that fails is honestly executed).
    With ``target_pose`` (the consensus pose) the candidates are whole-hand grasps toward it, and a
    grasp that holds with the pose reward's gate open (touch share >= ``touch_gate``) on at least
    half the held window comes before one that only holds."""
    d = start(m, yaw)
    sections = candidates(m, d)
    if target_pose is None:
        options = [(section, squeeze, None) for squeeze in SQUEEZES for section in sections]
    else:
        options = [(section, squeeze, wrap) for squeeze in WRAP_SQUEEZES for wrap in WRAPS
                   for section in sections[:WRAP_SECTIONS]]
    heavy = heavier(m, ROBUST_WEIGHT)
    # rank -> the first plan of that rank: 0 holds with both margins, with the gate open where it
    # counts (returned at once); 1 the same short of the gate; 2 holds turned, not heavier; 3 holds
    # once; 4 fails.
    ranked = {}
    for i, (section, squeeze, wrap) in enumerate(options):
        targets = motion(m, d, section, length, squeeze, max_step, target_pose, wrap)
        episode = targets[:episode_length]
        held, share = holds(m, yaw, episode, substeps, lift_height, touch_threshold=touch_threshold)
        rank = 4
        if held:
            rank = 3
            if holds(m, yaw + ROBUST_YAW, episode, substeps, lift_height)[0]:
                rank = 2
                if holds(heavy, yaw, episode, substeps, lift_height)[0]:
                    rank = 1
                    if target_pose is None or (share >= touch_gate).mean() >= 0.5:
                        return targets, i + 1
        ranked.setdefault(rank, targets)
    return ranked[min(ranked)], len(options)


def heavier(m: mujoco.MjModel, factor: float) -> mujoco.MjModel:
    """A copy of ``m`` whose object weighs ``factor`` times as much (same shape and centre of mass)."""
    out = copy.copy(m)
    body = m.body("object").id
    out.body_mass[body] *= factor
    out.body_inertia[body] *= factor
    return out


def plan_object(job) -> list[np.ndarray]:
    """Joint targets for one object at several yaws: a worker process's unit of work for the oracle
    (``oracle.plan_actions``). Here, beside ``plan``, so that a spawned worker imports the planner
    and the scene alone, not the oracle's evaluator and trainer."""
    name, mass, physics, yaws, length, substeps, lift_height, episode_length, max_step, pose, gate, threshold = job
    m = scene.compile_object(name, mass, physics)
    return [plan(m, float(y), length, substeps, lift_height, episode_length, max_step, pose, gate, threshold)[0]
            for y in yaws]
