"""Sweeps: K configurations in one compiled program, equal to separate runs, NaN isolated."""

import json
import math
import os

import numpy as np
import pytest
from test_ppo import small_config

from dexvip_jax import sweep, training
from dexvip_jax.errors import ConfigError

UPDATES = 3


def _train_rows(path):
    with open(path) as f:
        return [r for r in map(json.loads, f) if "loss/policy" in r]


@pytest.fixture(scope="module")
def two_config_sweep(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("sweep"))
    summary = sweep.sweep(small_config(total_steps=UPDATES * 64), {"pose": [0.0], "aff": [1.0, 3.0]}, 1, out,
                          progress=False)
    return out, summary


def test_sweep_compiles_once_and_writes_per_config_results(two_config_sweep):
    out, summary = two_config_sweep
    assert summary["num_configs"] == 2 and summary["compilations"] == 1
    ids = [c["id"] for c in summary["configs"]]
    assert ids == ["pose0-aff1-seed0", "pose0-aff3-seed0"]
    for cid in ids:
        for name in ("config.json", "metrics.jsonl", "curve.png", "checkpoints"):
            assert os.path.exists(os.path.join(out, cid, name))
    assert os.path.exists(os.path.join(out, "summary.json")) and os.path.exists(os.path.join(out, "comparison.png"))


def test_sweep_equals_separate_runs(two_config_sweep, tmp_path):
    out, summary = two_config_sweep
    for c in summary["configs"]:
        single = str(tmp_path / c["id"])
        training.train(small_config(total_steps=UPDATES * 64, reward__pose=0.0, reward__aff=c["reward"]["aff"]),
                       single, progress=False)
        a = _train_rows(os.path.join(single, "metrics.jsonl"))
        b = _train_rows(os.path.join(out, c["id"], "metrics.jsonl"))
        assert len(a) == len(b) == UPDATES
        for ra, rb in zip(a, b):
            for k in ra:
                if k in ("steps_per_s", "update", "env_steps") or (math.isnan(ra[k]) and math.isnan(rb[k])):
                    continue
                assert rb[k] == pytest.approx(ra[k], rel=1e-4, abs=1e-5), k


def test_a_diverging_config_is_reported_and_spares_the_others(tmp_path):
    summary = sweep.sweep(small_config(total_steps=2 * 64), {"aff": [1.0, float("inf")]}, 1, str(tmp_path / "s"),
                          progress=False)
    ok, bad = summary["configs"]
    assert bad["diverged"] and bad["diverged_at_update"] == 1
    assert not ok["diverged"] and np.isfinite(ok["eval/episode_return"])


def test_grid_errors_are_one_line():
    assert sweep.parse_grid(["reward.pose=0,0.5,1"]) == {"pose": [0.0, 0.5, 1.0]}
    with pytest.raises(ConfigError, match="only reward weights"):
        sweep.parse_grid(["ppo.learning_rate=1e-4,1e-3"])
    with pytest.raises(ConfigError, match="values must be numbers"):
        sweep.parse_grid(["reward.pose=a,b"])


def test_a_resumed_sweep_keeps_its_divergences_and_ends_as_a_straight_one(tmp_path, monkeypatch):
    cfg, grid = small_config(total_steps=2 * 64, checkpoint_every=1), {"aff": [1.0, float("inf")]}
    straight = sweep.sweep(cfg, grid, 1, str(tmp_path / "straight"), progress=False)
    out, save = str(tmp_path / "cut"), sweep.Checkpointer.save

    def stop_at_update_2(self, step, state):
        if step == 2:
            raise KeyboardInterrupt
        save(self, step, state)

    monkeypatch.setattr(sweep.Checkpointer, "save", stop_at_update_2)
    with pytest.raises(KeyboardInterrupt):
        sweep.sweep(cfg, grid, 1, out, progress=False)
    monkeypatch.setattr(sweep.Checkpointer, "save", save)
    with pytest.raises(ConfigError, match="--resume"):  # a fresh sweep would write over it
        sweep.sweep(cfg, grid, 1, out, progress=False)
    summary = sweep.sweep(cfg, grid, 1, out, progress=False, resume=True)
    assert summary["resumed_from_update"] == 1
    ok, bad = summary["configs"]
    assert bad["diverged"] and bad["diverged_at_update"] == 1 and not ok["diverged"]  # seen before the cut
    for a, b in zip(straight["configs"], summary["configs"]):
        assert open(os.path.join(a["dir"], "metrics.jsonl")).read() == open(os.path.join(b["dir"], "metrics.jsonl")).read()
    again = sweep.sweep(cfg, grid, 1, out, progress=False, resume=True)  # finished: read back, not trained
    assert json.dumps(again, sort_keys=True) == json.dumps(summary, sort_keys=True)
