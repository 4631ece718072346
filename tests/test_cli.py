"""The command line and the installed layout."""

import json
import subprocess
import sys

import pytest

from dexvip_jax.cli import main


def test_objects_json_lists_27(capsys):
    assert main(["objects", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 27
    assert {"name", "group", "size_m", "mass_kg", "affordance", "affordance_points"} <= set(rows[0])
    assert sum(r["group"] == "contactdb16" for r in rows) == 16


def test_bad_input_exits_2_with_one_line(capsys):
    code = main(["bench", "env", "--backend", "mujoco", "--objects", "mug,spoon", "--steps", "1", "--num-envs", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("dexvip: error: unknown object 'spoon'") and "dexvip objects" in err


@pytest.mark.parametrize("argv", [["bench", "env", "--num-envs", "0"], ["bench", "env", "--backend", "gpu"]])
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and "error:" in capsys.readouterr().err


def test_envs_installs_under_dexvip_jax_only(tmp_path):
    code = ("import importlib.util as u, dexvip_jax.envs.grasp as g; "
            "print(u.find_spec('envs') is None, g.GraspEnv.__module__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "dexvip_jax.envs.grasp"]  # and nothing else: no warp notice


def test_bench_train_json_prints_the_ratios_and_nothing_else(capsys):
    """``dexvip bench train --json``: training, the env alone and the raw rollout from one run, as
    JSON only on stdout, each ratio the quotient of the rates it names."""
    code = main(["bench", "train", "--json", "--num-envs", "4", "--unroll-length", "4", "--updates", "1",
                 "--rounds", "2", "--objects", "mug,apple", "--set", "env.demo_start=0", "--set", "ppo.hidden=16",
                 "--set", "ppo.num_minibatches=2"])
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and r["preset"] == "cpu" and r["backend"] == "mujoco" and r["num_envs"] == 4
    assert len(r["train_s"]) == len(r["env_s"]) == len(r["raw_rollout_s"]) == 2
    assert r["train_to_raw"] == pytest.approx(r["train_steps_per_s"] / r["raw_rollout_steps_per_s"])
    assert r["env_to_raw"] == pytest.approx(r["env_steps_per_s"] / r["raw_rollout_steps_per_s"])
    assert r["privileged"] and r["demo_start"] == 0.0 and r["sets"][0] == "env.demo_start=0"
