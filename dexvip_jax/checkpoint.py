"""Whole-state Orbax checkpoints: the entire TrainingState plus the config, kept K at a time.

Orbax writes each step into a temporary directory and renames it when complete, so a kill at any
moment leaves either the previous checkpoints or a finished new one; half-written steps are never
listed. Restoring checks the saved config against the run's: a checkpoint of another config is
refused with a one-line error instead of loading wrong.
"""

from __future__ import annotations

import errno
import os
import shutil

import jax
import numpy as np
import orbax.checkpoint as ocp

from dexvip_jax import config as cfg_lib
from dexvip_jax.errors import ConfigError


def finished_steps(directory: str) -> list[int]:
    """The steps whose checkpoint was completed (Orbax renames a step into place when done; a
    temporary directory of a write cut short does not count)."""
    if not os.path.isdir(directory):
        return []
    return sorted(int(d) for d in os.listdir(directory) if d.isdigit())


def world_of(env) -> dict:
    """What a policy depends on beyond its config: the observation and action layout, the scene's
    structure (bodies, geoms, contact pairs, sensors, actuators and their ranges) and the package
    version. A checkpoint stores it, so a changed scene refuses old policies instead of evaluating
    them in another world."""
    import importlib.metadata

    import mujoco

    m = env.mj_model

    def names(kind, n):
        return [mujoco.mj_id2name(m, kind, i) or f"#{i}" for i in range(n)]

    geoms = names(mujoco.mjtObj.mjOBJ_GEOM, m.ngeom)
    size = env.observation_size
    return {"version": importlib.metadata.version("dexvip-jax"),
            "observations": {k: list(v) for k, v in size.items()} if isinstance(size, dict) else [size],
            "actions": [env.action_size, env.config.actions],
            "ctrlrange": np.round(m.actuator_ctrlrange, 6).tolist(),
            "bodies": names(mujoco.mjtObj.mjOBJ_BODY, m.nbody), "geoms": geoms,
            "pairs": [f"{geoms[a]}|{geoms[b]}" for a, b in zip(m.pair_geom1, m.pair_geom2)],
            "sensors": names(mujoco.mjtObj.mjOBJ_SENSOR, m.nsensor),
            "actuators": names(mujoco.mjtObj.mjOBJ_ACTUATOR, m.nu)}


def _world_change(saved: dict, now: dict) -> str | None:
    """The first part of the world that differs, in words (None: the same world)."""
    for key in sorted(set(saved) | set(now)):
        a, b = saved.get(key), now.get(key)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, str) for x in a + b):
            gone, new = [x for x in a if x not in b], [x for x in b if x not in a]
            return (f"its {key} differ ({len(a)} then, {len(b)} now"
                    + (f"; new: {', '.join(new[:3])}" if new else "") + (f"; gone: {', '.join(gone[:3])}" if gone else "") + ")")
        return f"its {key} differ ({a} then, {b} now)"
    return None


class Checkpointer:
    def __init__(self, directory: str, config, keep: int = 3, world: dict | None = None):
        """``world``: ``world_of(env)``, saved with every step and checked on restore."""
        self.directory = os.path.abspath(directory)
        self.config = cfg_lib.to_dict(config)
        self.world = world
        self._options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True, enable_async_checkpointing=False)
        self._manager = ocp.CheckpointManager(self.directory, options=self._options)
        self.notice = None  # set by ``restore`` when it skipped a damaged checkpoint

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def save(self, step: int, state) -> None:
        state = jax.tree.map(np.asarray, state)  # host copies: device-independent, exact bits
        # A disk that fills inside Orbax's write fails in TensorStore's threads, which print their
        # own tracebacks; checked here first, it is one clean error and no temporary directory.
        need = 2 * sum(x.nbytes for x in jax.tree.leaves(state)) + (1 << 20)  # the state, Orbax's metadata, slack
        free = shutil.disk_usage(self.directory).free
        if free < need:
            raise OSError(errno.ENOSPC, f"{free:,} bytes free, a checkpoint needs about {need:,}", self.directory)
        items = {"state": ocp.args.StandardSave(state), "config": ocp.args.JsonSave(self.config)}
        if self.world is not None:
            items["world"] = ocp.args.JsonSave(self.world)
        self._manager.save(step, args=ocp.args.Composite(**items))
        self._manager.wait_until_finished()

    def saved_config(self, step: int | None = None) -> dict:
        step = self.latest_step() if step is None else step
        try:
            return self._manager.restore(step, args=ocp.args.Composite(config=ocp.args.JsonRestore()))["config"]
        except Exception as e:  # noqa: BLE001  (orbax raises many kinds)
            raise ConfigError(f"checkpoint {self._step_dir(step)} has no readable config ({type(e).__name__}); "
                              "delete that step or resume from another run") from None

    def restore(self, template, step: int | None = None, *, set_aside_damaged: bool = False):
        """The saved TrainingState, shaped like ``template``; refuses another config's checkpoint.
        Without ``step``, the newest intact one: a damaged newer step (a truncated file, a missing
        item) is skipped and named in ``self.notice``; with ``set_aside_damaged`` (a run that goes
        on writing) it is moved to ``../damaged_checkpoints/`` so its step can be written again."""
        steps = [step] if step is not None else sorted(self._manager.all_steps(), reverse=True)
        if not steps or steps[0] is None:
            raise ConfigError(f"no checkpoint in {self.directory}; train first or pick the run's --out directory")
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, jax.tree.map(np.asarray, template))
        damaged, error = [], None
        for s in steps:
            try:
                saved = self.saved_config(s)
            except ConfigError as e:
                damaged, error = damaged + [s], e
                continue
            self._check_config(saved, s)
            self._check_world(s)
            try:
                restored = self._manager.restore(s, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))
            except Exception as e:  # noqa: BLE001  (orbax raises many kinds)
                damaged, error = damaged + [s], ConfigError(
                    f"checkpoint {self._step_dir(s)} is corrupt or unreadable ({type(e).__name__}); "
                    "delete that step directory to fall back to an older one")
                continue
            self.notice = None
            if damaged:
                self.notice = f"checkpoint step {', '.join(map(str, damaged))} of {self.directory} is damaged; using step {s}"
                if set_aside_damaged:
                    self._set_aside(damaged)
                    self.notice += f" (damaged steps moved to {os.path.join(os.path.dirname(self.directory), 'damaged_checkpoints')})"
            return restored["state"]
        if len(damaged) == 1:
            raise error
        raise ConfigError(f"every checkpoint in {self.directory} is damaged (steps {', '.join(map(str, damaged))}); "
                          "retrain, or restore the directory from a copy")

    def _check_config(self, saved: dict, step: int) -> None:
        diff = [k for k in cfg_lib.differences(saved, self.config) if k not in cfg_lib.RESUMABLE]
        missing = cfg_lib.differences(saved, cfg_lib.to_dict(cfg_lib.from_dict(saved)))
        if missing:  # fields this version added: the state has changed shape too
            raise ConfigError(f"checkpoint {self._step_dir(step)} was made by an older dexvip-jax (its config lacks "
                              f"{', '.join(missing)}); retrain with this version")
        if diff:
            raise ConfigError(f"checkpoint {self._step_dir(step)} was made with another config "
                              f"(differs in {', '.join(diff)}); resume with the same settings or use a new --out")

    def _check_world(self, step: int) -> None:
        if self.world is None:
            return
        try:
            saved = self._manager.restore(step, args=ocp.args.Composite(world=ocp.args.JsonRestore()))["world"]
        except Exception:  # noqa: BLE001
            saved = None
        change = "it records no world (an older dexvip-jax)" if saved is None else _world_change(saved, self.world)
        if change:
            raise ConfigError(f"checkpoint {self._step_dir(step)} was trained in another world: {change}; "
                              "retrain with this version, or use the dexvip-jax version that made it")

    def _set_aside(self, steps) -> None:
        import shutil

        aside = os.path.join(os.path.dirname(self.directory), "damaged_checkpoints")
        os.makedirs(aside, exist_ok=True)
        self._manager.close()
        for s in steps:
            shutil.move(self._step_dir(s), os.path.join(aside, str(s)))
        self._manager = ocp.CheckpointManager(self.directory, options=self._options)

    def _step_dir(self, step) -> str:
        return os.path.join(self.directory, str(step))

    def close(self) -> None:
        self._manager.close()
