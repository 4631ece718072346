"""Human-contact affordances (``env.affordances="human"``): where GRAB's hands touched the 17
objects, counted from MyoDM's npz in the installed myosuite, mapped into the catalogue's frame."""

import os

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from dexvip_jax import envs
from dexvip_jax.envs import meshes
from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError
from dexvip_jax.prior import mocap


@pytest.fixture(scope="module")
def mug_contacts():
    return mocap.read_contacts("mug")


def test_grab_holds_the_mug_by_its_handle_and_walls_counted_from_the_npz(mug_contacts):
    """The handle pieces are the four whose every vertex lies beyond x = 0.03 m in the catalogue
    frame (the stand-in's body ends at 0.04 m, its handle at 0.094 m). Of the hand's 4,232 contacts
    with the mug's pieces in GRAB's grasp frames (drink, lift, pass), 1,653 (39%) are on the handle
    and 2,492 on the walls above the bottom 2.8 cm: 98% on handle and body together."""
    points, pieces = mug_contacts
    mesh = meshes.load("mug")
    verts = {os.path.basename(f)[:-4]: mesh.to_catalogue(meshes.read_stl(f)) for f in meshes.piece_files("mug")}
    handle = {n for n, v in verts.items() if v[:, 0].min() > 0.03}
    bottom = {n for n, v in verts.items() if v[:, 2].max() < 0.03}
    assert handle == {"contact10", "contact11", "contact12", "contact13"}
    on_handle, on_bottom = np.isin(pieces, list(handle)).sum(), np.isin(pieces, list(bottom)).sum()
    assert (len(pieces), on_handle, len(pieces) - on_handle - on_bottom) == (4232, 1653, 2492)
    # Mapped into the catalogue frame, each contact lies on its own piece: 90% within 1 cm of its
    # hull's surface (a contact's position is the middle of the hand's penetration, up to ~2 cm in
    # MyoDM's retargeted motions), and on average within 1 cm of the stand-in's surface.
    cat = mesh.to_catalogue(points)
    gap = np.empty(len(cat))
    for name, v in verts.items():
        faces, mine = ConvexHull(v).equations, pieces == name
        gap[mine] = (cat[mine] @ faces[:, :3].T + faces[:, 3]).max(1)
    assert np.percentile(np.abs(gap), 90) < 0.01
    assert np.abs(zoo.surface_distance(zoo.get("mug"), cat)).mean() < 0.01


def test_the_shipped_points_are_the_fresh_contacts_sampled_over_handle_and_body(mug_contacts):
    """``prior_data/affordances.json`` holds what the installed package gives now (regenerate it with
    ``python prior_data/generate.py affordances``), and its 20 points cover handle and body alike."""
    points, pieces = mug_contacts
    entry = zoo.human_affordances()["mug"]
    fresh, counts = mocap.human_affordance("mug", zoo.NUM_AFFORDANCE_POINTS)
    names, per_piece = np.unique(pieces, return_counts=True)
    assert counts == {"contacts": len(points), "contacts_per_piece": dict(zip(names.tolist(), per_piece.tolist()))}
    assert {k: entry[k] for k in counts} == counts
    np.testing.assert_allclose(entry["points"], fresh, atol=1e-5)
    # 8 of the 20 beyond the body's 45-degree corner (x > 0.0402 m): the handle, as 39% of contacts.
    x = np.asarray(entry["points"])[:, 0]
    assert (x > 0.0402).sum() >= 6 and (x < 0.0402).sum() >= 6


def test_the_env_tracks_human_points_for_grab_objects_and_labelled_parts_for_the_others():
    env = envs.load("grasp", backend="mujoco", objects="mug,jug", affordances="human")
    np.testing.assert_allclose(env._aff[0], zoo.human_affordances()["mug"]["points"], atol=1e-6)
    np.testing.assert_allclose(env._aff[1], zoo.affordance_points(zoo.get("jug")), atol=1e-6)
    assert "jug" not in zoo.human_affordances()
    with pytest.raises(ConfigError, match="unknown affordances 'contacts'; use 'parts'"):
        envs.load("grasp", backend="mujoco", objects="mug", affordances="contacts")
