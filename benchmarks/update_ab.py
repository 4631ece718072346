"""The cpu preset's update time under an earlier commit and under this tree, processes alternating.

    python benchmarks/update_ab.py --base 8c1d129 --start-states runs/peer-brax/starts/demos.npz [--pairs 2]

A change that should not move the update's speed much is timed against the commit before it on
the same machine, same settings, the two processes taking turns so that the machine's drift falls
on both. Each process times 4 rounds of 8 updates (64 envs) after a first one. The base commit is
checked out with ``git worktree`` into a temporary folder and imported through a package folder
laid out as pyproject.toml installs it. Writes benchmarks/results/update_ab_<device>.json.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from dexvip_jax import bench
from dexvip_jax.files import write_result

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING = """
import json, sys, time, dataclasses
import jax, numpy as np
import dexvip_jax
from dexvip_jax import config, envs
from dexvip_jax.ppo.train import make_train, settings_from
cfg = config.build("cpu", env__start_states=sys.argv[1])
tr = make_train(settings_from(cfg), envs.load("grasp", **dataclasses.asdict(cfg.env)))
state = jax.jit(tr.init)(jax.random.PRNGKey(0), cfg.reward.as_jax())
update = jax.jit(tr.update)
state, m = update(state); jax.block_until_ready(m)
rounds = []
for _ in range(4):
    t = time.perf_counter()
    for _ in range(8):
        state, m = update(state)
    jax.block_until_ready(m); rounds.append((time.perf_counter() - t) / 8)
print(json.dumps({"code": dexvip_jax.__file__, "update_ms": [1000 * r for r in rounds]}))
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="the earlier commit")
    p.add_argument("--start-states", required=True, help="a demos.npz both read (the cpu preset's starts)")
    p.add_argument("--pairs", type=int, default=2)
    args = p.parse_args()
    starts = os.path.abspath(args.start_states)
    with tempfile.TemporaryDirectory() as tmp:
        tree, pkg = os.path.join(tmp, "tree"), os.path.join(tmp, "pkg")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "-q", "--detach", tree, args.base], check=True)
        try:
            os.makedirs(pkg)
            subprocess.run(["cp", "-r", os.path.join(tree, "dexvip_jax"), pkg], check=True)
            for sub in ("envs", "experiments", "prior_data"):
                os.symlink(os.path.join(tree, sub), os.path.join(pkg, "dexvip_jax", sub))
            rows = []
            for _ in range(args.pairs):
                for label, env in (("base", {"PYTHONPATH": pkg}), ("this tree", {})):
                    out = subprocess.run([sys.executable, "-c", TIMING, starts], cwd=tmp, capture_output=True, text=True,
                                         env={**os.environ, **env}, check=True)
                    rows.append({"code": label, **json.loads(out.stdout.strip().splitlines()[-1])})
                    print(json.dumps(rows[-1]), file=sys.stderr)
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], check=False)
    path = write_result(os.path.join(ROOT, "benchmarks", "results"), "update_ab",
                        {"device": bench.device_info(), "base": args.base, "results": rows})
    print(f"wrote {path}")
    for r in rows:
        print(f"{r['code']:10s} update {sorted(r['update_ms'])[len(r['update_ms']) // 2]:7.0f} ms (median of 4 rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
