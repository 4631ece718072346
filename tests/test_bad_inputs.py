"""A catalogue of bad inputs: each exits 2 with one line on stderr (argparse may add its usage
block), no traceback, and no new file. One case a line: (argv, a phrase the error must contain)."""

import os

import pytest

from dexvip_jax.cli import main

FILE = "a_file.txt"  # exists in the working directory of every case
CASES = [
    (["train", "--set", "ppo.learning_rate=nan"], "ppo.learning_rate must be a finite number > 0"),
    (["train", "--set", "reward.pose=inf"], "reward.pose must be a finite number"),
    (["train", "--set", "gravity_start=2"], "gravity_start must be a finite number in [0, 1]"),
    (["train", "--set", "env.noise_actions=-0.1"], "env.noise_actions must be a finite number >= 0"),
    (["train", "--set", "ppo.gamma=1.5"], "ppo.gamma must be a finite number in [0, 1]"),
    (["train", "--set", "env.touch_gate=nan"], "env.touch_gate must be"),
    (["train", "--set", "env.start_grasp=fist"], "unknown start_grasp 'fist'"),
    (["oracle", "--grasp", "fist"], "invalid choice: 'fist'"),
    (["train", "--set", "ppo.hidden=64,0"], "ppo.hidden must be a finite number > 0"),
    (["train", "--set", "nosuchkey=1"], "unknown config key 'nosuchkey'"),
    (["train", "--set", "ppo.learning_rate"], "write key=value"),
    (["train", "--set", "num_envs=many"], "expected int"),
    (["train", "--objects", "mug,spoon"], "unknown object 'spoon'"),
    (["train", "--out", FILE], "is a file, not a directory"),
    (["train", "--out", FILE + "/run"], "lies under"),
    (["train", "--resume", "no_such_run"], "nothing to resume in no_such_run"),
    (["train", "--demos", "d.npz"], "--demos is DAPG's"),
    (["train", "--method", "dapg", "--obs", "pixels"], "use --obs state"),
    (["train", "--method", "dapg", "--demos", "missing.npz", "--out", "run"], "no demonstrations at"),
    (["train", "--total-steps", "0"], "expected a positive integer"),
    (["train", "--method", "ppo"], "invalid choice: 'ppo'"),
    (["sweep", "--grid", "reward.pose=0,nan"], "every value must be finite"),
    (["sweep", "--grid", "ppo.learning_rate=1e-4,3e-4"], "only reward weights"),
    (["sweep", "--grid", "reward.pose=a,b"], "values must be numbers"),
    (["sweep", "--seeds", "0"], "expected a positive integer"),
    (["sweep", "--out", FILE], "is a file, not a directory"),
    (["eval", "--checkpoint", "no_such_run"], "no_such_run"),
    (["eval", "--checkpoint", "run", "--force", "nan"], "expected a finite force"),
    (["eval", "--checkpoint", "run", "--episodes", "-3"], "expected a positive integer"),
    (["eval", "--checkpoint", "run", "--out", FILE], "is a file, not a directory"),
    (["render", "--checkpoint", "run", "--object", "mug", "--out", "video.avi"], ".gif"),
    (["render", "--checkpoint", "run", "--object", "mug", "--out", FILE + "/v.gif"], "lies under"),
    (["prior", "show", "--object", "spoon"], "unknown object 'spoon'"),
    (["prior", "build", "--input", "mocap:grab", "--object", "door_knob"], "GRAB has no motion capture of 'door_knob'"),
    (["prior", "build", "--input", "mocap:hoi4d", "--object", "mug"], "use mocap:grab"),
    (["train", "--set", "env.prior_source=video"], "unknown prior_source 'video'"),
    (["train", "--set", "env.cone=round"], "cone must be 'pyramidal' or 'elliptic'"),
    (["train", "--set", "env.condim=5"], "condim 3, 4 or 6"),
    (["train", "--set", "env.slide_damping=-1"], "env.slide_damping must be a finite number >= 0"),
    (["train", "--set", "env.hand_timeconst=0.001"], "hand_timeconst must be >= 0.004 s"),
    (["train", "--set", "env.demo_start=nan"], "env.demo_start must be a finite number in [0, 1]"),
    (["train", "--set", "env.reach_scale=0"], "env.reach_scale must be a finite number > 0"),
    (["train", "--set", "env.demo_start=0.5", "--set", "env.start_states=missing.npz"], "no demonstrations at"),
    (["prior", "build", "--input", "missing.json", "--object", "mug"], "missing.json"),
    (["prior", "build", "--input", FILE, "--object", "mug", "--out", FILE + "/p.json"], "lies under"),
    (["oracle", "--objects", "spoon"], "unknown object 'spoon'"),
    (["oracle", "--force", "inf"], "expected a finite force"),
    (["oracle", "--out", FILE], "is a file, not a directory"),
    (["bench", "env", "--num-envs", "0"], "expected a positive integer"),
    (["bench", "env", "--objects", "spoon", "--backend", "mujoco"], "unknown object 'spoon'"),
    (["paper", "--quick", "--seeds", "1"], "at least 2"),
    (["paper", "--out", FILE], "is a file, not a directory"),
    (["paper", "--quick", "--assist", "oracle"], "invalid choice: 'oracle'"),
    (["paper", "--quick", "--start-states", "s.npz"], "pass --assist starts"),
    (["paper", "--quick", "--assist", "starts", "--start-states", "s.npz", "--out", "p"], "no start states at s.npz"),
]


@pytest.mark.parametrize("argv,phrase", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_a_bad_input_is_one_line_exit_2_and_writes_nothing(argv, phrase, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / FILE).write_text("not a directory\n")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    try:
        code = main(argv)
    except SystemExit as e:  # argparse: its usage block, then one error line
        code = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "Traceback" not in "\n".join(err)
    message = [line for line in err if not line.startswith(("usage:", " "))]
    assert len(message) == 1 and "error:" in message[0], err
    assert phrase in message[0]
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # no new file, no partial run
    assert os.path.getsize(tmp_path / FILE) == len("not a directory\n")
