"""Real object meshes (``env.shapes="mesh"``, read from the installed myosuite): their pose and
size against the catalogue, one model structure for all 27 objects, exact masses, and errors.
Rest and the predicates on the meshes run with the primitives' own tests (test_env.py,
test_predicates.py)."""

import types

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from dexvip_jax import envs, quiet
from dexvip_jax.envs import meshes, mjx_meshes, scene
from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError

MESH = scene.Physics(shapes="mesh")


@pytest.mark.parametrize("name", list(meshes.OBJECTS))
def test_a_mesh_fills_its_catalogue_extent_in_the_catalogue_frame_without_a_wrong_turn(name):
    """Bounds equal the extent, centred in x and y, bottom at z = 0. Before the per-axis fit, the
    turned mesh's own proportions already match the extent within 1.5x: a turn by 90 degrees would
    have stretched the phone 9x along one axis and squeezed it on another."""
    obj = meshes.load(name)
    assert 1 <= len(obj.pieces) <= meshes.MAX_PIECES
    v = np.concatenate(obj.pieces)
    lo, hi = v.min(0), v.max(0)
    np.testing.assert_allclose(hi - lo, zoo.get(name).extent, atol=1e-9)
    np.testing.assert_allclose([lo[0] + hi[0], lo[1] + hi[1], lo[2]], 0.0, atol=1e-9)
    assert max(obj.scale) / min(obj.scale) < 1.5, obj.scale


def test_the_mesh_mugs_handle_is_where_the_stand_ins_is():
    """The mug's affordance (its handle) lies on +x in the catalogue; the mesh piece farthest along
    +x is the handle's, coloured as the affordance in the compiled model."""
    m = scene.compile_object("mug", 1.0, MESH)
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    aff = scene.affordance_geoms(m)
    slots = [m.geom(n).id for n in scene.MESH_SLOTS if m.geom_rgba[m.geom(n).id, 3] > 0]
    far = max(slots, key=lambda g: d.geom_xpos[g, 0])
    assert aff[far] and 0 < aff[slots].sum() < len(slots)


def test_every_object_under_mesh_shapes_compiles_to_one_structure_of_its_exact_mass():
    models = {n: scene.compile_object(n, 1.0, MESH) for n in zoo.NAMES}
    base = models["mug"]
    for name, m in models.items():
        assert (m.nq, m.nv, m.ngeom, m.npair, m.nsensordata) == (base.nq, base.nv, base.ngeom, base.npair, base.nsensordata)
        assert m.body_mass[m.body("object").id] == pytest.approx(1.0, rel=1e-6), name
    assert base.npair == len(scene.HAND_COLLIDERS) * len(MESH.slots) + 2 * len(MESH.slots) + len(scene.TABLE_COLLIDERS)
    real = scene.compile_object("teapot", None, MESH)
    assert real.body_mass[real.body("object").id] == pytest.approx(zoo.get("teapot").mass, rel=1e-6)


@pytest.fixture(scope="module")
def mesh_tables():
    """The mug's and the apple's hulls padded into one MJX table (``mjx_meshes.build``)."""
    models = [scene.compile_object(n, 1.0, MESH) for n in ("mug", "apple")]
    slots = [models[0].geom(n).id for n in scene.MESH_SLOTS]
    return models, mjx_meshes.build(models, slots, quiet.mjx())


def test_padded_hulls_keep_each_objects_support_points_and_face_planes(mesh_tables):
    """Padding repeats entries only: in any direction each slot's farthest vertex, and its set of
    face planes, are the object's own (MJX's hulls of that object alone)."""
    models, tables = mesh_tables
    dirs = np.random.default_rng(0).normal(size=(64, 3))
    for k, m in enumerate(models):
        own = quiet.mjx().put_model(m)._impl.mesh_convex
        for j, c in zip(tables.mesh_ids, tables.convex):
            mine, padded = own[j], jax.tree.map(lambda x: np.asarray(x[k]), c)
            assert padded.vert.shape[0] >= mine.vert.shape[0]
            np.testing.assert_allclose((dirs @ padded.vert.T).max(1), (dirs @ np.asarray(mine.vert).T).max(1), atol=1e-6)
            planes = lambda c: {tuple(np.round(np.r_[n, n @ f[0]], 5)) for n, f in zip(np.asarray(c.face_normal), np.asarray(c.face))}  # noqa: E731
            assert planes(padded) == planes(mine)


def test_the_hull_ray_cast_gives_mujoco_cs_distances(mesh_tables):
    """Rays from the camera's start pose against the slots' hulls (``MeshTables.ray``, MJX's path)
    hit the geoms MuJoCo C's ``mj_multiRay`` hits, at its distances, for both objects of one table."""
    models, tables = mesh_tables
    for k, m in enumerate(models):
        d = mujoco.MjData(m)
        d.qpos[len(scene.JOINTS) + 3] = 1.0
        mujoco.mj_forward(m, d)
        pnt = d.xipos[m.body("object").id] + np.array([0.0, -0.3, 0.15])
        rng = np.random.default_rng(k)
        aim = d.xipos[m.body("object").id] + rng.uniform(-0.1, 0.1, size=(256, 3)) - pnt
        vecs = aim / np.linalg.norm(aim, axis=1, keepdims=True)
        group = np.zeros(6, np.uint8)
        group[2] = 1  # the mesh slots only
        geom, dist = np.empty(len(vecs), np.int32), np.empty(len(vecs))
        mujoco.mj_multiRay(m, d, pnt, vecs.reshape(-1), group, 1, -1, geom, dist, None, len(vecs), mujoco.mjMAXVAL)
        state = types.SimpleNamespace(geom_xpos=jnp.asarray(d.geom_xpos), geom_xmat=jnp.asarray(d.geom_xmat.reshape(-1, 3, 3)))
        got, got_geom = (np.asarray(x) for x in tables.ray(jnp.int32(k), state, jnp.asarray(pnt), jnp.asarray(vecs)))
        hit = geom >= 0
        assert 0.1 < hit.mean() < 1.0  # rays both hit and miss the object
        assert (got_geom == geom).mean() > 0.97  # a ray grazing an edge may go either way
        same = hit & (got_geom == geom)
        np.testing.assert_allclose(got[same], dist[same], atol=5e-4)  # a quarter of the depth image's 2 mm step
        assert np.isinf(got[~hit & (got_geom == geom)]).all()


def test_without_myosuite_meshes_fail_in_one_line_and_primitives_still_build(monkeypatch):
    meshes.load.cache_clear()
    scene.compile_object.cache_clear()
    find = quiet.importlib.util.find_spec
    monkeypatch.setattr(quiet.importlib.util, "find_spec", lambda name: None if name == "myosuite" else find(name))
    try:
        with pytest.raises(ConfigError, match="myosuite package, which is not installed; install it with `make install`"):
            envs.load("grasp", backend="mujoco", objects="mug", shapes="mesh")
        assert scene.compile_object("mug").ngeom > 0
        assert scene.compile_object("jug", 1.0, MESH).ngeom > 0  # no mesh needed
    finally:
        monkeypatch.undo()
        meshes.load.cache_clear()
        scene.compile_object.cache_clear()


def test_an_unknown_shapes_setting_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="unknown shapes 'meshes'; use 'primitive'"):
        envs.load("grasp", backend="mujoco", objects="mug", shapes="meshes")
