"""`dexvip paper`: every method and seed in one compiled sweep, aggregated honestly."""

import dataclasses
import json
import os

import numpy as np
import pytest
from conftest import write_synthetic_demos
from test_ppo import small_config

from dexvip_jax import envs, sweep
from dexvip_jax.cli import main
from dexvip_jax.errors import ConfigError
from dexvip_jax.experiments import paper


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("paper"))
    base, _, _, _ = paper.plan(quick=True)
    env = envs.load("grasp", **{**dataclasses.asdict(base.env), "episode_length": 12, "demo_start": 0.0})
    demos = write_synthetic_demos(env, tmp_path_factory.mktemp("demos") / "demos.npz", ("mug", "apple", "cup"))
    assert main(["paper", "--quick", "--total-steps", "1024", "--out", out, "--json", "--demos", demos,
                 "--demo-budget", "0,1"]) == 0
    return out


def test_one_program_trains_every_method_and_seed(quick_run):
    report = json.load(open(os.path.join(quick_run, "paper.json")))
    assert report["compilations"] == 1 and report["configs"] == len(paper.METHODS) * 2
    assert set(report["methods"]) == set(paper.METHODS)
    for name in ("fig5.png", "curves.png", "paper.md", "demo_budget.png"):
        assert os.path.getsize(os.path.join(quick_run, name)) > 0


def test_dapg_sits_in_the_tables_with_its_demonstration_budget(quick_run):
    report = json.load(open(os.path.join(quick_run, "paper.json")))
    dapg = report["methods"]["dapg"]
    assert dapg["label"] == "DAPG" and set(dapg["groups"]) == {"contactdb16", "extra11"}
    first = json.loads(open(os.path.join(quick_run, "runs", dapg["runs"][0], "metrics.jsonl")).readline())
    assert first["update"] == 0 and first["bc/demo_nll_after"] < first["bc/demo_nll_before"]  # cloned first
    b = report["demo_budget"]
    assert b["demos_per_object"] == [0, 1, 25] and b["minutes_per_object"] == [0.0, 5.0, 125.0]
    assert b["success"][2]["mean"] == pytest.approx(dapg["overall"]["success"]["mean"])  # the main runs
    for n in (0, 1):
        evals = [json.load(open(os.path.join(quick_run, f"demo_budget_{n}", f"dapg-{n}demos-seed{s}", "eval.json")))
                 for s in (0, 1)]
        assert b["success"][n]["mean"] == pytest.approx(np.mean([e["objects"]["overall"]["success"] for e in evals]))
    assert "| DAPG |" in open(os.path.join(quick_run, "paper.md")).read()


def test_tables_are_the_mean_and_std_of_the_runs_evaluations(quick_run):
    report = json.load(open(os.path.join(quick_run, "paper.json")))
    for m in paper.METHODS:
        runs = report["methods"][m]["runs"]
        evals = [json.load(open(os.path.join(quick_run, "runs", r, "eval.json")))["objects"] for r in runs]
        for k in paper.METRICS:
            vals = [e["overall"][k] for e in evals]
            assert report["methods"][m]["overall"][k]["mean"] == pytest.approx(np.mean(vals))
            assert report["methods"][m]["overall"][k]["std"] == pytest.approx(np.std(vals))
            group = [np.mean([e[n][k] for n in ("mug", "apple")]) for e in evals]  # the ContactDB-16 objects
            assert report["methods"][m]["groups"]["contactdb16"][k]["mean"] == pytest.approx(np.mean(group))
        assert report["methods"][m]["curve"]["env_steps"][-1] == 1024
    noisy = [json.load(open(os.path.join(quick_run, "runs", r, "eval_noise.json")))
             for r in report["robustness"]["runs"]]
    assert all(n["noise"] for n in noisy) and report["robustness"]["runs"] == report["methods"]["dexvip"]["runs"]
    assert report["robustness"]["overall"]["posture"]["mean"] == pytest.approx(
        np.mean([n["objects"]["overall"]["posture"] for n in noisy]))
    text = open(os.path.join(quick_run, "paper.md")).read()
    assert "| affordance + human pose (DexVIP) |" in text and "extra11 success %" in text
    assert "| with noise |" in text


def test_a_sweep_refuses_configs_that_need_another_program(tmp_path):
    base = small_config()
    other = dataclasses.replace(base, num_envs=16)
    with pytest.raises(ConfigError, match="only reward weights, method and seed"):
        sweep.run_configs(base, [("a", base), ("b", other)], str(tmp_path))
    with pytest.raises(ConfigError, match="at least 2"):
        paper.plan(quick=True, seeds=1)
