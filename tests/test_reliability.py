"""One writer per run directory, and a lock that a killed process cannot leave behind."""

import os
import signal
import subprocess
import sys

import pytest
from test_ppo import small_config

from dexvip_jax import training
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import RunLock

HOLD = """
import sys, time
from dexvip_jax.files import RunLock
with RunLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_second_writer_is_refused_while_the_first_holds_the_directory(tmp_path):
    out = str(tmp_path / "run")
    with RunLock(out):
        with pytest.raises(ConfigError, match=f"in use by process {os.getpid()}; wait for it"):
            training.train(small_config(total_steps=64), out, progress=False)
    assert not os.path.exists(os.path.join(out, "checkpoints"))  # the refused run wrote nothing
    training.train(small_config(total_steps=64), out, progress=False)  # free again once released
    assert os.listdir(os.path.join(out, "checkpoints"))


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    out = str(tmp_path / "run")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, out], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=f"in use by process {holder.pid}"):
            RunLock(out).__enter__()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with RunLock(out):  # the kernel dropped the dead process's lock
        pass


def test_a_checkpoint_refuses_a_world_whose_scene_changed(tmp_path, monkeypatch, capsys):
    from dexvip_jax.cli import main
    from dexvip_jax.envs import scene

    out = str(tmp_path / "run")
    training.train(small_config(total_steps=64), out, progress=False)
    assert main(["eval", "--checkpoint", out, "--episodes", "1", "--json"]) == 0  # the same world loads
    capsys.readouterr()
    monkeypatch.setattr(scene, "TABLE_COLLIDERS", scene.TABLE_COLLIDERS[:-1])  # one contact pair fewer
    scene.compile_object.cache_clear()
    try:
        assert main(["eval", "--checkpoint", out, "--episodes", "1"]) == 2
    finally:
        monkeypatch.undo()
        scene.compile_object.cache_clear()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "trained in another world: its pairs differ" in err[0]
    assert "gone: C_thdistal|table_top" in err[0] and "retrain" in err[0]
