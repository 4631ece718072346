"""The object zoo: sizes, affordance points, masses, and one model structure for all objects."""

import mujoco
import numpy as np
import pytest

from dexvip_jax.envs import objects as zoo
from dexvip_jax.envs import scene
from dexvip_jax.errors import ConfigError

# Extents (x, y, z, metres) of the 16 ContactDB objects as scaled in GRAFF (shared/reference).
CONTACTDB16 = {
    "apple": (.095, .089, .087), "cell_phone": (.201, .066, .035), "cup": (.120, .120, .142),
    "door_knob": (.142, .090, .106), "flashlight": (.224, .055, .055), "hammer": (.289, .166, .034),
    "knife": (.334, .049, .023), "light_bulb": (.168, .095, .095), "mouse": (.154, .084, .053),
    "mug": (.187, .134, .169), "pan": (.427, .272, .072), "scissors": (.209, .120, .024),
    "stapler": (.198, .050, .067), "teapot": (.399, .248, .191), "toothbrush": (.248, .037, .020),
    "toothpaste": (.285, .077, .056),
}


def test_catalogue_has_the_papers_27_objects():
    assert len(zoo.NAMES) == 27 and len(set(zoo.NAMES)) == 27
    groups = [o.group for o in zoo.CATALOGUE]
    assert groups.count("contactdb16") == 16 and groups.count("extra11") == 11
    assert {o.name for o in zoo.CATALOGUE if o.group == "contactdb16"} == set(CONTACTDB16)
    assert {"saucepan", "bottle", "jug"} <= set(zoo.NAMES)  # the three the paper names


def _compiled_extent(m: mujoco.MjModel) -> np.ndarray:
    """Bounding box of the object's slot geoms as MuJoCo placed them (not our own AABB code)."""
    d = mujoco.MjData(m)
    d.qpos[len(scene.JOINTS) + 3] = 1.0
    mujoco.mj_forward(m, d)
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    for name in scene.SLOTS:
        g = m.geom(name)
        if g.size[0] <= 0.001:  # an unused slot
            continue
        pos, rot = d.geom_xpos[g.id], d.geom_xmat[g.id].reshape(3, 3)
        if g.type[0] == mujoco.mjtGeom.mjGEOM_BOX:
            pts = pos + (signs * g.size) @ rot.T
            g_lo, g_hi = pts.min(0), pts.max(0)
        else:  # capsule: its segment's ends, padded by the radius
            ends = pos + np.outer([-1, 1], rot[:, 2] * g.size[1])
            g_lo, g_hi = ends.min(0) - g.size[0], ends.max(0) + g.size[0]
        lo, hi = np.minimum(lo, g_lo), np.maximum(hi, g_hi)
    return hi - lo, lo


@pytest.mark.parametrize("name", zoo.NAMES)
def test_object_matches_its_size_spec_and_rests_at_the_origin(name):
    spec = zoo.get(name)
    if name in CONTACTDB16:
        assert spec.extent == pytest.approx(CONTACTDB16[name])
    extent, lo = _compiled_extent(scene.compile_object(name))
    # Capsule AABBs are exact; boxes are exact; round bodies (8-point stars) overshoot by 6%.
    np.testing.assert_allclose(extent, spec.extent, rtol=0.10)
    assert abs(lo[2]) < 1e-6  # bottom on the table plane


@pytest.mark.parametrize("name", zoo.NAMES)
def test_affordance_points_lie_on_the_affordance_part_surface(name):
    spec = zoo.get(name)
    pts = zoo.affordance_points(spec)
    assert pts.shape == (zoo.NUM_AFFORDANCE_POINTS, 3)
    aff = [p for p in spec.parts if p.affordance]
    on_aff = np.min([np.abs(zoo.signed_distance(p, pts)) for p in aff], axis=0)
    np.testing.assert_array_less(on_aff, 1e-6)  # on an affordance part's surface
    assert (zoo.surface_distance(spec, pts) > -1e-6).all()  # not buried inside another part
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(len(pts))
    assert d.min() > 1e-3  # farthest-point sampling: distinct, spread points


def test_object_mass_is_configurable():
    body = scene.compile_object("mug").body("object")
    assert body.mass[0] == pytest.approx(1.0)  # the paper's 1 kg
    real = scene.compile_object("mug", None).body("object")
    assert real.mass[0] == pytest.approx(zoo.get("mug").mass)
    # Same shape, so the same centre of mass whatever the mass.
    np.testing.assert_allclose(body.ipos, real.ipos, atol=1e-9)


def test_all_objects_share_one_model_structure():
    models = [scene.compile_object(n) for n in zoo.NAMES]
    sizes = {(m.nq, m.nv, m.nu, m.ngeom, m.npair, m.nsensordata, m.nbody) for m in models}
    assert len(sizes) == 1
    tables = scene.object_tables(models)
    # Only the object's geometry and inertia (and what MuJoCo derives from them) vary.
    assert set(tables) <= {
        "body_inertia", "body_invweight0", "body_ipos", "body_iquat", "body_mass", "body_sameframe",
        "body_subtreemass", "bvh_aabb", "bvh_nodeid", "cam_poscom0", "dof_M0", "dof_invweight0",
        "dof_length", "geom_aabb", "geom_pos", "geom_quat", "geom_rbound", "geom_rgba",
        "geom_sameframe", "geom_size", "light_poscom0"}
    obj_geoms = [models[0].geom(s).id for s in scene.SLOTS]
    hand_geoms = [i for i in range(models[0].ngeom) if i not in obj_geoms]
    assert np.ptp(tables["geom_size"][:, hand_geoms], axis=0).max() == 0


def test_mjx_accepts_the_scene():
    from mujoco import mjx

    m = scene.compile_object("mug")
    mx = mjx.put_model(m)
    assert mx.npair == len(scene.HAND_COLLIDERS) * len(scene.SLOTS) + 2 * len(scene.SLOTS) + len(scene.TABLE_COLLIDERS)
    assert (m.geom_margin == 0).all() and (m.dof_frictionloss == 0).all()


def test_unknown_object_is_a_one_line_error():
    with pytest.raises(ConfigError, match="unknown object 'spoon'.*dexvip objects"):
        zoo.resolve("mug,spoon")
    assert zoo.resolve("contactdb16")[:2] == ("apple", "cell_phone")
    with pytest.raises(ConfigError, match="no objects"):
        zoo.resolve("")
