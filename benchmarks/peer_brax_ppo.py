"""The yardstick: Brax's own PPO and this project's trainer on this env, same budget, same machine.

    python benchmarks/peer_brax_ppo.py [--steps 2000000] [--episodes 50] [--name NAME]

Both train the cpu preset's env (4 objects, MuJoCo C, DexVIP's reward, the preset's demonstration
starts, recorded once and shared) for ``--steps`` env steps with the preset's PPO settings, read
from ``config.build("cpu")`` for both (today 64 envs x 32-step unrolls, 2 epochs of 4 minibatches,
lr 1e-4, gamma 0.99, GAE 0.95, clip 0.2, grad norm 0.5, entropy 0.001, 256-256 tanh MLPs), a
Gaussian policy with a learned log-std, and normalised observations. Brax trains through ``wrappers.wrap_for_brax``
(fresh resets; Brax's own wrapper replays each env's first state). Then the project's evaluator
(``evaluate.make_evaluator``: held for the last 50 of 200 steps, then the 1 N force test) scores
both policies on the same ``--episodes`` per object. What Brax's PPO cannot express is listed in
the JSON (``differences``). Writes benchmarks/results/peer_brax_ppo_<device>.json.
"""

import argparse
import dataclasses
import functools
import json
import math
import os
import shutil
import sys
import time

import flax.linen as nn
import jax

from dexvip_jax import bench, config, envs, training
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs.wrappers import wrap_for_brax
from dexvip_jax.evaluate import evaluate_checkpoint, make_evaluator, markdown, summarize
from dexvip_jax.files import write_result

from brax.training.agents.ppo import networks as brax_networks  # noqa: E402  (after dexvip_jax: quiet MJX)
from brax.training.agents.ppo import train as brax_ppo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DIFFERENCES = [
    "policy: both an unsquashed Gaussian with one learned log-std per action starting at std 0.37 "
    "(Brax's distribution_type='normal', noise_std_type='log'); Brax initialises its layers "
    "lecun-uniform, ours orthogonal (sqrt 2, the mean head 0.01)",
    "critic: Brax's value net reads one observation key ('motor'); ours also reads the privileged "
    "critic-only inputs (object height, velocity, palm-to-object, contact flags)",
    "reward scaling: ours divides rewards by the running std of discounted returns; Brax multiplies "
    "by a constant (1 here)",
    "learning rate: ours decays linearly to 0 over the run (the preset's ppo.lr_decay); Brax's "
    "schedules are none or adaptive-KL (none here)",
    "gravity curriculum: ours lightens the object to 25% of its weight, rising to 100% by 1.2M "
    "steps; Brax cannot set the env's gravity share, so its object weighs 100% throughout",
    "value clipping: off in both (the preset's ppo.clip_value=false; Brax clips the policy only)",
    "timeouts: ours bootstraps a time-limit end from the critic's value of the episode's last "
    "observation; Brax's bootstrap_on_timeout adds gamma x the value of the observation the last "
    "action was taken in",
]


def brax_run(cfg, steps: int, episodes: int, seed: int) -> dict:
    env = envs.load("grasp", **dataclasses.asdict(cfg.env))
    p = cfg.ppo
    network = functools.partial(brax_networks.make_ppo_networks, policy_hidden_layer_sizes=tuple(p.hidden),
                                value_hidden_layer_sizes=tuple(p.hidden), activation=nn.tanh,
                                policy_obs_key="motor", value_obs_key="motor", distribution_type="normal",
                                noise_std_type="log", init_noise_std=float(math.exp(p.init_log_std)),
                                state_dependent_std=False)
    progress = []
    t0 = time.perf_counter()
    make_policy, params, _ = brax_ppo.train(
        environment=env, num_timesteps=steps, episode_length=cfg.env.episode_length, num_envs=cfg.num_envs,
        batch_size=cfg.num_envs // p.num_minibatches, num_minibatches=p.num_minibatches,
        unroll_length=cfg.unroll_length, num_updates_per_batch=p.epochs, learning_rate=p.learning_rate,
        entropy_cost=p.entropy_coef, discounting=p.gamma, gae_lambda=p.gae_lambda, clipping_epsilon=p.clip,
        max_grad_norm=p.max_grad_norm, normalize_observations=True, reward_scaling=1.0,
        bootstrap_on_timeout=True, vf_loss_coefficient=p.value_coef, normalize_advantage=p.normalize_advantages,
        num_evals=2, num_eval_envs=16, seed=seed, network_factory=network, wrap_env_fn=wrap_for_brax,
        progress_fn=lambda step, m: progress.append({"step": int(step), **{k: float(v) for k, v in m.items()
                                                                            if k.startswith("training/")}}))
    wall = time.perf_counter() - t0
    eval_env = envs.load("grasp", **dataclasses.asdict(dataclasses.replace(cfg.env, demo_start=0.0)))
    key = jax.random.PRNGKey(0)
    act = lambda prm, _stats, obs, _t: make_policy(prm, deterministic=True)(obs, key)[0]  # noqa: E731
    run, objs = make_evaluator(eval_env, act, episodes, 1.0, eval_env.config.aff_threshold)
    per, _ = jax.device_get(run(params, None))
    table = summarize(per, objs, eval_env.config.objects)
    final = progress[-1]
    return {"trainer": "brax.training.agents.ppo", "env_steps": final["step"],
            "train_steps_per_s": final.get("training/sps"), "training_walltime_s": final.get("training/walltime"),
            "wall_s": wall, "objects": table, "markdown": markdown(table, eval_env.config.objects)}


def ours_run(cfg, episodes: int) -> dict:
    run_dir = os.path.join(ROOT, "runs", "peer-ours")
    shutil.rmtree(run_dir, ignore_errors=True)
    t0 = time.perf_counter()
    summary = training.train(cfg, run_dir)
    wall = time.perf_counter() - t0
    final = evaluate_checkpoint(run_dir, episodes)
    return {"trainer": "dexvip_jax.ppo", "env_steps": summary["env_steps"],
            "train_steps_per_s": summary["steps_per_s_median"], "wall_s": wall,
            "objects": final["objects"], "markdown": final["markdown"]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=2_000_000)
    p.add_argument("--episodes", type=int, default=50, help="evaluation episodes per object")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="")
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    run_root = os.path.join(ROOT, "runs", "peer-brax")
    os.makedirs(run_root, exist_ok=True)
    cfg = config.build("cpu", total_steps=args.steps, seed=args.seed)
    cfg = training.record_start_states(cfg, run_root)  # one set of starts for both trainers
    rows = [brax_run(cfg, args.steps, args.episodes, args.seed), ours_run(cfg, args.episodes)]
    for r in rows:
        print(f"{r['trainer']}: {r['env_steps']:,} env steps, {r['train_steps_per_s'] or 0:,.0f} steps/s, "
              f"success {r['objects']['overall']['success']:.1f}%\n{r['markdown']}")
    out = write_result(os.path.join(ROOT, "benchmarks", "results"), "peer_brax_ppo" + (f"_{args.name}" if args.name else ""),
                       {"device": bench.device_info(), "steps": args.steps, "episodes_per_object": args.episodes,
                        "seed": args.seed, "config": config.to_dict(cfg), "differences": DIFFERENCES, "results": rows})
    print(f"wrote {out}")
    print(json.dumps({r["trainer"]: r["objects"]["overall"] for r in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
