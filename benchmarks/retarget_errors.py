"""Retargeting accuracy: IK round trips on random feasible Adroit poses, and the shipped priors'
fingertip errors (human hand -> Adroit). Writes benchmarks/results/retarget_errors_<device>.json.

    python benchmarks/retarget_errors.py --poses 20
"""

import argparse
import os
import sys

import jax.numpy as jnp
import numpy as np

from dexvip_jax import bench, targets
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.files import write_result
from dexvip_jax.prior import retarget


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--poses", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    enable_compilation_cache(on_cpu=True)
    fk = retarget.AdroitHand()
    rng = np.random.default_rng(args.seed)
    lo, hi = np.asarray(fk.lo), np.asarray(fk.hi)
    idx = np.array(retarget.HAND_JOINTS)
    joint_err, tip_err = [], []
    for _ in range(args.poses):
        q = np.zeros(30, np.float32)
        q[idx] = lo[idx] + (hi[idx] - lo[idx]) * rng.uniform(0.1, 0.7, len(idx))
        for j0, j1 in retarget.COUPLED:
            q[j0] = min(q[j1] * 0.00805 / 0.00705, hi[j0])
        r = retarget.ik(np.asarray(fk.keypoints(jnp.asarray(q))))
        joint_err.append(np.abs(r["joints"][idx] - q[idx]))
        tip_err.append(r["tip_error_m"])
    joint_err, tip_err = np.array(joint_err), np.array(tip_err)
    shipped = {n: float(np.mean(pr["fingertip_error_m"])) for n, pr in targets.shipped("synthetic").items()}
    result = {
        "device": bench.device_info(), "round_trip_poses": args.poses,
        "round_trip_joint_error_rad": {"mean": float(joint_err.mean()), "p95": float(np.percentile(joint_err, 95)),
                                       "max": float(joint_err.max())},
        "round_trip_fingertip_error_m": {"mean": float(tip_err.mean()), "max": float(tip_err.max())},
        "shipped_prior_fingertip_error_m": {"mean": float(np.mean(list(shipped.values()))),
                                            "max_object_mean": max(shipped.values()), "per_object": shipped},
    }
    path = write_result(args.out, "retarget_errors", result)
    j, t, s = result["round_trip_joint_error_rad"], result["round_trip_fingertip_error_m"], result["shipped_prior_fingertip_error_m"]
    print(f"round trip ({args.poses} poses): joint error mean {j['mean']:.3f} rad, p95 {j['p95']:.3f}, max {j['max']:.3f}; "
          f"fingertips mean {1000 * t['mean']:.1f} mm, max {1000 * t['max']:.1f} mm")
    print(f"shipped priors: fingertip error mean {1000 * s['mean']:.1f} mm (worst object {1000 * s['max_object_mean']:.1f} mm)")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
