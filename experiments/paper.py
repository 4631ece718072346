"""``dexvip paper``: the paper's comparison in one command.

Every method preset differs from the others only in reward weights, which are traced, so all
methods x seeds train as ONE compiled sweep (``sweep.run_configs``), evaluated together with the
full protocol (success, stability, functionality, posture) during training and at the end. Then:

* ``fig5.png``: the four metrics per method, mean +- std over seeds (DexVIP's Fig. 5 layout);
* ``curves.png``: evaluation success vs training steps per method (mean +- std over seeds);
* ``paper.md`` / ``paper.json``: the main table, the ContactDB-16 vs other-11 split, the
  ablation table (affordance only, + touch, + human pose prior), and robustness: DexVIP's runs
  evaluated again under the paper's sensing and actuation noise (``<run>/eval_noise.json``; the
  noise is on at test time only, because noise settings are not traced and so cannot join the
  one-program sweep).

Two protocols (``PROTOCOLS``), each its own table. ``--assist none`` (the default) is the paper's:
every method starts its training episodes at the start pose and learns from its reward alone;
only DAPG sees demonstrations, through its loss. ``--assist starts`` starts half of every method's training
episodes from the scripted oracle's states (``env.demo_start``), the crutch that makes learning
work on the CPU budget. Both give every method the same shaping (``methods.SHAPING``).

In this re-implementation "affordance only" has exactly GRAFF's reward, so its runs are GRAFF's.
Sizes: ``QUICK`` is the cpu preset (4 objects, 2M steps per run, ~20 min per method x 3 seeds on a
2-core CPU; not the paper's 27 objects); ``FULL`` is the GPU experiment.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from dexvip_jax import config as cfg_lib
from dexvip_jax import sweep, targets
from dexvip_jax.evaluate import evaluate_checkpoint, group_means
from dexvip_jax.errors import ConfigError
from dexvip_jax.experiments.methods import COMPARED as METHODS  # aff_only == graff here
from dexvip_jax.experiments.methods import SHAPING
from dexvip_jax.files import pyplot, save_figure, write_json_atomic, write_text_atomic

LABELS = {"com": "COM", "touch": "TOUCH", "graff": "GRAFF", "dapg": "DAPG", "dexvip": "DexVIP",
          "aff_touch": "Aff + touch"}
ABLATION = (("affordance only (= GRAFF)", "graff"), ("affordance + touch", "aff_touch"),
            ("affordance + human pose (DexVIP)", "dexvip"))
METRICS = ("success", "stability", "functionality", "posture")
# What each protocol lets the methods start from; "starts" keeps the preset's env.demo_start.
PROTOCOLS = {"none": "the paper's protocol: every method starts at the start pose and learns from its "
                     "reward alone; only DAPG sees demonstrations (its loss)",
             "starts": "assisted (--assist starts): half of every method's training episodes start from "
                       "the scripted oracle's states; not the paper's protocol"}

# Collection cost, for the demonstration-budget figure (the paper's Fig. 6): about 5 minutes per
# teleoperated demonstration, a few seconds per image of a human hand (3 s here).
DEMO_MINUTES = 5.0
IMAGE_SECONDS = 3.0
DEMO_BUDGETS = (0, 5, 25)  # demonstrations per object

# QUICK is the cpu preset itself (4 objects, 2M steps per run), so its DexVIP row is the preset's
# learning result over seeds; all six methods x 3 seeds are 36M env steps, ~2 h on 2 cores
# (``--methods`` trains a subset, e.g. graff,dexvip for the DexVIP - GRAFF interval).
QUICK = {"preset": "cpu", "seeds": 3, "eval_episodes": 25, "evals": 4, "sets": {}}
# FULL is the GPU experiment: the gpu preset, all 27 objects, 150M steps per run, 4 seeds; 1,024
# envs per run keeps its 24 runs (6 methods x 4 seeds) at 24,576 envs in one program.
FULL = {"preset": "gpu", "seeds": 4, "eval_episodes": 100, "evals": 10,
        "sets": {"num_envs": 1024, "total_steps": 150_011_904, "checkpoint_every": 100}}


def plan(quick: bool, seeds: int | None = None, total_steps: int | None = None, backend: str | None = None,
         demos: str | None = None, methods: tuple[str, ...] = METHODS, episodes: int | None = None,
         start_states: str | None = None, assist: str = "none", objects: str | None = None,
         overrides: tuple[str, ...] = (), evals: int | None = None):
    """(base config, [(run id, config)], eval episodes per object, eval every N updates). DAPG's
    demonstrations: ``demos`` (a `dexvip oracle` demos.npz), else the oracle records them.
    ``assist`` (``PROTOCOLS``): "none", the paper's protocol (no demonstration starts), or "starts",
    the preset's demonstration starts for every method, from ``start_states`` (the same format)
    or recorded by the oracle. ``objects`` and ``overrides`` (``key=value``, as ``--set``) change the
    size's config for every method alike; ``evals``: evaluations over training (the last one final)."""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or not methods:
        raise ConfigError(f"--methods: unknown {', '.join(unknown) or 'empty list'}; choose from {','.join(METHODS)}")
    if assist not in PROTOCOLS:
        raise ConfigError(f"--assist {assist!r}: choose from {', '.join(PROTOCOLS)}")
    if start_states is not None and assist != "starts":
        raise ConfigError("--start-states are the assisted protocol's: pass --assist starts with them")
    if start_states is not None and not os.path.isfile(start_states):
        raise ConfigError(f"no start states at {start_states}; record them with `dexvip oracle --grasp prior "
                          "--out DIR` and pass DIR/demos.npz")
    size = QUICK if quick else FULL
    sets = dict(size["sets"])
    if assist == "none":
        sets["env.demo_start"] = 0.0
    if demos is not None:
        sets["dapg.demos"] = demos
    if start_states is not None:
        sets["env.start_states"] = start_states
    if total_steps is not None:
        sets["total_steps"] = total_steps
    if backend is not None:
        sets["env.backend"] = backend
    if objects is not None:
        sets["env.objects"] = objects
    base = cfg_lib.build(size["preset"], method="dexvip", **{k.replace(".", "__"): v for k, v in sets.items()})
    base = cfg_lib.validate(cfg_lib.apply_sets(base, overrides))
    seeds = seeds or size["seeds"]
    if seeds < 2:
        raise ConfigError("--seeds must be at least 2: the figures show mean +- std over seeds")
    runs = [(f"{m}-seed{base.seed + s}", dataclasses.replace(base, method=m, reward=cfg_lib.RewardWeights.of(m),
                                                             seed=base.seed + s))
            for m in METHODS if m in methods for s in range(seeds)]
    if any(c.method == "dapg" for _, c in runs) and base.env.obs != "state":
        raise ConfigError("DAPG trains from the demonstrations' motor observations: drop --set env.obs or --methods dapg")
    every = -(-base.num_updates // (evals or size["evals"]))  # rounded up: the last evaluation is the final one
    return base, runs, episodes or size["eval_episodes"], every


def dry_run(steps_per_s: float | None = None, **plan_args) -> dict:
    """What a paper run would train, without training: runs, env steps, evaluations; with
    ``steps_per_s`` (all runs together, as measured by ``dexvip bench train`` or
    ``benchmarks/gpu_check.sh`` on the machine), its training time."""
    base, runs, episodes, every = plan(**plan_args)
    total = len(runs) * base.num_updates * base.steps_per_update
    out = {"runs": [cid for cid, _ in runs], "objects": list(base.env.objects), "backend": base.env.backend,
           "num_envs_per_run": base.num_envs, "env_steps_per_run": base.num_updates * base.steps_per_update,
           "env_steps_total": total, "evaluations": -(-base.num_updates // every),
           "episodes_per_object": episodes, "protocol": plan_args.get("assist", "none")}
    if steps_per_s:
        out.update(steps_per_s=steps_per_s, training_hours=total / steps_per_s / 3600)
    return out


ARGS = "paper_args.json"  # what a paper run was asked for, so ``resume`` continues the same experiment


def run(out: str, quick: bool = False, seeds: int | None = None, total_steps: int | None = None,
        backend: str | None = None, progress: bool = True, demos: str | None = None,
        demo_budgets: tuple[int, ...] | None = None, methods: tuple[str, ...] = METHODS,
        episodes: int | None = None, start_states: str | None = None, assist: str = "none",
        objects: str | None = None, overrides: tuple[str, ...] = (), evals: int | None = None,
        resume: bool = False) -> dict:
    """The whole experiment into ``out``; ``demo_budgets`` (default ``DEMO_BUDGETS``; () skips the
    figure): demonstrations per object for DAPG's budget figure. Tables, robustness (DexVIP), the
    budget figure (DAPG) and the paired differences cover the ``methods`` trained. ``resume``
    (see ``resume``) continues the run in ``out``: finished sweeps and evaluations are read back,
    the rest continue from their checkpoints."""
    demo_budgets = DEMO_BUDGETS if demo_budgets is None else tuple(demo_budgets)
    args = {"quick": quick, "seeds": seeds, "total_steps": total_steps, "backend": backend, "demos": demos,
            "demo_budgets": list(demo_budgets), "methods": list(methods), "episodes": episodes,
            "start_states": start_states, "assist": assist, "objects": objects, "overrides": list(overrides),
            "evals": evals}
    if not resume and os.path.exists(os.path.join(out, "paper.json")):
        raise ConfigError(f"{out} already holds a paper run; choose another --out")
    if not resume and os.path.exists(os.path.join(out, ARGS)):
        raise ConfigError(f"{out} holds an unfinished paper run; continue it with dexvip paper --resume {out}")
    base, runs, episodes, every = plan(quick, seeds, total_steps, backend, demos, tuple(methods), episodes,
                                       start_states, assist, objects, tuple(overrides), evals)
    os.makedirs(out, exist_ok=True)
    write_json_atomic(os.path.join(out, ARGS), args)
    summary = sweep.run_configs(base, runs, os.path.join(out, "runs"), progress, eval_episodes=episodes,
                                eval_every=every, resume=resume)
    report = aggregate(summary, runs, base)
    if "dexvip" in report["methods"]:
        report["robustness"] = robustness([os.path.join(out, "runs", cid) for cid in report["methods"]["dexvip"]["runs"]],
                                          episodes)
    if demo_budgets and "dapg" in report["methods"] and "dexvip" in report["methods"]:
        report["demo_budget"] = demo_budget(out, runs, summary, demo_budgets, episodes, progress, resume)
        demo_budget_figure(report, os.path.join(out, "demo_budget.png"))
    report.update(protocol=assist, quick=quick, wall_s=summary["wall_s"], env_steps_per_config=summary["env_steps_per_config"],
                  configs=len(runs), compilations=summary["compilations"], episodes_per_object=episodes,
                  backend=base.env.backend, objects=list(base.env.objects), args=args,
                  resumed_from_update=summary.get("resumed_from_update"))
    return _write_report(report, out)


def _write_report(report: dict, out: str) -> dict:
    bar_chart(report, os.path.join(out, "fig5.png"))
    success_curves(report, os.path.join(out, "curves.png"))
    write_text_atomic(os.path.join(out, "paper.md"), markdown(report) + "\n")
    write_json_atomic(os.path.join(out, "paper.json"), report)
    return report


def combine(parts: list[str], out: str) -> dict:
    """One report over the seeds of several finished paper runs of the same plan (e.g. seeds 0-1
    in one sitting's program and 2-4 in the next): each seed's run stands alone (a sweep's lanes
    never mix), so their tables pool like the lanes of one program. The parts may differ only in
    ``seeds`` and the ``seed`` they start from; DAPG's budget figure is not combined."""
    args, summaries, runs, dirs = [], [], [], {}
    for part in parts:
        if not os.path.exists(os.path.join(part, "paper.json")):
            raise ConfigError(f"{part} holds no finished paper run; finish it with dexvip paper --resume {part}")
        with open(os.path.join(part, ARGS)) as f:
            args.append(json.load(f))
        with open(os.path.join(part, "runs", "summary.json")) as f:
            summaries.append(json.load(f))
        plan_args = {k: v for k, v in args[-1].items() if k != "demo_budgets"}
        base, part_runs, episodes, _ = plan(**{**plan_args, "methods": tuple(plan_args["methods"]),
                                               "overrides": tuple(plan_args["overrides"])})
        runs += part_runs
        dirs.update({cid: os.path.join(part, "runs", cid) for cid, _ in part_runs})  # wherever the part now is

    def plan_but_seeds(a: dict) -> dict:
        return {**a, "seeds": None, "overrides": [o for o in a["overrides"] if not o.startswith("seed=")]}

    if any(plan_but_seeds(a) != plan_but_seeds(args[0]) for a in args):
        raise ConfigError("the parts are not one plan: they may differ only in --seeds and --set seed=N")
    ids = [cid for cid, _ in runs]
    if len(set(ids)) != len(ids):
        raise ConfigError("the parts share a seed; give each part its own seeds (--set seed=N)")
    summary = {"configs": [c for s in summaries for c in s["configs"]],
               "env_steps_per_config": summaries[0]["env_steps_per_config"]}
    report = aggregate(summary, runs, base)
    if "dexvip" in report["methods"]:
        report["robustness"] = robustness([dirs[cid] for cid in report["methods"]["dexvip"]["runs"]], episodes)
    report.update(protocol=args[0]["assist"], quick=args[0]["quick"], wall_s=sum(s["wall_s"] for s in summaries),
                  env_steps_per_config=summary["env_steps_per_config"], configs=len(runs),
                  compilations=sum(s["compilations"] for s in summaries), episodes_per_object=episodes,
                  backend=base.env.backend, objects=list(base.env.objects), args=args[0],
                  parts=[os.path.abspath(p) for p in parts], resumed_from_update=None)
    os.makedirs(out, exist_ok=True)
    return _write_report(report, out)


def resume(out: str, progress: bool = True) -> dict:
    """Continue the paper run in ``out`` with the arguments it was started with (``ARGS``): an
    interrupted one ends as an uninterrupted one would; a finished one has its report made again
    from its stored results, without training."""
    path = os.path.join(out, ARGS)
    if not os.path.exists(path):
        raise ConfigError(f"nothing to resume in {out}: no {ARGS} there (start it with dexvip paper --out {out})")
    with open(path) as f:
        args = json.load(f)
    return run(out, progress=progress, resume=True, **args)


def demo_budget(out: str, runs, summary: dict, budgets, episodes: int, progress: bool, resume: bool = False) -> dict:
    """DAPG's final success against demonstrations per object, mean +- std over its seeds: the main
    sweep's DAPG runs give the configured budget; each other budget is one more sweep of the same
    seeds on the same demonstration file (another number of demonstrations is another program)."""
    dapg_runs = [(cid, c) for cid, c in runs if c.method == "dapg"]
    by_id = {r["id"]: r for r in summary["configs"]}
    first = dapg_runs[0][1]
    points = {first.dapg.per_object: [by_id[cid]["protocol"]["overall"]["success"] for cid, _ in dapg_runs]}
    demos = first.dapg.demos or os.path.join(out, "runs", "demos", "demos.npz")
    for b in budgets:
        if b in points:
            continue
        rs = [(f"dapg-{b}demos-seed{c.seed}", dataclasses.replace(c, dapg=dataclasses.replace(c.dapg, per_object=b, demos=demos)))
              for _, c in dapg_runs]
        result = sweep.run_configs(rs[0][1], rs, os.path.join(out, f"demo_budget_{b}"), progress,
                                   eval_episodes=episodes, resume=resume)
        points[b] = [r["protocol"]["overall"]["success"] for r in result["configs"]]
    priors = targets.shipped("synthetic")  # stand-ins for the paper's ~26 video frames per object
    images = float(np.mean([priors[n]["num_poses"] for n in first.env.objects if n in priors]))
    return {"demos_per_object": sorted(points),
            "success": [_mean_std(points[b]) for b in sorted(points)],
            "minutes_per_object": [b * DEMO_MINUTES for b in sorted(points)],
            "dexvip": {"images_per_object": images, "minutes_per_object": images * IMAGE_SECONDS / 60.0},
            "demo_minutes": DEMO_MINUTES, "image_seconds": IMAGE_SECONDS}


def _mean_std(values) -> dict:
    v = np.asarray(values, float)
    return {"mean": float(v.mean()), "std": float(v.std()), "n": int(v.size)}


def aggregate(summary: dict, runs, base) -> dict:
    """Mean +- std over seeds per method: overall metrics, per object group, success curves."""
    by_id = {r["id"]: r for r in summary["configs"]}
    methods = {}
    for m in dict.fromkeys(c.method for _, c in runs):
        ids = [cid for cid, c in runs if c.method == m]
        evals = [by_id[cid]["protocol"] for cid in ids]
        curves = [by_id[cid]["protocol_success"] for cid in ids]
        overall = {k: _mean_std([e["overall"][k] for e in evals]) for k in METRICS}
        per_seed = [group_means(e, base.env.objects) for e in evals]
        split = {g: {k: _mean_std([s[g][k] for s in per_seed]) for k in METRICS} for g in per_seed[0]}
        steps = [s for s, _ in curves[0]]
        succ = np.array([[v for _, v in c] for c in curves])
        methods[m] = {"label": LABELS[m], "runs": ids, "overall": overall, "groups": split,
                      "diverged": sum(by_id[c]["diverged"] for c in ids),
                      "curve": {"env_steps": steps, "success_mean": succ.mean(0).tolist(),
                                "success_std": succ.std(0).tolist()}}
    report = {"methods": methods, "ablation": [{"row": label, "method": m} for label, m in ABLATION if m in methods]}
    report["threshold"], report["paired"] = paired(by_id, methods, summary["env_steps_per_config"])
    return report


def steps_to(curve, level: float) -> int | None:
    """The env steps of the first evaluation at or above ``level`` % success (None: never)."""
    return next((steps for steps, success in curve if success >= level), None)


def paired(by_id: dict, methods: dict, budget: int) -> tuple[dict | None, dict]:
    """DexVIP minus GRAFF and minus Aff + touch, paired by seed, in final success, posture and
    steps-to-threshold: the env steps to reach GRAFF's final success (mean over its seeds; the
    paper's "20% sooner"). A run that never reaches it counts at the budget, a lower bound, and
    is counted in ``censored``; with GRAFF at 0% there is nothing to reach and no such row."""
    def per_seed(m, value):
        return {by_id[cid]["seed"]: value(by_id[cid]) for cid in methods[m]["runs"]}

    threshold = None
    if "graff" in methods and methods["graff"]["overall"]["success"]["mean"] > 0:
        level = methods["graff"]["overall"]["success"]["mean"]
        reached = {m: per_seed(m, lambda r: steps_to(r["protocol_success"], level)) for m in methods}
        threshold = {"success": level, "budget": budget, "steps": reached}
    out = {}
    for other in ("graff", "aff_touch"):
        if "dexvip" not in methods or other not in methods:
            continue
        rows = {k: paired_interval(per_seed("dexvip", lambda r: r["protocol"]["overall"][k]),
                                   per_seed(other, lambda r: r["protocol"]["overall"][k])) for k in ("success", "posture")}
        if threshold:
            a, b = (threshold["steps"][m] for m in ("dexvip", other))
            rows["steps_to_threshold"] = paired_interval({s: v or budget for s, v in a.items()},
                                                         {s: v or budget for s, v in b.items()})
            rows["steps_to_threshold"]["censored"] = {m: sum(v is None for v in threshold["steps"][m].values())
                                                      for m in ("dexvip", other)}
        out[f"dexvip - {other}"] = rows
    return threshold, out


def paired_interval(a: dict, b: dict) -> dict:
    """``a`` minus ``b`` (seed -> value), paired by seed (the same seed draws the same initial
    network and episodes): mean, and the 95% Student-t interval of the mean difference."""
    from scipy import stats

    seeds = sorted(a)
    d = np.array([a[s] - b[s] for s in seeds], float)
    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
    return {"seeds": seeds, "per_seed": d.tolist(), "mean": float(d.mean()), "ci95": [float(d.mean() - half), float(d.mean() + half)]}


def robustness(run_dirs: list[str], episodes: int) -> dict:
    """DexVIP's final policies under the paper's noise (``grasp.NOISE``), mean +- std over seeds."""
    tables = []
    for run_dir in run_dirs:
        path = os.path.join(run_dir, "eval_noise.json")
        if os.path.exists(path):  # a resumed paper run's: the evaluation is deterministic
            with open(path) as f:
                tables.append(json.load(f)["objects"])
            continue
        result = evaluate_checkpoint(run_dir, episodes, noise=True)
        write_json_atomic(path, result)
        tables.append(result["objects"])
    return {"method": "dexvip", "runs": [os.path.basename(d) for d in run_dirs],
            "overall": {k: _mean_std([t["overall"][k] for t in tables]) for k in METRICS}}


def markdown(report: dict) -> str:
    def cell(ms):
        return f"{ms['mean']:.1f} ± {ms['std']:.1f}"

    head = "| method | " + " | ".join(f"{k} %" for k in METRICS) + " |\n|---|" + "---|" * len(METRICS)
    shaping = " + ".join(f"{w:g} · {t}" for t, w in SHAPING.items())
    lines = [f"### Methods ({report['configs']} runs, {report['env_steps_per_config']:,} env steps each, "
             f"{report['episodes_per_object']} evaluation episodes per object, "
             f"objects: {', '.join(report['objects'])})",
             "", f"Protocol: {PROTOCOLS[report['protocol']]}. Every method's reward also has the shared shaping "
             f"{shaping}, in both protocols.", "", head]
    for m in report["methods"].values():
        lines.append(f"| {m['label']} | " + " | ".join(cell(m["overall"][k]) for k in METRICS) + " |")
    lines += ["", "### Success by object group (ContactDB-16 vs the other 11)", "",
              "| method | " + " | ".join(f"{g} success %" for g in ("contactdb16", "extra11")) + " |", "|---|---|---|"]
    for m in report["methods"].values():
        cells = [cell(m["groups"][g]["success"]) if g in m["groups"] else "—" for g in ("contactdb16", "extra11")]
        lines.append(f"| {m['label']} | " + " | ".join(cells) + " |")
    if report["paired"]:
        lines += ["", "### Paired differences (by seed; 95% Student-t intervals)", "",
                  "| difference | measure | mean | 95% interval | per seed |", "|---|---|---|---|---|"]
        for name, rows in report["paired"].items():
            label = " - ".join(LABELS[m] for m in name.split(" - "))
            for k, d in rows.items():
                scale, unit = (1e6, "M steps") if k == "steps_to_threshold" else (1.0, "points")
                lines.append(f"| {label} | {k.replace('_', ' ')} | {d['mean'] / scale:+.2f} {unit} | "
                             f"[{d['ci95'][0] / scale:+.2f}, {d['ci95'][1] / scale:+.2f}] | "
                             + ", ".join(f"{x / scale:+.2f}" for x in d["per_seed"]) + " |")
        if report["threshold"]:
            t = report["threshold"]
            lines += ["", f"Steps to threshold: env steps to the first evaluation at or above GRAFF's final success "
                      f"({t['success']:.1f}%); a run that never reaches it counts at the budget "
                      f"({t['budget'] / 1e6:.2f}M steps), a lower bound (never reached: "
                      + ", ".join(f"{LABELS[m]} {sum(v is None for v in t['steps'][m].values())} of {len(t['steps'][m])}"
                                  for m in t["steps"]) + ")."]
    if "demo_budget" in report:
        b = report["demo_budget"]
        lines += ["", "### DAPG's success against demonstrations per object (Fig. 6 analogue)", "",
                  "| demonstrations per object | collection time per object | DAPG success % |", "|---|---|---|"]
        for n, t, ms in zip(b["demos_per_object"], b["minutes_per_object"], b["success"]):
            lines.append(f"| {n} | {t:.0f} min | {cell(ms)} |")
        lines.append(f"| DexVIP: {b['dexvip']['images_per_object']:.0f} images | "
                     f"{b['dexvip']['minutes_per_object']:.1f} min | "
                     f"{cell(report['methods']['dexvip']['overall']['success'])} (DexVIP) |")
    lines += ["", "### Ablation (DexVIP's reward, one term at a time)", "", head.replace("method", "reward")]
    for row in report["ablation"]:
        m = report["methods"][row["method"]]
        lines.append(f"| {row['row']} | " + " | ".join(cell(m["overall"][k]) for k in METRICS) + " |")
    if "robustness" in report:
        lines += ["", "### Robustness (DexVIP, tested with sensing and actuation noise)", "",
                  head.replace("method", "test")]
        for label, overall in (("without noise", report["methods"]["dexvip"]["overall"]),
                               ("with noise", report["robustness"]["overall"])):
            lines.append(f"| {label} | " + " | ".join(cell(overall[k]) for k in METRICS) + " |")
    return "\n".join(lines)


def bar_chart(report: dict, path: str) -> None:
    plt = pyplot()

    methods = list(report["methods"].values())
    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.2 * len(METRICS), 3.2))
    for ax, k in zip(axes, METRICS):
        means = [m["overall"][k]["mean"] for m in methods]
        stds = [m["overall"][k]["std"] for m in methods]
        ax.bar(range(len(methods)), means, yerr=stds, capsize=3, color=[f"C{i}" for i in range(len(methods))])
        ax.set_xticks(range(len(methods)), [m["label"] for m in methods], rotation=40, ha="right", fontsize=8)
        ax.set_ylim(0, max(5.0, 1.15 * max(a + b for a, b in zip(means, stds))))  # all-zero bars still show 0-5
        ax.set_title(f"{k} (%)")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{'Quick run' if report['quick'] else 'Full run'}: mean ± std over seeds, "
                 f"{report['env_steps_per_config']:,} steps per run", fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def demo_budget_figure(report: dict, path: str) -> None:
    """Success against the time it takes to collect the supervision, per object (Fig. 6 analogue)."""
    plt = pyplot()

    b = report["demo_budget"]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    x = np.asarray(b["minutes_per_object"])
    y = np.array([p["mean"] for p in b["success"]])
    e = np.array([p["std"] for p in b["success"]])
    ax.errorbar(x, y, yerr=e, fmt="o-", capsize=3, color="C3", label="DAPG (teleoperated demos, 5 min each)")
    for xi, yi, n in zip(x, y, b["demos_per_object"]):
        ax.annotate(f"{n} demos", (xi, yi), textcoords="offset points", xytext=(4, 6), fontsize=8)
    dex = report["methods"]["dexvip"]["overall"]["success"]
    t = b["dexvip"]["minutes_per_object"]
    ax.errorbar([t], [dex["mean"]], yerr=[dex["std"]], fmt="s", capsize=3, color="C4",
                label=f"DexVIP ({b['dexvip']['images_per_object']:.0f} images, {report['demo_budget']['image_seconds']:.0f} s each)")
    ax.set_xscale("symlog", linthresh=1.0)
    _finish(fig, ax, "supervision collection time per object (minutes)", "final success (%)", path)


def _finish(fig, ax, xlabel: str, ylabel: str, path: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def success_curves(report: dict, path: str) -> None:
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, m in enumerate(report["methods"].values()):
        c = m["curve"]
        x, y, s = np.asarray(c["env_steps"]), np.asarray(c["success_mean"]), np.asarray(c["success_std"])
        ax.plot(x, y, "o-", color=f"C{i}", label=m["label"])
        ax.fill_between(x, y - s, y + s, color=f"C{i}", alpha=0.15)
    _finish(fig, ax, "env steps per run", "evaluation success (%)", path)
