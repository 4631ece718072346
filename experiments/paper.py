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
import os

import numpy as np

from dexvip_jax import config as cfg_lib
from dexvip_jax import sweep, targets
from dexvip_jax.envs import objects as zoo
from dexvip_jax.evaluate import evaluate_checkpoint
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
FULL = {"preset": "gpu", "seeds": 3, "eval_episodes": 100, "evals": 5,
        "sets": {"num_envs": 1024, "total_steps": 50_003_968, "checkpoint_every": 100}}


def plan(quick: bool, seeds: int | None = None, total_steps: int | None = None, backend: str | None = None,
         demos: str | None = None, methods: tuple[str, ...] = METHODS, episodes: int | None = None,
         start_states: str | None = None, assist: str = "none"):
    """(base config, [(run id, config)], eval episodes per object, eval every N updates). DAPG's
    demonstrations: ``demos`` (a `dexvip oracle` demos.npz), else the oracle records them.
    ``assist`` (``PROTOCOLS``): "none", the paper's protocol (no demonstration starts), or "starts",
    the preset's demonstration starts for every method, from ``start_states`` (the same format)
    or recorded by the oracle."""
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
    base = cfg_lib.build(size["preset"], method="dexvip", **{k.replace(".", "__"): v for k, v in sets.items()})
    seeds = seeds or size["seeds"]
    if seeds < 2:
        raise ConfigError("--seeds must be at least 2: the figures show mean +- std over seeds")
    runs = [(f"{m}-seed{base.seed + s}", dataclasses.replace(base, method=m, reward=cfg_lib.RewardWeights.of(m),
                                                             seed=base.seed + s))
            for m in METHODS if m in methods for s in range(seeds)]
    every = -(-base.num_updates // size["evals"])  # rounded up: the last of the evaluations is the final one
    return base, runs, episodes or size["eval_episodes"], every


def run(out: str, quick: bool = False, seeds: int | None = None, total_steps: int | None = None,
        backend: str | None = None, progress: bool = True, demos: str | None = None,
        demo_budgets: tuple[int, ...] | None = None, methods: tuple[str, ...] = METHODS,
        episodes: int | None = None, start_states: str | None = None, assist: str = "none") -> dict:
    """The whole experiment into ``out``; ``demo_budgets`` (default ``DEMO_BUDGETS``; () skips the
    figure): demonstrations per object for DAPG's budget figure. Tables, robustness (DexVIP), the
    budget figure (DAPG) and the DexVIP - GRAFF interval cover the ``methods`` trained."""
    demo_budgets = DEMO_BUDGETS if demo_budgets is None else demo_budgets
    if os.path.exists(os.path.join(out, "paper.json")):
        raise ConfigError(f"{out} already holds a paper run; choose another --out")
    base, runs, episodes, every = plan(quick, seeds, total_steps, backend, demos, methods, episodes, start_states,
                                       assist)
    summary = sweep.run_configs(base, runs, os.path.join(out, "runs"), progress, eval_episodes=episodes,
                                eval_every=every)
    report = aggregate(summary, runs, base)
    if "dexvip" in report["methods"]:
        report["robustness"] = robustness(report["methods"]["dexvip"]["runs"], os.path.join(out, "runs"), episodes)
    if demo_budgets and "dapg" in report["methods"] and "dexvip" in report["methods"]:
        report["demo_budget"] = demo_budget(out, runs, summary, demo_budgets, episodes, progress)
        demo_budget_figure(report, os.path.join(out, "demo_budget.png"))
    report.update(protocol=assist, quick=quick, wall_s=summary["wall_s"], env_steps_per_config=summary["env_steps_per_config"],
                  configs=len(runs), compilations=summary["compilations"], episodes_per_object=episodes,
                  backend=base.env.backend, objects=list(base.env.objects))
    bar_chart(report, os.path.join(out, "fig5.png"))
    success_curves(report, os.path.join(out, "curves.png"))
    text = markdown(report)
    write_text_atomic(os.path.join(out, "paper.md"), text + "\n")
    write_json_atomic(os.path.join(out, "paper.json"), report)
    return report


def demo_budget(out: str, runs, summary: dict, budgets, episodes: int, progress: bool) -> dict:
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
                                   eval_episodes=episodes)
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
    groups = {g: [n for n in base.env.objects if zoo.get(n).group == g] for g in ("contactdb16", "extra11")}
    methods = {}
    for m in dict.fromkeys(c.method for _, c in runs):
        ids = [cid for cid, c in runs if c.method == m]
        evals = [by_id[cid]["protocol"] for cid in ids]
        curves = [by_id[cid]["protocol_success"] for cid in ids]
        overall = {k: _mean_std([e["overall"][k] for e in evals]) for k in METRICS}
        split = {g: {k: _mean_std([np.mean([e[n][k] for n in names]) for e in evals]) for k in METRICS}
                 for g, names in groups.items() if names}
        steps = [s for s, _ in curves[0]]
        succ = np.array([[v for _, v in c] for c in curves])
        methods[m] = {"label": LABELS[m], "runs": ids, "overall": overall, "groups": split,
                      "diverged": sum(by_id[c]["diverged"] for c in ids),
                      "curve": {"env_steps": steps, "success_mean": succ.mean(0).tolist(),
                                "success_std": succ.std(0).tolist()}}
    report = {"methods": methods, "ablation": [{"row": label, "method": m} for label, m in ABLATION if m in methods]}
    if "dexvip" in methods and "graff" in methods:
        final = {m: {by_id[cid]["seed"]: by_id[cid]["protocol"]["overall"]["success"] for cid in methods[m]["runs"]}
                 for m in ("dexvip", "graff")}
        report["dexvip_minus_graff"] = paired_interval(final["dexvip"], final["graff"])
    return report


def paired_interval(a: dict, b: dict) -> dict:
    """Success of ``a`` minus ``b`` (seed -> %), paired by seed (the same seed draws the same
    initial network and episodes): mean, and the 95% Student-t interval of the mean difference."""
    from scipy import stats

    seeds = sorted(a)
    d = np.array([a[s] - b[s] for s in seeds], float)
    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
    return {"seeds": seeds, "per_seed": d.tolist(), "mean": float(d.mean()), "ci95": [float(d.mean() - half), float(d.mean() + half)]}


def robustness(run_ids, runs_dir: str, episodes: int) -> dict:
    """DexVIP's final policies under the paper's noise (``grasp.NOISE``), mean +- std over seeds."""
    tables = []
    for cid in run_ids:
        result = evaluate_checkpoint(os.path.join(runs_dir, cid), episodes, noise=True)
        write_json_atomic(os.path.join(runs_dir, cid, "eval_noise.json"), result)
        tables.append(result["objects"])
    return {"method": "dexvip", "runs": list(run_ids),
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
    if "dexvip_minus_graff" in report:
        d = report["dexvip_minus_graff"]
        lines += ["", f"Success difference DexVIP - GRAFF, paired by seed ({len(d['seeds'])} seeds): "
                  f"{d['mean']:+.1f} points, 95% interval [{d['ci95'][0]:+.1f}, {d['ci95'][1]:+.1f}] "
                  f"(per seed: {', '.join(f'{x:+.1f}' for x in d['per_seed'])})."]
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
