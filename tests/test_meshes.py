"""Real object meshes (``env.shapes="mesh"``, read from the installed myosuite): their pose and
size against the catalogue, one model structure for all 27 objects, exact masses, and errors.
Rest and the predicates on the meshes run with the primitives' own tests (test_env.py,
test_predicates.py)."""

import mujoco
import numpy as np
import pytest

from dexvip_jax import envs, quiet
from dexvip_jax.envs import meshes, scene
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


def test_mjx_refuses_two_mesh_objects_in_one_model_with_the_fix():
    models = [scene.compile_object(n, 1.0, MESH) for n in ("mug", "apple")]
    with pytest.raises(ConfigError, match="one mesh object per run .*env.shapes=primitive, or env.backend=mujoco"):
        scene.object_tables(models)


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
