"""Whole-state Orbax checkpoints: the entire TrainingState plus the config, kept K at a time.

Orbax writes each step into a temporary directory and renames it when complete, so a kill at any
moment leaves either the previous checkpoints or a finished new one; half-written steps are never
listed. Restoring checks the saved config against the run's: a checkpoint of another config is
refused with a one-line error instead of loading wrong.
"""

from __future__ import annotations

import os

import jax
import numpy as np
import orbax.checkpoint as ocp

from dexvip_jax import config as cfg_lib
from dexvip_jax.errors import ConfigError


class Checkpointer:
    def __init__(self, directory: str, config, keep: int = 3):
        self.directory = os.path.abspath(directory)
        self.config = cfg_lib.to_dict(config)
        options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True, enable_async_checkpointing=False)
        self._manager = ocp.CheckpointManager(self.directory, options=options)

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def save(self, step: int, state) -> None:
        state = jax.tree.map(np.asarray, state)  # host copies: device-independent, exact bits
        self._manager.save(step, args=ocp.args.Composite(
            state=ocp.args.StandardSave(state), config=ocp.args.JsonSave(self.config)))
        self._manager.wait_until_finished()

    def saved_config(self, step: int | None = None) -> dict:
        step = self.latest_step() if step is None else step
        try:
            return self._manager.restore(step, args=ocp.args.Composite(config=ocp.args.JsonRestore()))["config"]
        except Exception as e:  # noqa: BLE001  (orbax raises many kinds)
            raise ConfigError(f"checkpoint {self._step_dir(step)} has no readable config ({type(e).__name__}); "
                              "delete that step or resume from another run") from None

    def restore(self, template, step: int | None = None):
        """The saved TrainingState, shaped like ``template``; refuses another config's checkpoint."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise ConfigError(f"no checkpoint in {self.directory}; train first or pick the run's --out directory")
        saved = self.saved_config(step)
        diff = [k for k in cfg_lib.differences(saved, self.config) if k not in cfg_lib.RESUMABLE]
        missing = cfg_lib.differences(saved, cfg_lib.to_dict(cfg_lib.from_dict(saved)))
        if missing:  # fields this version added: the state has changed shape too
            raise ConfigError(f"checkpoint {self._step_dir(step)} was made by an older dexvip-jax (its config lacks "
                              f"{', '.join(missing)}); retrain with this version")
        if diff:
            raise ConfigError(f"checkpoint {self._step_dir(step)} was made with another config "
                              f"(differs in {', '.join(diff)}); resume with the same settings or use a new --out")
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, jax.tree.map(np.asarray, template))
        try:
            restored = self._manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))
        except Exception as e:  # noqa: BLE001
            raise ConfigError(f"checkpoint {self._step_dir(step)} is corrupt or unreadable ({type(e).__name__}); "
                              "delete that step directory to fall back to an older one") from None
        return restored["state"]

    def _step_dir(self, step) -> str:
        return os.path.join(self.directory, str(step))

    def close(self) -> None:
        self._manager.close()
