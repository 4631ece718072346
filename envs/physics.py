"""Two physics backends with one semantics: MJX in the jitted graph, MuJoCo C through a callback.

Both expose ``init(obj, qpos) -> data``, ``step(obj, data, ctrl) -> data`` and
``raycast(obj, data, cam) -> (geom, dist, cam_pos, cam_mat)`` (the egocentric camera's rays and pose, see ``camera.py``) for
ONE env (vmap batches them) where ``obj`` indexes the configured object subset. ``data`` has ``qpos``, ``qvel``,
``time`` and ``sensordata``: an ``mjx.Data`` for MJX, a small ``PhysState`` for MuJoCo C. The env
reads only those fields, so a feature function serves both.

* ``MjxPhysics`` keeps one ``mjx.Model`` and, per env, gathers the fields that differ between
  objects (``scene.object_tables``, and the mesh pieces padded by ``mjx_meshes``) by object
  index: every object runs in one compiled step.
* ``MujocoPhysics`` keeps one compiled ``MjModel`` per object and steps the whole batch with
  ``mujoco.rollout`` on a persistent thread pool, called through ``jax.pure_callback`` with
  ``vmap_method="broadcast_all"`` so a vmapped per-env ``step`` makes one call per batch.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import mujoco
import mujoco.rollout
import numpy as np

from dexvip_jax import quiet
from dexvip_jax.envs import camera, mjx_meshes, scene


@flax.struct.dataclass
class PhysState:
    """MuJoCo C physics state as JAX arrays (float32, like MJX's)."""

    time: jax.Array
    qpos: jax.Array
    qvel: jax.Array
    sensordata: jax.Array


class MjxPhysics:
    name = "mjx"

    def __init__(self, models: list[mujoco.MjModel], substeps: int):
        self._mjx = quiet.mjx()
        self.substeps = substeps
        self.object_body = models[0].body("object").id
        self.camera, self.camera_body = scene.ego_camera(models[0])
        self.model = self._mjx.put_model(models[0])
        slots = [models[0].geom(n).id for n in scene.object_slots(models[0]) if n in scene.MESH_SLOTS]
        self.meshes = mjx_meshes.build(models, slots, self._mjx) if slots else None
        tables = scene.object_tables(models)
        # Only fields MJX holds as device arrays; static numpy fields (e.g. *_sameframe) are unused.
        self.tables = {k: jnp.asarray(v) for k, v in tables.items() if isinstance(getattr(self.model, k, None), jax.Array)}

    def model_for(self, obj: jax.Array):
        m = self.model.replace(**{k: v[obj] for k, v in self.tables.items()})
        return m if self.meshes is None else self.meshes.select(m, obj)

    def init(self, obj: jax.Array, qpos: jax.Array, active=True):
        del active  # computed either way in the graph
        m = self.model_for(obj)
        d = self._mjx.make_data(m).replace(qpos=qpos)
        return self._mjx.forward(m, d)

    def step(self, obj: jax.Array, data, ctrl: jax.Array, object_force: jax.Array | None = None):
        m = self.model_for(obj)
        d = data.replace(ctrl=ctrl)
        if object_force is not None:  # (3,) world-frame force at the object's centre of mass
            d = d.replace(xfrc_applied=jnp.zeros_like(d.xfrc_applied).at[self.object_body, :3].set(object_force))
        return jax.lax.fori_loop(0, self.substeps, lambda _, d: self._mjx.step(m, d), d)

    def raycast(self, obj: jax.Array, data, cam: camera.CameraConfig, active=True):
        """Per pixel: the geom hit (-1: none) and the distance, at ``data.qpos``; and the camera's
        world position and orientation (columns: its axes).

        Kinematics is recomputed: after a step, MJX's poses are those of the last substep's start."""
        del active  # computed either way in the graph
        m = self.model_for(obj)
        d = self._mjx.camlight(m, self._mjx.kinematics(m, data))
        pos, mat = d.cam_xpos[self.camera], d.cam_xmat[self.camera]
        vecs = jnp.asarray(cam.ray_dirs(), jnp.float32) @ mat.T
        ray = lambda v: self._mjx.ray(m, d, pos, v, camera.PRIMITIVE_RAY_GROUPS, True, self.camera_body)  # noqa: E731
        dist, geom = jax.vmap(ray)(vecs)
        geom = geom.astype(jnp.int32)
        if self.meshes is not None:  # the mesh slots, whose hulls MJX's ray reads as static data
            dist = jnp.where(geom >= 0, dist, jnp.inf)
            mesh_dist, mesh_geom = self.meshes.ray(obj, d, pos, vecs)
            geom = jnp.where(mesh_dist < dist, mesh_geom, geom)
            dist = jnp.minimum(mesh_dist, dist)
        return geom, dist, pos, mat.reshape(3, 3)


class MujocoPhysics:
    name = "mujoco"

    def __init__(self, models: list[mujoco.MjModel], substeps: int, nthread: int = 0):
        self.models = models
        self.substeps = substeps
        self.nthread = nthread or os.cpu_count() or 1
        m = models[0]
        self.nq, self.nv, self.nsensordata = m.nq, m.nv, m.nsensordata
        self.nu, self.nbody, self.object_body = m.nu, m.nbody, m.body("object").id
        self.camera, self.camera_body = scene.ego_camera(m)
        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        if mujoco.mj_stateSize(m, spec) != 1 + m.nq + m.nv:
            raise RuntimeError("full physics state is not (time, qpos, qvel): the model gained act/plugin state")
        self._datas = [mujoco.MjData(m) for _ in range(self.nthread)]
        self._rollout = mujoco.rollout.Rollout(nthread=self.nthread)
        self._pool = concurrent.futures.ThreadPoolExecutor(self.nthread)  # mj_multiRay releases the GIL
        # XLA may run independent callbacks at once (a reset beside a step under vmap); they share
        # the MjData above, and each already uses every core, so they take turns.
        self._lock = threading.Lock()

    def _serial(self, fn):
        def locked(*args):
            with self._lock:
                return fn(*args)

        return locked

    def _shapes(self):
        f32 = jnp.float32
        return PhysState(
            time=jax.ShapeDtypeStruct((), f32),
            qpos=jax.ShapeDtypeStruct((self.nq,), f32),
            qvel=jax.ShapeDtypeStruct((self.nv,), f32),
            sensordata=jax.ShapeDtypeStruct((self.nsensordata,), f32),
        )

    def _host_forward(self, obj, qpos, active):
        lead = obj.shape
        obj, qpos = obj.reshape(-1), np.asarray(qpos, np.float64).reshape(-1, self.nq)
        sens = np.zeros((obj.size, self.nsensordata))
        d = self._datas[0]
        for i in np.flatnonzero(np.asarray(active).reshape(-1)):
            o, q = obj[i], qpos[i]
            mujoco.mj_resetData(self.models[o], d)
            d.qpos[:] = q
            mujoco.mj_forward(self.models[o], d)
            sens[i] = d.sensordata
        f32 = np.float32
        return PhysState(
            time=np.zeros(lead, f32),
            qpos=qpos.astype(f32).reshape(lead + (self.nq,)),
            qvel=np.zeros(lead + (self.nv,), f32),
            sensordata=sens.astype(f32).reshape(lead + (self.nsensordata,)),
        )

    def _host_step(self, obj, time, qpos, qvel, ctrl, force=None):
        lead = obj.shape
        obj = obj.reshape(-1)
        b = obj.size
        state0 = np.concatenate(
            [np.asarray(time, np.float64).reshape(b, 1), np.asarray(qpos, np.float64).reshape(b, -1),
             np.asarray(qvel, np.float64).reshape(b, -1)], axis=1)
        control = np.asarray(ctrl, np.float64).reshape(b, -1)
        spec = mujoco.mjtState.mjSTATE_CTRL
        if force is not None:  # controls become (ctrl, xfrc_applied of every body), mj_setState's order
            xfrc = np.zeros((b, self.nbody, 6))
            xfrc[:, self.object_body, :3] = np.asarray(force, np.float64).reshape(b, 3)
            control = np.concatenate([control, xfrc.reshape(b, -1)], axis=1)
            spec = spec | mujoco.mjtState.mjSTATE_XFRC_APPLIED
        control = np.ascontiguousarray(np.repeat(control[:, None], self.substeps, axis=1))
        state = np.empty((b, self.substeps, state0.shape[1]))
        sens = np.empty((b, self.substeps, self.nsensordata))
        # Shapes and dtypes are built right above, so rollout's per-call checks are skipped.
        self._rollout.rollout([self.models[o] for o in obj], self._datas, state0, control, nstep=self.substeps,
                              control_spec=int(spec), skip_checks=True, state=state, sensordata=sens,
                              chunk_size=max(1, b // (4 * self.nthread)))  # measured best at 64 envs
        last, f32 = state[:, -1], np.float32
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged env is flagged downstream
            return PhysState(
                time=last[:, 0].astype(f32).reshape(lead),
                qpos=last[:, 1:1 + self.nq].astype(f32).reshape(lead + (self.nq,)),
                qvel=last[:, 1 + self.nq:].astype(f32).reshape(lead + (self.nv,)),
                sensordata=sens[:, -1].astype(f32).reshape(lead + (self.nsensordata,)),
            )

    def _host_raycast(self, obj, qpos, active, cam: camera.CameraConfig):
        lead, n = obj.shape, cam.height * cam.width
        obj, qpos = obj.reshape(-1), np.asarray(qpos, np.float64).reshape(-1, self.nq)
        todo = np.flatnonzero(np.asarray(active).reshape(-1))
        dirs = cam.ray_dirs()
        geom, dist = np.full((obj.size, n), -1, np.int32), np.zeros((obj.size, n))
        pos, mat = np.zeros((obj.size, 3)), np.tile(np.eye(3).reshape(9), (obj.size, 1))
        groups = np.array(camera.RAY_GROUPS, np.uint8)

        def cast(worker: int):
            d = self._datas[worker]
            for i in todo[worker::self.nthread]:
                m = self.models[obj[i]]
                d.qpos[:] = qpos[i]
                mujoco.mj_kinematics(m, d)
                mujoco.mj_camlight(m, d)
                pos[i], mat[i] = d.cam_xpos[self.camera], d.cam_xmat[self.camera]
                vec = dirs @ mat[i].reshape(3, 3).T
                mujoco.mj_multiRay(m, d, pos[i].copy(), vec.reshape(-1), groups, 1,
                                   self.camera_body, geom[i], dist[i], None, n, mujoco.mjMAXVAL)

        list(self._pool.map(cast, range(min(self.nthread, todo.size))))
        f32 = np.float32
        return (geom.reshape(lead + (n,)), dist.astype(f32).reshape(lead + (n,)), pos.astype(f32).reshape(lead + (3,)),
                mat.astype(f32).reshape(lead + (3, 3)))

    def raycast(self, obj: jax.Array, data: PhysState, cam: camera.CameraConfig, active=True):
        """As ``MjxPhysics.raycast``; ``active=False`` skips the work (as in ``init``)."""
        n = cam.height * cam.width
        shapes = (jax.ShapeDtypeStruct((n,), jnp.int32), jax.ShapeDtypeStruct((n,), jnp.float32),
                  jax.ShapeDtypeStruct((3,), jnp.float32), jax.ShapeDtypeStruct((3, 3), jnp.float32))
        active = jnp.broadcast_to(jnp.asarray(active, bool), jnp.shape(obj))
        host = self._serial(lambda o, q, a: self._host_raycast(o, q, a, cam))
        return jax.pure_callback(host, shapes, obj, data.qpos, active, vmap_method="broadcast_all")

    def init(self, obj: jax.Array, qpos: jax.Array, active=True) -> PhysState:
        """``active=False`` skips the forward pass (the state's sensordata stays zero): auto-reset
        under ``vmap`` evaluates resets for every env and keeps only the finished ones'."""
        active = jnp.broadcast_to(jnp.asarray(active, bool), jnp.shape(obj))
        return jax.pure_callback(self._serial(self._host_forward), self._shapes(), obj, qpos, active,
                                 vmap_method="broadcast_all")

    def step(self, obj: jax.Array, data: PhysState, ctrl: jax.Array, object_force: jax.Array | None = None) -> PhysState:
        args = (obj, data.time, data.qpos, data.qvel, ctrl) + (() if object_force is None else (object_force,))
        return jax.pure_callback(self._serial(self._host_step), self._shapes(), *args, vmap_method="broadcast_all")


BACKENDS: dict[str, Any] = {"mjx": MjxPhysics, "mujoco": MujocoPhysics}
