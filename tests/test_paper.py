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
    demos = write_synthetic_demos(env, tmp_path_factory.mktemp("demos") / "demos.npz")
    assert main(["paper", "--quick", "--seeds", "2", "--episodes", "2", "--total-steps", "2048", "--out", out,
                 "--json", "--demos", demos, "--assist", "starts", "--start-states", demos, "--demo-budget", "1"]) == 0
    return out


def test_the_paper_protocol_is_the_default_and_the_assisted_one_is_named():
    base, runs, _, _ = paper.plan(quick=True)
    assert base.env.demo_start == 0.0 and {c.env.demo_start for _, c in runs} == {0.0}  # reward alone
    assert base.dapg.per_object == 25  # DAPG alone sees demonstrations, through its loss
    assisted, _, _, _ = paper.plan(quick=True, assist="starts")
    assert assisted.env.demo_start == 0.5  # the preset's starts, for every method
    with pytest.raises(ConfigError, match="--assist starts"):
        paper.plan(quick=True, start_states="demos.npz")
    with pytest.raises(ConfigError, match="choose from"):
        paper.plan(quick=True, assist="oracle")


def test_one_program_trains_every_method_and_seed(quick_run):
    report = json.load(open(os.path.join(quick_run, "paper.json")))
    assert report["protocol"] == "starts"
    text = open(os.path.join(quick_run, "paper.md")).read()
    assert "Protocol: assisted (--assist starts)" in text and "shared shaping 0.5 · reach + 1 · lift" in text
    assert report["compilations"] == 1 and report["configs"] == len(paper.METHODS) * 2
    assert set(report["methods"]) == set(paper.METHODS)
    for name in ("fig5.png", "curves.png", "paper.md", "demo_budget.png"):
        assert os.path.getsize(os.path.join(quick_run, name)) > 0


def test_dapg_sits_in_the_tables_with_its_demonstration_budget(quick_run):
    report = json.load(open(os.path.join(quick_run, "paper.json")))
    dapg = report["methods"]["dapg"]
    assert dapg["label"] == "DAPG" and set(dapg["groups"]) == {"contactdb16"}  # the cpu preset's 4 objects
    first = json.loads(open(os.path.join(quick_run, "runs", dapg["runs"][0], "metrics.jsonl")).readline())
    assert first["update"] == 0 and first["bc/demo_nll_after"] < first["bc/demo_nll_before"]  # cloned first
    b = report["demo_budget"]
    assert b["demos_per_object"] == [1, 25] and b["minutes_per_object"] == [5.0, 125.0]
    assert b["success"][1]["mean"] == pytest.approx(dapg["overall"]["success"]["mean"])  # the main runs
    for n in (1,):
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
            group = [np.mean([e[n][k] for n in ("mug", "hammer", "apple", "cell_phone")]) for e in evals]
            assert report["methods"][m]["groups"]["contactdb16"][k]["mean"] == pytest.approx(np.mean(group))
        assert report["methods"][m]["curve"]["env_steps"][-1] == 2048  # one update of 64 envs x 32 steps
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


def test_dexvip_minus_graff_is_paired_by_seed_with_a_t_interval(quick_run):
    report = json.load(open(os.path.join(quick_run, "paper.json")))
    d = report["paired"]["dexvip - graff"]["success"]
    final = {m: [json.load(open(os.path.join(quick_run, "runs", f"{m}-seed{s}", "eval.json")))["objects"]["overall"]["success"]
                 for s in (0, 1)] for m in ("dexvip", "graff")}
    assert d["seeds"] == [0, 1] and d["per_seed"] == pytest.approx(np.subtract(final["dexvip"], final["graff"]))
    # Known answer: differences 10 and 20 points -> mean 15, half-width t(0.975, 1) * 7.07 / sqrt(2) = 63.5.
    known = paper.paired_interval({0: 30.0, 1: 50.0}, {0: 20.0, 1: 30.0})
    assert known["mean"] == 15.0 and known["ci95"] == pytest.approx([15 - 63.53, 15 + 63.53], abs=0.01)
    assert "| DexVIP - GRAFF | success |" in open(os.path.join(quick_run, "paper.md")).read()


def test_methods_subset_trains_only_those_and_bad_names_are_refused(capsys):
    _, runs, episodes, _ = paper.plan(quick=True, methods=("graff", "dexvip"), episodes=7)
    assert [cid for cid, _ in runs] == [f"{m}-seed{s}" for m in ("graff", "dexvip") for s in range(3)]
    assert episodes == 7
    with pytest.raises(ConfigError, match="unknown dexvp"):
        paper.plan(quick=True, methods=("dexvp",))
    with pytest.raises(SystemExit) as exit_:
        main(["paper", "--quick", "--methods", "graff,dexvp"])
    assert exit_.value.code == 2 and "expected methods from" in capsys.readouterr().err


TINY = ["paper", "--quick", "--methods", "graff,dexvip", "--seeds", "2", "--objects", "apple", "--episodes", "2",
        "--evals", "3", "--total-steps", "192", "--demo-budget", "none", "--json",
        "--set", "num_envs=8", "--set", "unroll_length=8", "--set", "ppo.num_minibatches=2",
        "--set", "env.episode_length=16", "--set", "checkpoint_every=1"]


def _results(out):
    """What a paper run concluded: its report (less timings) and every run's metrics and table."""
    report = json.load(open(os.path.join(out, "paper.json")))
    for k in ("wall_s", "resumed_from_update"):
        report.pop(k)
    runs = {r: (open(os.path.join(out, "runs", r, "metrics.jsonl")).read(),
                json.load(open(os.path.join(out, "runs", r, "eval.json"))))
            for m in report["methods"].values() for r in m["runs"]}
    return report, runs


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tiny"))
    assert main(TINY + ["--out", out]) == 0
    return out


def test_an_interrupted_paper_run_resumes_to_the_uninterrupted_result(tiny_run, tmp_path, monkeypatch, capsys):
    straight, cut = tiny_run, str(tmp_path / "cut")
    saves, save = [], sweep.Checkpointer.save

    def save_then_stop(self, step, state):  # stops mid-update 2: two of four runs saved it, so 1 is the resume point
        if len(saves) == 5:
            raise KeyboardInterrupt
        saves.append(step)
        save(self, step, state)

    monkeypatch.setattr(sweep.Checkpointer, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        main(TINY + ["--out", cut])
    monkeypatch.setattr(sweep.Checkpointer, "save", save)
    assert not os.path.exists(os.path.join(cut, "paper.json"))
    assert main(TINY + ["--out", cut]) == 2  # refused: it holds an unfinished run
    assert "--resume" in capsys.readouterr().err
    assert main(["paper", "--resume", cut, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["resumed_from_update"] == 1
    assert _results(cut) == _results(straight)
    d = report["paired"]["dexvip - graff"]
    assert set(d) >= {"success", "posture"} and d["success"]["seeds"] == [0, 1]
    assert main(["paper", "--resume", cut, "--seeds", "3"]) == 2  # its own flags only
    assert "drop --seeds" in capsys.readouterr().err


def test_steps_to_threshold_known_answer():
    curve = [[100, 0.0], [200, 20.0], [300, 40.0]]
    assert paper.steps_to(curve, 20.0) == 200 and paper.steps_to(curve, 50.0) is None
    by_id = {f"{m}-seed{s}": {"seed": s, "protocol": {"overall": {"success": succ, "posture": 0.0}},
                              "protocol_success": curve_}
             for m, s, succ, curve_ in (("graff", 0, 20.0, [[100, 0.0], [200, 20.0]]),
                                        ("graff", 1, 40.0, [[100, 40.0], [200, 40.0]]),
                                        ("dexvip", 0, 40.0, [[100, 40.0], [200, 40.0]]),
                                        ("dexvip", 1, 10.0, [[100, 0.0], [200, 10.0]]))}
    methods = {m: {"runs": [f"{m}-seed0", f"{m}-seed1"], "overall": {"success": {"mean": 30.0 if m == "graff" else 25.0}}}
               for m in ("graff", "dexvip")}
    threshold, pairs = paper.paired(by_id, methods, budget=200)
    assert threshold["success"] == 30.0  # GRAFF's final mean
    assert threshold["steps"] == {"graff": {0: None, 1: 100}, "dexvip": {0: 100, 1: None}}
    steps = pairs["dexvip - graff"]["steps_to_threshold"]
    assert steps["per_seed"] == [100 - 200, 200 - 100]  # never reached counts at the budget
    assert steps["censored"] == {"dexvip": 1, "graff": 1}
    assert pairs["dexvip - graff"]["success"]["per_seed"] == [20.0, -30.0]


def test_paper_runs_of_other_seeds_combine_into_one_report(tiny_run, tmp_path):
    more, out = str(tmp_path / "more"), str(tmp_path / "combined")
    assert main(TINY + ["--set", "seed=2", "--out", more]) == 0
    report = paper.combine([tiny_run, more], out)
    assert report["methods"]["graff"]["runs"] == [f"graff-seed{s}" for s in range(4)]
    finals = [json.load(open(os.path.join(part, "runs", f"dexvip-seed{s}", "eval.json")))["objects"]["overall"]["success"]
              for part, s in ((tiny_run, 0), (tiny_run, 1), (more, 2), (more, 3))]
    assert report["methods"]["dexvip"]["overall"]["success"]["mean"] == pytest.approx(np.mean(finals))
    assert report["paired"]["dexvip - graff"]["success"]["seeds"] == [0, 1, 2, 3]
    assert len(report["robustness"]["runs"]) == 4 and os.path.getsize(os.path.join(out, "paper.md")) > 0
    with pytest.raises(ConfigError, match="share a seed"):
        paper.combine([tiny_run, tiny_run], str(tmp_path / "twice"))
