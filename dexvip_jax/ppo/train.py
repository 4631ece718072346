"""``make_train(config, env)``: static setup outside, one jitted PPO update inside.

``Trainer.init(rng)`` builds the whole ``TrainingState`` (params, optimizer state, normaliser
statistics, return-scaling state, env state, RNG, counters): everything a resumed run needs to
continue as if never stopped. ``Trainer.update(state)`` is one jitted iteration — a ``lax.scan``
unroll of the auto-resetting batched env, GAE, and minibatch SGD epochs — so the Python loop only
logs, evaluates and checkpoints. ``update`` is ``collect`` (the unroll) then ``learn`` (GAE and
SGD on what was collected), exposed apart so each can be timed and overlapped. Every input is a
traced argument, so later callers can ``vmap`` ``update`` over seeds or reward weights.

The core knows no baseline: a loss term on demonstrations (DAPG's, ``dapg.demo_term``) is handed
in as a ``DemoTerm``, the way Brax hands in network factories. Demonstrations are a dict of motor
observations ``obs`` (N, M) and actions ``action`` (N, A).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable, NamedTuple

import flax.struct
import jax
import jax.numpy as jnp
import optax

from dexvip_jax import quiet

quiet.mjx()  # Brax imports MJX: drop its missing-warp notice first
from brax.envs.base import Env  # noqa: E402

from dexvip_jax.config import PPOConfig
from dexvip_jax.envs.wrappers import wrap_for_training
from dexvip_jax.ppo.losses import gae, ppo_loss
from dexvip_jax.ppo.networks import ActorCritic, default_conv_impl, gaussian_log_prob
from dexvip_jax.ppo.normalize import RunningStats
from dexvip_jax.rewards import HOLD_STEPS


@flax.struct.dataclass
class TrainingState:
    params: Any
    opt_state: Any
    obs_stats: dict[str, RunningStats]
    ret_stats: RunningStats
    ret_acc: jax.Array  # per-env running discounted return, for reward scaling
    env_state: Any
    rng: jax.Array
    env_steps: jax.Array
    updates: jax.Array
    demo_weight: jax.Array  # DAPG's lambda0 (0: no demonstration term)
    gravity: jax.Array  # the curriculum's share of the object's weight for the next unroll
    pending: Any = None  # ``ppo.policy_lag``: the batch collected and not yet learned from (``lag.py``)


class Trainer(NamedTuple):
    init: Callable[..., TrainingState]  # (rng, reward_weights=None, demo_weight=0.0)
    update: Callable[..., tuple[TrainingState, dict]]  # (state, demos=None)
    clone: Callable[..., tuple[TrainingState, dict]]  # (state, demos, use=True): DAPG's warm start
    evaluate: Callable[[TrainingState, jax.Array], dict]
    act: Callable  # (params, obs_stats, obs, rng | None) -> action; None: deterministic
    network: ActorCritic
    collect: Callable[..., tuple[TrainingState, dict]]  # (state) -> (state, trajectory): update's unroll
    learn: Callable[..., tuple[TrainingState, dict]]  # (state, trajectory, demos=None): update's SGD


def as_dict(obs) -> dict[str, jax.Array]:
    """Peer envs observe a flat array; ours a dict. The network reads ``"motor"``."""
    return obs if isinstance(obs, dict) else {"motor": obs}


def finite_rows(obs: dict) -> jax.Array:
    """(num_envs,) whether every float of each env's observation is finite."""
    rows = [jnp.isfinite(x).reshape(x.shape[0], -1).all(axis=1) for x in obs.values()
            if jnp.issubdtype(x.dtype, jnp.floating)]
    return functools.reduce(jnp.logical_and, rows)


def zero_nonfinite(obs: dict) -> dict:
    """The observation with each non-finite float set to 0 (what the networks read instead)."""
    return {k: jnp.where(jnp.isfinite(x), x, 0.0) if jnp.issubdtype(x.dtype, jnp.floating) else x
            for k, x in obs.items()}


@dataclasses.dataclass(frozen=True)
class Settings:
    """What ``make_train`` needs, from a TrainConfig or set by hand for a peer env."""

    ppo: PPOConfig
    num_envs: int
    unroll_length: int
    episode_length: int
    eval_envs: int = 16
    gravity_start: float = 1.0  # the object's share of its weight at the start of training
    gravity_ramp_steps: int = 0  # env steps to full weight (0: no curriculum)
    gravity_curriculum: str = "steps"  # "steps": linear in env steps; "held": follows the held share
    gravity_held_share: float = 0.05  # "held": the share of env steps held that lets the weight rise
    total_steps: int = 0  # the run's env steps: ``ppo.lr_decay`` brings the learning rate to 0 there


def settings_from(config) -> Settings:
    return Settings(config.ppo, config.num_envs, config.unroll_length, config.env.episode_length, config.eval_envs,
                    gravity_start=config.gravity_start, gravity_ramp_steps=config.gravity_ramp_steps,
                    gravity_curriculum=config.gravity_curriculum, gravity_held_share=config.gravity_held_share,
                    total_steps=config.total_steps)


def with_gravity(state, settings: Settings, ts: "TrainingState"):
    """The curriculum's gravity share for this update (``curriculum_gravity``) in a batched env
    ``state`` (ours only: an env without ``info["gravity"]`` always has full weight)."""
    if settings.gravity_ramp_steps <= 0 or "gravity" not in state.info:
        return state, jnp.ones(())
    g = curriculum_gravity(settings, ts.env_steps, ts.gravity)
    return state.replace(info={**state.info, "gravity": jnp.broadcast_to(g, (settings.num_envs,))}), g


def curriculum_gravity(settings: Settings, env_steps: jax.Array, gravity: jax.Array) -> jax.Array:
    """The share of its weight an object has in the next unroll: linear in ``env_steps`` ("steps"),
    or the state's own ``gravity`` that ``next_gravity`` moved ("held")."""
    if settings.gravity_curriculum == "held":
        return gravity
    g0 = settings.gravity_start
    return jnp.minimum(1.0, g0 + (1.0 - g0) * env_steps.astype(jnp.float32) / settings.gravity_ramp_steps)


def next_gravity(settings: Settings, gravity: jax.Array, held_share: jax.Array, batch: int) -> jax.Array:
    """"held": one update's step of the linear ramp up where ``held_share`` (the share of this
    update's env steps with the object held) reached ``gravity_held_share``, else one step down,
    within [gravity_start, 1]; "steps": ``gravity`` as it was (the ramp reads env steps)."""
    if settings.gravity_curriculum != "held" or settings.gravity_ramp_steps <= 0:
        return gravity
    g0 = settings.gravity_start
    step = (1.0 - g0) * batch / settings.gravity_ramp_steps
    return jnp.clip(gravity + jnp.where(held_share >= settings.gravity_held_share, step, -step), g0, 1.0)


def with_weights(state, weights: dict, n: int):
    """A batched env ``state`` of ``n`` envs rewarded with ``weights`` (term -> scalar), one copy per env."""
    per_env = {k: jnp.broadcast_to(jnp.asarray(v, jnp.float32), (n,)) for k, v in weights.items()}
    return state.replace(info={**state.info, "reward_weights": per_env})


class DemoTerm(NamedTuple):
    """A term of the actor's loss on demonstrations, and the warm start that goes with it."""

    weight: Callable  # (lambda0, env_steps) -> the term's weight at this update (traced)
    log_prob: Callable  # (params, apply_fn, normalize, obs_stats, demos, idx) -> mean log pi(a | s) over idx
    clone: Callable  # (params, apply_fn, normalize, obs_stats, demos, rng) -> (params, loss per step)


def _needs(term: DemoTerm | None) -> DemoTerm:
    if term is None:
        raise ValueError("demonstrations need a DemoTerm: make_train(settings, env, demo_term=dapg.demo_term(cfg.dapg))")
    return term


def make_train(settings: Settings, env: Env, demo_term: DemoTerm | None = None) -> Trainer:
    """The jitted PPO of ``settings`` on ``env``; ``demo_term``: the loss term that the
    ``demos`` given to ``update`` and ``clone`` feed (None: PPO alone)."""
    p = settings.ppo
    batched = wrap_for_training(env, settings.num_envs, settings.episode_length)
    size = env.observation_size
    obs_shapes = {k: tuple(v) for k, v in size.items()} if isinstance(size, dict) else {"motor": (size,)}
    network = ActorCritic(env.action_size, tuple(p.hidden), p.init_log_std, default_conv_impl())
    n_batch = settings.num_envs * settings.unroll_length
    lr = p.learning_rate
    if p.lr_decay and settings.total_steps > 0:  # in Adam steps: epochs x minibatches per update of n_batch
        lr = optax.linear_schedule(lr, 0.0, max(1, settings.total_steps * p.epochs * p.num_minibatches // n_batch))
    tx = optax.chain(optax.clip_by_global_norm(p.max_grad_norm), optax.adam(lr, eps=p.adam_eps))
    mb_size = n_batch // p.num_minibatches

    def normalize(stats, obs):
        obs = as_dict(obs)
        if not p.normalize_obs:
            return obs
        return {k: stats[k].normalize(v) if k in stats else v for k, v in obs.items()}

    def init(rng: jax.Array, reward_weights: dict | None = None, demo_weight=0.0) -> TrainingState:
        """``reward_weights``: term -> scalar, traced (vmap over it for a sweep); our env keeps them in
        ``info["reward_weights"]`` and weighs its terms with them on every step. ``demo_weight``:
        DAPG's lambda0, traced too (0 for the reward-only methods of a sweep)."""
        k_net, k_env, k_next = jax.random.split(rng, 3)
        dummy = {k: jnp.zeros(s) for k, s in obs_shapes.items()}
        params = network.init(k_net, dummy)
        env_state = batched.reset(k_env)
        if reward_weights is not None:
            if "reward_weights" not in env_state.info:
                raise ValueError("this env takes no reward weights; call init(rng) without them")
            env_state = with_weights(env_state, reward_weights, settings.num_envs)
        return TrainingState(
            params=params, opt_state=tx.init(params),
            obs_stats={k: RunningStats.create(s) for k, s in obs_shapes.items() if len(s) == 1},
            ret_stats=RunningStats.create(()), ret_acc=jnp.zeros(settings.num_envs),
            env_state=env_state, rng=k_next,
            env_steps=jnp.zeros((), jnp.int32), updates=jnp.zeros((), jnp.int32),
            demo_weight=jnp.asarray(demo_weight, jnp.float32),
            gravity=jnp.asarray(settings.gravity_start if settings.gravity_ramp_steps > 0 else 1.0, jnp.float32))

    def clone(ts: TrainingState, demos: dict, use=True) -> tuple[TrainingState, dict]:
        """DAPG's warm start: the observation statistics from the demonstrations, then behaviour
        cloning (``demo_term.clone``). ``use`` (traced) keeps ``ts`` as it was where False, so a
        sweep clones only its DAPG configurations."""
        term = _needs(demo_term)
        stats = ts.obs_stats
        if p.normalize_obs:
            stats = {**stats, "motor": stats["motor"].update(demos["obs"])}
        rng, key = jax.random.split(ts.rng)
        params, losses = term.clone(ts.params, network.apply, normalize, stats, demos, key)
        # As the released DAPG does: the policy's spread becomes the demonstrations' own, per action.
        log_std = jnp.log(demos["action"].std(axis=0) + 1e-3)
        params = {**params, "params": {**params["params"], "log_std": log_std}}
        new = ts.replace(params=params, obs_stats=stats, rng=rng)
        every = jnp.arange(demos["obs"].shape[0])
        nll = lambda t: -term.log_prob(t.params, network.apply, normalize, t.obs_stats, demos, every)  # noqa: E731
        out = jax.tree.map(lambda a, b: jnp.where(use, a, b), new, ts)
        return out, {"bc/mse_first": losses[0], "bc/mse_last": losses[-1], "bc/steps": losses.shape[0],
                     "bc/demo_nll_before": nll(ts), "bc/demo_nll_after": nll(out)}

    def act(params, obs_stats, obs, rng=None):
        mean, log_std, _ = network.apply(params, normalize(obs_stats, obs))
        if rng is None:
            return mean
        return mean + jnp.exp(log_std) * jax.random.normal(rng, mean.shape)

    def collect(ts: TrainingState) -> tuple[TrainingState, dict]:
        """The unroll: ``unroll_length`` steps of the batched env under the current policy. Returns
        the state with the env moved on (and its RNG) and the trajectory ``learn`` takes; the
        learning itself reads nothing else, so a caller may learn from one trajectory while it
        collects the next (``ppo/lag.py``)."""
        rng, k_unroll, k_sgd = jax.random.split(ts.rng, 3)
        value_of = lambda obs: network.apply(ts.params, obs, method=network.value)  # noqa: E731

        def env_step(state, key):
            # NaN guard: an env whose observation or reward is not finite (a sensor fault, a
            # diverged peer env) gives its networks zeros instead, its reward counts 0 and its
            # trace ends there; the normaliser takes its running mean for that row. On finite
            # data every guard is the identity.
            raw = as_dict(state.obs)
            obs_ok = finite_rows(raw)
            obs = normalize(ts.obs_stats, zero_nonfinite(raw))
            mean, log_std, value = network.apply(ts.params, obs)
            action = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
            nxt = batched.step(state, action)
            ok = obs_ok & jnp.isfinite(nxt.reward)
            done = jnp.maximum(nxt.done, 1.0 - ok)
            # Where an episode ended, the value of its last observation (a time limit's bootstrap)
            # is taken now, by the critic alone and only on steps where one ended: elsewhere the
            # next step's value is that of the next observation, computed on the next step anyway.
            terminal = lambda: value_of(normalize(ts.obs_stats, zero_nonfinite(as_dict(nxt.info["terminal_obs"]))))  # noqa: E731
            terminal_value = jax.lax.cond(done.any(), terminal, lambda: jnp.zeros_like(value))
            trans = {"obs": obs, "raw_obs": {k: v for k, v in raw.items() if k in ts.obs_stats}, "obs_ok": obs_ok,
                     "action": action, "logp": gaussian_log_prob(action, mean, log_std), "value": value,
                     "reward": jnp.where(ok, nxt.reward, 0.0), "done": done,
                     "nonfinite": 1.0 - ok, "truncation": nxt.info["truncation"],
                     "terminal_value": terminal_value,
                     "terminal_return": nxt.info["terminal_return"], "metrics": nxt.metrics}
            return nxt, trans

        env_state, gravity = with_gravity(ts.env_state, settings, ts)
        env_state, traj = jax.lax.scan(env_step, env_state, jax.random.split(k_unroll, settings.unroll_length))
        last_value = value_of(normalize(ts.obs_stats, zero_nonfinite(as_dict(env_state.obs))))
        later = jnp.concatenate([traj["value"][1:], last_value[None]])
        terminal_value = traj.pop("terminal_value")
        traj = {**traj, "next_value": jnp.where(traj["done"] > 0, terminal_value, later), "sgd_key": k_sgd,
                "gravity": gravity}
        return ts.replace(env_state=env_state, rng=rng), traj

    def update(ts: TrainingState, demos: dict | None = None, exact_when_off: bool = True) -> tuple[TrainingState, dict]:
        """One PPO iteration: ``collect``, then ``learn`` from what it collected."""
        ts, traj = collect(ts)
        return learn(ts, traj, demos, exact_when_off)

    def learn(ts: TrainingState, traj: dict, demos: dict | None = None, exact_when_off: bool = True) -> tuple[TrainingState, dict]:
        """GAE and minibatch SGD epochs on one trajectory of ``collect``; with ``demos`` the actor
        loss also has ``demo_term``'s term, weighted ``demo_term.weight(ts.demo_weight, env_steps)``
        (DAPG's: lambda0 * lambda1^k, k = env steps / iteration_steps).

        ``exact_when_off`` (static): a zero demonstration weight runs plain PPO's whole minibatch
        step (gradient, clipping, Adam) in a ``lax.cond`` branch of its own, so it is PPO's bit for
        bit (a sum with 0 x the demo gradient, or one fused program, rounds differently). Under ``vmap`` (a sweep) a cond computes both branches,
        so the sweep passes False and its lanes differ from PPO in float32 rounding only."""
        k_sgd, gravity, next_values = traj["sgd_key"], traj["gravity"], traj["next_value"]

        def discounted(g, x):
            r, d = x
            g = g * p.gamma + r
            return g * (1.0 - d), g

        ret_acc, running = jax.lax.scan(discounted, ts.ret_acc, (traj["reward"], traj["done"]))
        ret_stats = ts.ret_stats.update(running)
        reward = traj["reward"] / jnp.sqrt(ret_stats.var + 1e-8) if p.scale_rewards else traj["reward"]
        termination = traj["done"] * (1.0 - traj["truncation"])
        advantage, target = gae(reward, traj["value"], next_values, termination, traj["done"], p.gamma, p.gae_lambda)

        batch = {"obs": traj["obs"], "action": traj["action"], "logp": traj["logp"], "value": traj["value"],
                 "advantage": advantage, "target": target}
        batch = jax.tree.map(lambda x: x.reshape((n_batch,) + x.shape[2:]), batch)
        w_demo = None if demos is None else _needs(demo_term).weight(ts.demo_weight, ts.env_steps)

        def ppo_objective(params, mb):
            return ppo_loss(params, network.apply, mb, p.clip, p.value_coef, p.entropy_coef,
                            p.clip_value, p.normalize_advantages)

        def demo_lp(params, demo_idx):
            return demo_term.log_prob(params, network.apply, normalize, ts.obs_stats, demos, demo_idx)

        def dapg_objective(params, mb, demo_idx):
            value, metrics = ppo_objective(params, mb)
            lp = demo_lp(params, demo_idx)
            return value - w_demo * lp, {**metrics, "loss/demo_log_prob": lp}

        ppo_grads, dapg_grads = jax.value_and_grad(ppo_objective, has_aux=True), jax.value_and_grad(dapg_objective, has_aux=True)

        def sgd_step(params, opt_state, mb, d_idx):
            """One minibatch: gradient, clipping, Adam."""
            def apply(grad_fn):
                (_, metrics), grads = grad_fn()
                updates, new_opt = tx.update(grads, opt_state, params)
                return (optax.apply_updates(params, updates), new_opt), metrics

            if demos is None:
                return apply(lambda: ppo_grads(params, mb))
            with_demos = lambda: apply(lambda: dapg_grads(params, mb, d_idx))  # noqa: E731
            if not exact_when_off:
                return with_demos()

            def plain():  # the whole step in a branch of its own: plain PPO's program, bit for bit
                (new, metrics) = apply(lambda: ppo_grads(params, mb))
                return new, {**metrics, "loss/demo_log_prob": demo_lp(params, d_idx)}

            return jax.lax.cond(w_demo == 0, plain, with_demos)

        demo_idx = None
        if demos is not None:  # a key of its own: the PPO minibatches are the same with or without demos
            demo_idx = jax.random.randint(jax.random.fold_in(k_sgd, 1), (p.epochs, p.num_minibatches, mb_size),
                                          0, demos["obs"].shape[0])

        def epoch(carry, xs):
            key, demo_idx = xs

            def minibatch(carry, xs):
                idx, d_idx = xs
                params, opt_state = carry
                mb = jax.tree.map(lambda x: x[idx], batch)
                return sgd_step(params, opt_state, mb, d_idx)

            perm = jax.random.permutation(key, n_batch).reshape(p.num_minibatches, mb_size)
            return jax.lax.scan(minibatch, carry, (perm, demo_idx))

        (params, opt_state), losses = jax.lax.scan(epoch, (ts.params, ts.opt_state),
                                                   (jax.random.split(k_sgd, p.epochs), demo_idx))
        def fold(stats, x, ok):  # non-finite rows count as the running mean (only when there are any)
            guarded = lambda: stats.update(jnp.where(ok.reshape(ok.shape + (1,) * (x.ndim - 2)), x, stats.mean))  # noqa: E731
            return jax.lax.cond(ok.all(), lambda: stats.update(x), guarded)

        obs_stats = ({k: fold(s, traj["raw_obs"][k], traj["obs_ok"]) for k, s in ts.obs_stats.items()}
                     if p.normalize_obs else ts.obs_stats)

        episodes = traj["done"].sum()
        metrics = {k: v.mean() for k, v in losses.items()}
        metrics.update({f"env/{k}": v.mean() for k, v in traj["metrics"].items()})
        metrics.update({
            "episodes": episodes,
            "nonfinite_inputs": traj["nonfinite"].sum(),  # env steps the NaN guard caught
            "episode_return": jnp.where(episodes > 0, (traj["terminal_return"] * traj["done"]).sum() / jnp.maximum(episodes, 1), jnp.nan),
            "reward_per_step": traj["reward"].mean(),
            "policy_std": jnp.exp(params["params"]["log_std"]).mean(),
            "curriculum/gravity": gravity,
        })
        if demos is not None:
            metrics["dapg/weight"] = w_demo
        if settings.gravity_curriculum == "held" and "held" not in traj["metrics"]:
            raise ValueError('gravity_curriculum="held" needs an env whose metrics hold "held"')
        held_share = traj["metrics"]["held"].mean() if "held" in traj["metrics"] else jnp.zeros(())
        new = ts.replace(params=params, opt_state=opt_state, obs_stats=obs_stats, ret_stats=ret_stats,
                         ret_acc=ret_acc, gravity=next_gravity(settings, gravity, held_share, n_batch),
                         env_steps=ts.env_steps + n_batch, updates=ts.updates + 1)
        return new, metrics

    def evaluate(ts: TrainingState, rng: jax.Array) -> dict:
        """Deterministic policy, ``eval_envs`` fresh episodes of ``episode_length`` steps, rewarded
        with the weights the run trains with."""
        reset = env.reset  # from the start pose: never a training-only demonstration start
        if "demo_start" in inspect.signature(env.reset).parameters:
            reset = functools.partial(env.reset, demo_start=False)
        state = jax.vmap(reset)(jax.random.split(rng, settings.eval_envs))
        if "reward_weights" in state.info:
            run_weights = {k: v[0] for k, v in ts.env_state.info["reward_weights"].items()}
            state = with_weights(state, run_weights, settings.eval_envs)

        def step(carry, _):
            state, ret, alive = carry
            nxt = jax.vmap(env.step)(state, act(ts.params, ts.obs_stats, state.obs))
            ret = ret + alive * nxt.reward
            held = nxt.metrics.get("held", jnp.zeros_like(nxt.reward)) * alive
            return (nxt, ret, alive * (1.0 - nxt.done)), (jax.tree.map(lambda m: (m * alive).mean(), nxt.metrics), held)

        zeros = jnp.zeros(settings.eval_envs)
        (final, ret, _), (metrics, held) = jax.lax.scan(step, (state, zeros, zeros + 1.0), None,
                                                        length=settings.episode_length)
        out = {"eval/episode_return": ret.mean(), **{f"eval/{k}": v.mean() for k, v in metrics.items()}}
        if "posture" in final.metrics:  # the paper's posture is the final pose's, not a mean over steps
            out["eval/posture"] = final.metrics["posture"].mean()
        if "held" in state.metrics:  # the paper's success: held for all of the last 50 steps
            out["eval/success"] = jnp.all(held[-HOLD_STEPS:] > 0, axis=0).mean()
        return out

    return Trainer(init=init, update=update, clone=clone, evaluate=evaluate, act=act, network=network,
                   collect=collect, learn=learn)
