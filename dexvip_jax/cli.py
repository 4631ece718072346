"""The ``dexvip`` command line. Bad input: one line on stderr naming the fix, exit code 2."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys

from dexvip_jax.errors import ConfigError
from dexvip_jax.experiments.methods import COMPARED, METHODS


def enable_compilation_cache(path: str | None = None, *, on_cpu: bool = False) -> str | None:
    """JAX's persistent compilation cache, outside the repo (``$DEXVIP_JAX_CACHE`` or ~/.cache).

    On accelerators it is on. On CPU it is opt-in (``on_cpu`` or ``DEXVIP_JAX_CACHE=DIR``): XLA:CPU
    logs a line on stderr for every cached program it loads ("Assume version compatibility" on AMD;
    on Intel it rejects every entry, jax-ml/jax#38445), and the CPU default backend (MuJoCo C)
    compiles in seconds anyway. Even with ``on_cpu`` it stays off on Intel, where it never hits.
    ``DEXVIP_JAX_CACHE=off`` turns it off everywhere. Returns the directory, or None when off."""
    import jax

    path = path or os.environ.get("DEXVIP_JAX_CACHE")
    if path == "off":
        return None
    if path is None and jax.default_backend() == "cpu" and (not on_cpu or _cpu_vendor() == "GenuineIntel"):
        return None
    path = path or os.path.join(os.path.expanduser("~"), ".cache", "dexvip-jax", "jax")
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def _cpu_vendor() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("vendor_id")), "")
    except OSError:
        return ""


def _import_mujoco() -> None:
    """MuJoCo loads the GL platform that ``MUJOCO_GL`` names; a broken one is a one-line error."""
    try:
        import mujoco  # noqa: F401
    except Exception as e:  # noqa: BLE001  (PyOpenGL fails with AttributeError, ImportError, ...)
        gl = os.environ.get("MUJOCO_GL", "")
        raise ConfigError(f"MuJoCo failed to load with MUJOCO_GL={gl!r} ({type(e).__name__}: {e}); "
                          "unset MUJOCO_GL, or install that GL platform") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _methods(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names or set(names) - set(COMPARED):
        raise argparse.ArgumentTypeError(f"expected methods from {','.join(COMPARED)}, got {text!r}")
    return names


def _budgets(text: str) -> tuple[int, ...]:
    if text.strip().lower() == "none":
        return ()
    try:
        values = tuple(int(t) for t in text.split(","))
    except ValueError:
        values = (-1,)
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"expected demonstrations per object as N,N,... (N >= 0) or none, got {text!r}")
    return values


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _newtons(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite force >= 0 N, got {text!r}")
    return value


def cmd_objects(args) -> int:
    from dexvip_jax.envs import meshes
    from dexvip_jax.envs import objects as zoo

    rows = [{"name": o.name, "group": o.group, "size_m": list(o.extent), "mass_kg": o.mass,
             "paper_mass_kg": 1.0, "affordance": o.affordance,
             "affordance_points": zoo.NUM_AFFORDANCE_POINTS,
             # What each env.shapes setting builds it from.
             "shape_source": {"primitive": "parts (objects.py)",
                              "mesh": meshes.source_of(o.name) if meshes.has_mesh(o.name) else "parts (objects.py)"}}
            for o in zoo.CATALOGUE]
    if args.sheet:
        from dexvip_jax.envs.render import contact_sheet

        contact_sheet(args.sheet)
    if args.camera_sheet:
        from dexvip_jax.envs.render import camera_sheet

        camera_sheet(args.camera_sheet)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"dexvip object zoo ({len(rows)} objects)")
    for col in ("name", "group", "size x·y·z (cm)", "mass (kg)", "affordance", "points", "env.shapes=mesh"):
        table.add_column(col)
    for r in rows:
        size = " × ".join(f"{100 * v:.1f}" for v in r["size_m"])
        table.add_row(r["name"], r["group"], size, f"{r['mass_kg']:.2f}", r["affordance"], str(r["affordance_points"]),
                      r["shape_source"]["mesh"])
    Console().print(table)
    print("The env uses 1 kg for every object (as the paper did) unless object_mass=None.")
    return 0


def cmd_bench_env(args) -> int:
    from dexvip_jax import bench
    from dexvip_jax.envs.grasp import default_backend

    backend = args.backend or default_backend()
    result = {"device": bench.device_info(),
              **bench.bench_env(backend, args.num_envs, args.steps, args.objects, nthread=args.nthread,
                                obs=args.obs, image_size=args.image_size)}
    if args.reference:
        result["reference"] = bench.bench_mujoco_c(args.num_envs, args.steps, result["nthread"] or os.cpu_count())
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{backend}: {result['env_steps_per_s']:,.0f} env steps/s at {args.num_envs} envs "
              f"(compile {result['compile_s']:.1f} s, {result['device']['device_kind']})")
        if args.obs == "pixels":
            size = args.image_size
            print(f"camera alone: {result['camera_frames_per_s']:,.0f} frames/s ({size}x{size}x5)")
        if args.reference:
            ref = result["reference"]
            print(f"MuJoCo C mj_step, 1 thread: {ref['mujoco_c_single_thread_env_steps_per_s']:,.0f} env steps/s; "
                  f"mujoco.rollout, {ref['rollout_nthread']} threads: {ref['mujoco_rollout_env_steps_per_s']:,.0f}")
    return 0


def cmd_bench_train(args) -> int:
    from dexvip_jax import bench

    overrides = {k: v for k, v in (("env__backend", args.backend), ("num_envs", args.num_envs),
                                   ("unroll_length", args.unroll_length), ("env__objects", args.objects),
                                   ("env__obs", args.obs), ("env__image_size", args.image_size)) if v is not None}
    result = {"device": bench.device_info(),
              **bench.bench_train(args.preset, args.updates, args.set, args.start_states, rounds=args.rounds, **overrides)}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    r = result
    print(f"{r['backend']}: {r['train_steps_per_s']:,.0f} training steps/s, env alone {r['env_steps_per_s']:,.0f} "
          f"at {r['num_envs']} envs (first update after {r['time_to_first_update_s']:.1f} s, {r['device']['device_kind']})")
    if r["raw_rollout_steps_per_s"] is not None:
        print(f"raw mujoco.rollout {r['raw_rollout_steps_per_s']:,.0f} env steps/s: training keeps "
              f"{r['train_to_raw']:.2f} of it, the env {r['env_to_raw']:.2f}")
    return 0


def _train_config(args):
    from dexvip_jax import config
    from dexvip_jax.envs.grasp import NOISE, default_backend

    if args.resume:
        if args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
            raise ConfigError("--resume DIR continues the run in DIR; drop --out or make it the same directory")
        saved = os.path.join(args.resume, "config.json")
        if not os.path.exists(saved):
            raise ConfigError(f"nothing to resume in {args.resume}: no config.json there")
        with open(saved) as f:
            cfg = config.from_dict(json.load(f))
        if args.method and args.method != cfg.method:
            raise ConfigError(f"the run in {args.resume} trains method {cfg.method!r}; drop --method to resume it")
    else:
        preset = args.preset or ("cpu" if default_backend() == "mujoco" else "gpu")
        cfg = config.build(preset, method=args.method)
    flags = {"env.objects": args.objects, "total_steps": args.total_steps, "num_envs": args.num_envs,
             "env.backend": args.backend, "seed": args.seed, "env.obs": args.obs, "dapg.demos": args.demos}
    if args.noise:
        flags.update({"env." + k: v for k, v in NOISE.items()})
    for key, value in flags.items():
        if value is not None:
            cfg = config.override(cfg, key, value)
    cfg = config.apply_sets(cfg, args.set)
    if args.demos and cfg.method != "dapg":
        raise ConfigError(f"--demos is DAPG's; add --method dapg or drop --demos (the method is {cfg.method!r})")
    return config.validate(cfg)


def cmd_train(args) -> int:
    from dexvip_jax import training

    cfg = _train_config(args)
    out = args.resume or args.out or os.path.join("runs", f"grasp-{cfg.env.backend}-seed{cfg.seed}")
    summary = training.train(cfg, out, resume=bool(args.resume), progress=not args.json)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        final = dict(summary["final"])
        success = final.pop("eval/success", None)
        head = "" if success is None else f"evaluation success {100 * success:.1f}% (held for the last 50 steps); "
        print(f"trained {summary['env_steps']:,} env steps in {summary['wall_s']:.0f} s "
              f"({summary['steps_per_s_median'] or 0:,.0f} steps/s); {head}"
              + ", ".join(f"{k} {v:.3f}" for k, v in final.items()))
        for name, path in summary["files"].items():
            print(f"  {name:13s} {path}")
    return 0


def cmd_prior_build(args) -> int:
    from dexvip_jax.envs import objects as zoo
    from dexvip_jax.prior import build, readers

    name = zoo.get(args.object).name
    extra = {}
    if args.input.startswith("mocap:"):
        from dexvip_jax.prior import mocap

        poses, extra = mocap.read(args.input, name)
        source = args.input
    elif os.path.isdir(args.input):
        poses, source = readers.read_images(args.input, args.model, left=args.left), os.path.abspath(args.input)
    else:
        poses, source = readers.read_keypoints(args.input, left=args.left), os.path.abspath(args.input)
    prior = {**build.build_prior(poses, name, k=args.k, method=args.retarget, source=source), **extra}
    out = build.save(prior, args.out or os.path.join("priors", f"{name}.json"))
    if args.json:
        print(json.dumps(prior, indent=1))
    else:
        _print_prior(prior)
        print(f"wrote {os.path.abspath(out)}; train with it: --set env.prior_files={os.path.abspath(out)}")
    return 0


def cmd_prior_landmarker(args) -> int:
    from dexvip_jax.prior import landmarker

    out = args.out or landmarker.default_path()
    sha = landmarker.build(out, args.wheel)
    if args.json:
        print(json.dumps({"model": os.path.abspath(out), "sha256": sha}))
    else:
        print(f"wrote {os.path.abspath(out)} (sha256 {sha}) from {landmarker.WHEEL}'s hand networks")
    return 0


def _print_prior(p: dict) -> None:
    from dexvip_jax.envs import scene

    err = p.get("fingertip_error_m")
    tail = f", fingertip error mean {1000 * sum(err) / len(err):.1f} mm" if err else ""
    kind = "synthetic" if p.get("synthetic") else p.get("source", "")
    print(f"{p['object']} [{kind}]: {p['num_poses']} poses, k={p['k']} clusters {p['cluster_sizes']}, consensus pose "
          f"#{p['consensus_index']}, retargeted by {p['retarget_method']}{tail}")
    joints = ", ".join(f"{n} {v:+.2f}" for n, v in zip(scene.JOINTS, p["target_joints"]) if not n.startswith("AR"))
    print(f"  target: {joints}")


def cmd_prior_show(args) -> int:
    from dexvip_jax import targets
    from dexvip_jax.envs import objects as zoo

    priors = targets.read(args.file, args.file) if args.file else targets.shipped(args.source)
    names = [zoo.get(args.object).name] if args.object else list(priors)
    missing = [n for n in names if n not in priors]
    if missing:
        raise ConfigError(f"no prior for {missing[0]!r} here; build one with `dexvip prior build --object {missing[0]}`")
    if args.sheet:
        from dexvip_jax.prior.figure import prior_sheet

        prior_sheet({n: priors[n] for n in names}, args.sheet)
    if args.json:
        print(json.dumps({n: priors[n] for n in names}, indent=1))
        return 0
    for n in names:
        _print_prior(priors[n])
    if args.sheet:
        print(f"wrote {os.path.abspath(args.sheet)}")
    return 0


def cmd_eval(args) -> int:
    from dexvip_jax.evaluate import evaluate_checkpoint
    from dexvip_jax.files import write_json_atomic, write_text_atomic

    result = evaluate_checkpoint(args.checkpoint, args.episodes, args.objects, args.force, args.noise)
    episodes = result.pop("episodes")
    if args.out:
        write_json_atomic(os.path.join(args.out, "eval.json"), result)
        write_text_atomic(os.path.join(args.out, "eval.md"), result["markdown"] + "\n")
        write_text_atomic(os.path.join(args.out, "episodes.jsonl"), "".join(json.dumps(r) + "\n" for r in episodes))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{args.checkpoint}: {result['env_steps']:,} training steps, {args.episodes} episodes per object, "
              f"force {args.force} N" + (", with noise" if args.noise else ""))
        print(result["markdown"])
    return 0


def cmd_paper(args) -> int:
    from dexvip_jax.experiments import paper

    plan_args = {"quick": args.quick, "seeds": args.seeds, "total_steps": args.total_steps, "backend": args.backend,
                 "demos": args.demos, "methods": args.methods, "episodes": args.episodes,
                 "start_states": args.start_states, "assist": args.assist, "objects": args.objects,
                 "overrides": tuple(args.set), "evals": args.evals}
    if args.dry_run:
        print(json.dumps(paper.dry_run(args.steps_per_s, **plan_args), indent=1))
        return 0
    if args.steps_per_s:
        raise ConfigError("--steps-per-s goes with --dry-run (the expected time of a plan); add --dry-run")
    if args.resume:
        given = [f for f in ("quick", "seeds", "total_steps", "backend", "demos", "demo_budget", "episodes",
                             "start_states", "objects", "set", "evals") if getattr(args, f) not in (None, False, [])]
        if given or args.methods != COMPARED or args.assist != "none":
            raise ConfigError(f"--resume DIR continues the run with the flags it was started with; drop "
                              f"--{(given or ['methods/--assist'])[0].replace('_', '-')}")
        if args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
            raise ConfigError("--resume DIR continues the run in DIR; drop --out or make it the same directory")
        out = args.resume
        report = paper.resume(out, progress=not args.json)
    else:
        out = args.out or os.path.join("runs", "paper-quick" if args.quick else "paper")
        report = paper.run(out, progress=not args.json, demo_budgets=args.demo_budget, **plan_args)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(paper.markdown(report))
        print(f"wrote {os.path.abspath(out)}: paper.md, paper.json, fig5.png, curves.png, runs/ "
              f"({report['wall_s'] / 60:.1f} min)")
    return 0


def cmd_oracle(args) -> int:
    from dexvip_jax import oracle
    from dexvip_jax.envs.grasp import GraspConfig, default_backend

    env_cfg = GraspConfig.make(objects=args.objects or "all", backend=args.backend or default_backend())
    report = oracle.oracle(env_cfg, args.episodes, args.force, args.out, args.grasp)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"scripted {args.grasp} grasp-and-lift, {args.episodes} episodes per object, {report['backend']} backend, "
          f"force {args.force} N")
    print(report["markdown"])
    if args.out:
        print(f"wrote {os.path.abspath(args.out)}: oracle.json, oracle.md, episodes.jsonl, demos.npz "
              f"(demonstrations, success {100 * report['demo_success']:.1f}%)")
    return 0


def cmd_render(args) -> int:
    if args.demos:
        from dexvip_jax.oracle import render_demo

        n = render_demo(args.demos, args.object, args.out, args.yaw)
    else:
        from dexvip_jax.evaluate import render_policy

        n = render_policy(args.checkpoint, args.object, args.out, args.yaw)
    print(f"wrote {os.path.abspath(args.out)} ({n} frames)")
    return 0


def _train_flags(t) -> None:
    """Flags that train and sweep share."""
    t.add_argument("--preset", choices=("cpu", "gpu"), help="default: gpu with a GPU visible, else cpu")
    t.add_argument("--method", choices=tuple(METHODS), help="reward preset (default: dexvip)")
    t.add_argument("--objects", help="comma-separated names, 'all', 'contactdb16' or 'extra11'")
    t.add_argument("--total-steps", type=_positive)
    t.add_argument("--num-envs", type=_positive)
    t.add_argument("--backend", choices=("mjx", "mujoco"))
    t.add_argument("--obs", choices=("state", "pixels"),
                   help="pixels: add the egocentric RGB-D + affordance image (default: state)")
    t.add_argument("--noise", action="store_true", help="train with the paper's observation and action noise")
    t.add_argument("--seed", type=int)
    t.add_argument("--demos", metavar="NPZ", help="--method dapg: a `dexvip oracle` demos.npz (default: the oracle "
                   "records 25 per object into the run directory)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config field, e.g. --set ppo.learning_rate=1e-4 (repeatable)")
    t.add_argument("--out", help="output directory (default under runs/)")
    t.add_argument("--json", action="store_true", help="print the summary as JSON (no progress bar)")


def cmd_sweep(args) -> int:
    from dexvip_jax import sweep

    cfg = _train_config(args)
    grid = sweep.parse_grid(args.grid)
    if args.continue_dir and args.out and os.path.abspath(args.out) != os.path.abspath(args.continue_dir):
        raise ConfigError("--resume DIR continues the sweep in DIR; drop --out or make it the same directory")
    out = args.continue_dir or args.out or os.path.join("runs", f"sweep-{cfg.method}-{cfg.env.backend}")
    summary = sweep.sweep(cfg, grid, args.seeds, out, progress=not args.json, resume=bool(args.continue_dir))
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"{summary['num_configs']} configurations, one program ({summary['compilations']} compilation), "
          f"{summary['wall_s']:.0f} s")
    for r in summary["configs"]:
        flag = f"  DIVERGED at update {r['diverged_at_update']}" if r["diverged"] else ""
        print(f"  {r['id']:28s} eval return {r['eval/episode_return']:8.3f}{flag}")
    print(f"  summary       {os.path.join(os.path.abspath(out), 'summary.json')}")
    print(f"  comparison    {os.path.join(os.path.abspath(out), 'comparison.png')}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dexvip", description="DexVIP dexterous grasping on JAX + MuJoCo MJX")
    sub = p.add_subparsers(dest="command", required=True)

    o = sub.add_parser("objects", help="list the object zoo")
    o.add_argument("--json", action="store_true", help="print JSON")
    o.add_argument("--sheet", metavar="PNG", help="also render a contact sheet of all objects (offscreen MuJoCo)")
    o.add_argument("--camera-sheet", metavar="PNG", help="also save egocentric camera frames (RGB, depth, affordance)")
    o.set_defaults(func=cmd_objects)

    t = sub.add_parser("train", help="train a grasping policy with PPO")
    _train_flags(t)
    t.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its latest checkpoint")
    t.set_defaults(func=cmd_train)

    sw = sub.add_parser("sweep", help="train every reward-weight/seed combination in one compiled program")
    _train_flags(sw)
    sw.add_argument("--grid", action="append", default=[], metavar="reward.TERM=V1,V2",
                    help="weights to sweep, e.g. --grid reward.pose=0,0.5,1 (repeatable: the product)")
    sw.add_argument("--seeds", type=_positive, default=1, help="seeds per grid point (from --seed on)")
    sw.add_argument("--resume", dest="continue_dir", metavar="DIR",
                    help="continue the interrupted sweep in DIR from its runs' newest common checkpoint (same flags)")
    sw.set_defaults(func=cmd_sweep, resume=None)

    ev = sub.add_parser("eval", help="success, stability, functionality and posture of a trained policy")
    ev.add_argument("--checkpoint", required=True, metavar="DIR", help="a dexvip train --out directory")
    ev.add_argument("--episodes", type=_positive, default=100, help="per object, yaw evenly spaced over 180 degrees")
    ev.add_argument("--objects", help="default: the objects the run trained on")
    ev.add_argument("--force", type=_newtons, default=1.0, metavar="NEWTONS", help="stability-test force (paper: 1 N)")
    ev.add_argument("--noise", action="store_true", help="test under the paper's observation and action noise")
    ev.add_argument("--out", help="write eval.json, eval.md and episodes.jsonl (one record per episode) here")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_eval)

    pp = sub.add_parser("paper", help="all methods x seeds in one sweep, evaluated: Fig. 5, curves, ablation")
    pp.add_argument("--quick", action="store_true",
                    help="CPU size: the cpu preset (4 objects, 2M steps per run), 3 seeds; ~20 min per method on 2 cores")
    pp.add_argument("--methods", type=_methods, default=COMPARED, metavar="M,M,...",
                    help=f"methods to train (default all: {','.join(COMPARED)})")
    pp.add_argument("--episodes", type=_positive, help="evaluation episodes per object (quick 25, full 100)")
    pp.add_argument("--out", help="output directory (default runs/paper[-quick])")
    pp.add_argument("--seeds", type=_positive, help="seeds per method (default 3)")
    pp.add_argument("--total-steps", type=_positive, help="env steps per run")
    pp.add_argument("--backend", choices=("mjx", "mujoco"))
    pp.add_argument("--demos", metavar="NPZ", help="DAPG's demonstrations (default: the oracle records them)")
    pp.add_argument("--assist", choices=("none", "starts"), default="none",
                    help="none: the paper's protocol (default); starts: half of every method's training episodes "
                         "start from the oracle's states, reported as its own protocol")
    pp.add_argument("--start-states", metavar="NPZ",
                    help="with --assist starts: the starts (a `dexvip oracle` demos.npz; default: the oracle records them)")
    pp.add_argument("--demo-budget", type=_budgets, metavar="N,N,...",
                    help="demonstrations per object for DAPG's budget figure (default 0,5,25; 'none' skips it)")
    pp.add_argument("--objects", help="comma-separated names, 'all', 'contactdb16' or 'extra11' (default: the size's)")
    pp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config field for every method alike, as for train (repeatable)")
    pp.add_argument("--evals", type=_positive, help="evaluations over training, the last one final (quick 4, full 5)")
    pp.add_argument("--dry-run", action="store_true",
                    help="print the plan (runs, env steps, evaluations) as JSON and train nothing")
    pp.add_argument("--steps-per-s", type=_positive_float, metavar="S",
                    help="with --dry-run: measured training steps/s of all runs together, for the expected time")
    pp.add_argument("--resume", metavar="DIR",
                    help="continue an interrupted paper run in DIR (its own flags; finished parts are read back)")
    pp.add_argument("--json", action="store_true")
    pp.set_defaults(func=cmd_paper)

    orc = sub.add_parser("oracle", help="scripted grasp-and-lift (IK on the hand model): metrics and demonstrations")
    orc.add_argument("--objects", help="comma-separated names, 'all' (default), 'contactdb16' or 'extra11'")
    orc.add_argument("--episodes", type=_positive, default=10, help="per object, yaw evenly spaced over 180 degrees")
    orc.add_argument("--backend", choices=("mjx", "mujoco"), help="default: mjx with a GPU, mujoco on CPU")
    orc.add_argument("--force", type=_newtons, default=1.0, metavar="NEWTONS", help="stability-test force (paper: 1 N)")
    orc.add_argument("--grasp", choices=("pinch", "prior"), default="pinch",
                     help="pinch: fingertips (default); prior: the whole hand closing toward the object's consensus pose")
    orc.add_argument("--out", help="write oracle.json, oracle.md, episodes.jsonl and demos.npz here")
    orc.add_argument("--json", action="store_true")
    orc.set_defaults(func=cmd_oracle)

    rd = sub.add_parser("render", help="a GIF or MP4 of a trained policy (or an oracle demonstration) grasping "
                                       "one object (offscreen MuJoCo)")
    src = rd.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", metavar="DIR", help="a dexvip train --out directory")
    src.add_argument("--demos", metavar="NPZ", help="a dexvip oracle --out DIR/demos.npz: replay its demonstration")
    rd.add_argument("--object", required=True)
    rd.add_argument("--out", required=True, help="a .gif (for READMEs) or .mp4 (H.264) path")
    rd.add_argument("--yaw", type=float, default=90.0, help="object yaw in degrees")
    rd.set_defaults(func=cmd_render)

    pr = sub.add_parser("prior", help="build or show a hand-pose prior")
    psub = pr.add_subparsers(dest="what", required=True)
    pb = psub.add_parser("build", help="human poses -> k-medoids consensus -> Adroit target")
    pb.add_argument("--input", required=True, help="keypoints (.json/.npz), FrankMocap JSON, a folder of images, "
                    "or mocap:grab (GRAB motion capture from the installed myosuite)")
    pb.add_argument("--object", required=True)
    pb.add_argument("--out", help="prior JSON to write (default: priors/<object>.json)")
    pb.add_argument("--model", help="MediaPipe hand_landmarker.task for a folder of images "
                    "(default: the one `dexvip prior landmarker` built)")
    pb.add_argument("--k", type=_positive, help="clusters (default: chosen by silhouette)")
    pb.add_argument("--retarget", choices=("ik", "angles"), default="ik")
    pb.add_argument("--left", choices=("mirror", "drop"), default="mirror", help="what to do with left hands")
    pb.add_argument("--json", action="store_true")
    pb.set_defaults(func=cmd_prior_build)
    pl = psub.add_parser("landmarker", help="build MediaPipe's hand_landmarker.task from the mediapipe 0.10.14 wheel (set-up)")
    pl.add_argument("--out", help="where to write it (default: the path `prior build` reads, "
                    "$DEXVIP_HAND_MODEL or ~/.cache/dexvip-jax/hand_landmarker.task)")
    pl.add_argument("--wheel", help="a downloaded mediapipe-0.10.14 wheel (default: pip fetches it)")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_prior_landmarker)
    ps = psub.add_parser("show", help="print the shipped priors or a prior file")
    ps.add_argument("--object")
    ps.add_argument("--file", help="a prior JSON from `dexvip prior build` (default: the shipped priors)")
    ps.add_argument("--source", choices=("mocap", "synthetic"), default="mocap",
                    help="shipped priors: mocap where GRAB covers the object, synthetic elsewhere (default), or synthetic only")
    ps.add_argument("--sheet", metavar="PNG", help="also draw each consensus pose beside its Adroit pose")
    ps.add_argument("--json", action="store_true")
    ps.set_defaults(func=cmd_prior_show)

    b = sub.add_parser("bench", help="benchmarks")
    bsub = b.add_subparsers(dest="what", required=True)
    be = bsub.add_parser("env", help="env-only steps/s and compile time")
    be.add_argument("--backend", choices=("mjx", "mujoco"), help="default: mjx with a GPU, mujoco on CPU")
    be.add_argument("--num-envs", type=_positive, default=64)
    be.add_argument("--steps", type=_positive, default=100, help="control steps per env, timed")
    be.add_argument("--objects", default="all")
    be.add_argument("--obs", choices=("state", "pixels"), default="state")
    be.add_argument("--image-size", type=_positive, default=64, help="pixels per side with --obs pixels")
    be.add_argument("--nthread", type=int, default=0, help="MuJoCo C threads (0: all cores)")
    be.add_argument("--no-reference", dest="reference", action="store_false",
                    help="skip the MuJoCo C reference figures")
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench_env)
    bt = bsub.add_parser("train", help="training steps/s (env + PPO update) beside the env alone and the raw rollout")
    bt.add_argument("--preset", choices=("cpu", "gpu"), default="cpu", help="the settings timed (default: cpu)")
    bt.add_argument("--backend", choices=("mjx", "mujoco"), help="default: the preset's")
    bt.add_argument("--num-envs", type=_positive, help="default: the preset's")
    bt.add_argument("--unroll-length", type=_positive, help="default: the preset's")
    bt.add_argument("--updates", type=_positive, default=10, help="timed updates after the first, per round")
    bt.add_argument("--rounds", type=_positive, default=3, help="train, env alone and raw rollout timed in turn this often (medians)")
    bt.add_argument("--objects", help="default: the preset's")
    bt.add_argument("--obs", choices=("state", "pixels"))
    bt.add_argument("--image-size", type=_positive, help="pixels per side with --obs pixels")
    bt.add_argument("--start-states", default="", metavar="NPZ",
                    help="a `dexvip oracle` demos.npz for the preset's demonstration starts (default: record them first)")
    bt.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any config field, as for train")
    bt.add_argument("--json", action="store_true")
    bt.set_defaults(func=cmd_bench_train)
    return p


def draws_with_gl(args) -> bool:
    """Whether the command renders with OpenGL (the rest never load a GL platform)."""
    return args.command == "render" or bool(getattr(args, "sheet", None))


def _check_outputs(args) -> None:
    """Every path the command will write, checked before any work (``files.check_writable``)."""
    from dexvip_jax.files import check_writable

    if args.command in ("train", "sweep", "paper", "oracle", "eval") and getattr(args, "out", None):
        check_writable(args.out, "directory")
    if args.command == "train" and args.resume:
        check_writable(args.resume, "directory")
    for name in ("sheet", "camera_sheet") + (("out",) if args.command in ("render", "prior") else ()):
        if getattr(args, name, None):
            check_writable(getattr(args, name), "file")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_outputs(args)
        if draws_with_gl(args):
            from dexvip_jax.envs import render

            if args.command == "render":
                render.check_video_path(args.out)
            render.select_gl()  # before MuJoCo loads
        _import_mujoco()
        enable_compilation_cache()
        # Orbax logs each failed write with its traceback through absl before raising it; the
        # error itself still reaches the handlers below (or the user), once.
        logging.getLogger("absl").setLevel(logging.CRITICAL)
        return args.func(args)
    except ConfigError as e:
        print(f"dexvip: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001  (Orbax, numpy and open() each report a full disk their own way)
        from dexvip_jax.files import disk_full

        if not disk_full(e):
            raise
        where = getattr(args, "out", None) or getattr(args, "resume", None) or getattr(e, "filename", None) or "its output"
        resume = " (a run resumes from its last whole checkpoint with --resume)" if args.command in ("train", "sweep") else ""
        print(f"dexvip: error: the disk filled up (or hit a size limit) writing {where}: free space there or pass "
              f"another --out{resume}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
