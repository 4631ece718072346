"""Mesh objects in MJX: every object's pieces in one compiled model, padded to common sizes.

MJX keeps a model's meshes as static data: the convex hulls its collision functions use
(``mesh_convex``, built by ``mjx.put_model``) and the vertices its rays use. The objects' mesh
slots (``scene.MESH_SLOTS``) hold different hulls, so their arrays differ in size and cannot be
stacked by object as the other per-object fields are (``scene.object_tables``).

Here each slot's hull is padded to the largest object's sizes by repeating its last vertex, face
or edge, as MJX itself pads the polygons of merged coplanar faces: a repeated vertex or face
changes no support point, separating axis or ray hit. The padded hulls are stacked along an object
axis; ``select`` gives a model one object's, so each env gathers its own hulls like any other
per-object field. MJX's ray reads the static vertices, so the slots are cast against here
(``ray``), through their hulls' face planes; ``mjx.ray`` casts against everything else.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import mujoco
import numpy as np


def _pad(x: np.ndarray, n: int, axis: int = 0) -> np.ndarray:
    """``x`` grown to length ``n`` along ``axis`` by repeating its last entry."""
    width = [(0, 0)] * x.ndim
    width[axis] = (0, n - x.shape[axis])
    return np.pad(x, width, mode="edge")


@dataclasses.dataclass(frozen=True)
class MeshTables:
    """The slots' hulls per object (leading axis: object)."""

    geoms: np.ndarray  # (slots,) geom ids of the mesh slots
    mesh_ids: np.ndarray  # (slots,) their mesh ids
    convex: tuple  # per slot, a ConvexMesh with a leading object axis

    def select(self, model, obj: jax.Array):
        """``model`` with object ``obj``'s hulls in its mesh slots."""
        convex = list(model._impl.mesh_convex)
        for j, c in zip(self.mesh_ids, self.convex):
            convex[j] = jax.tree.map(lambda x: x[obj], c)
        return model.replace(_impl=model._impl.replace(mesh_convex=tuple(convex)))

    def ray(self, obj: jax.Array, d, pnt: jax.Array, vecs: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(rays,) distance (inf: no hit) and geom id (-1) of the nearest slot hull hit by each
        ray from ``pnt`` along ``vecs`` (rays, 3), at the poses in ``d``. A ray enters a convex hull
        at the last of its entering face planes and leaves at the first exiting one."""
        best = jnp.full(vecs.shape[0], jnp.inf)
        geom = jnp.full(vecs.shape[0], -1, jnp.int32)
        for g, c in zip(self.geoms, self.convex):
            normal, corner = c.face_normal[obj], c.face[obj][:, 0]  # (F, 3) in the geom's frame
            rot, pos = d.geom_xmat[g], d.geom_xpos[g]
            p, v = (pnt - pos) @ rot, vecs @ rot  # into the geom's frame
            gap = jnp.sum(normal * corner, -1) - p @ normal.T  # (F,) >= 0 inside each plane
            rate = v @ normal.T  # (rays, F)
            t = gap / jnp.where(rate == 0, 1.0, rate)
            enter = jnp.max(jnp.where(rate < 0, t, -jnp.inf), -1)
            leave = jnp.min(jnp.where(rate > 0, t, jnp.inf), -1)
            parallel_out = jnp.any((rate == 0) & (gap < 0), -1)
            hit = (enter <= leave) & (enter >= 0) & ~parallel_out
            dist = jnp.where(hit, enter, jnp.inf)
            geom = jnp.where(dist < best, g, geom)
            best = jnp.minimum(dist, best)
        return best, geom


def build(models: list[mujoco.MjModel], geoms: list[int], mjx) -> MeshTables:
    """The padded hulls of mesh-slot ``geoms`` in ``models`` (same structure, one per object)."""
    mesh_ids = np.array([models[0].geom_dataid[g] for g in geoms])
    per_object = [mjx.put_model(m)._impl.mesh_convex for m in models]
    convex = []
    for j in mesh_ids:
        cs = [jax.tree.map(np.asarray, p[j]) for p in per_object]
        nv = max(c.vert.shape[0] for c in cs)
        nf = max(c.face.shape[0] for c in cs)
        corners = max(c.face.shape[1] for c in cs)
        ne = max(c.edge.shape[0] for c in cs)
        padded = [c.replace(vert=_pad(c.vert, nv), face=_pad(_pad(c.face, corners, 1), nf),
                            face_normal=_pad(c.face_normal, nf), edge=_pad(c.edge, ne),
                            edge_face_normal=_pad(c.edge_face_normal, ne)) for c in cs]
        convex.append(jax.tree.map(lambda *xs: jnp.asarray(np.stack(xs)), *padded))
    return MeshTables(np.asarray(geoms), mesh_ids, tuple(convex))
