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
