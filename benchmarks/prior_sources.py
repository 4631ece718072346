"""What real human data changes: per object, the mocap prior (GRAB grasps, ``prior/mocap.py``)
against the synthetic stand-in: finger-joint distance between their Adroit targets, each one's
retargeting fingertip error, and how many grasp frames and motions the mocap prior rests on.
With ``--photos`` (Debian's 8 real hand photos, ``prior/hand_photos.py``): each photo's detected
side against the true one, and its retargeting's finger flexion and fingertip error. Writes
``benchmarks/results/prior_sources_<device>.json`` and, with ``--sheet``, a PNG that sets each
object's mocap consensus pose beside its synthetic one.

    python benchmarks/prior_sources.py --photos [--sheet docs/prior_mocap_vs_synthetic.png]
"""

import argparse
import os
import sys
import tempfile

import numpy as np

from dexvip_jax.files import write_result


def photos(retarget) -> dict:
    """Per real photo: true and detected side, mean finger flexion and fingertip error after retargeting."""
    from dexvip_jax.prior import hand_photos, readers

    flexion = list(retarget.FLEXION)
    with tempfile.TemporaryDirectory() as folder:
        labels = hand_photos.fetch(folder)
        found = readers.detect_images(folder)
    poses = readers.right_hands(found, "mirror", "the photos")
    out = {}
    for f, pose in zip(found, poses):
        r = retarget.ik(pose)
        out[f["image"]] = {**labels[f["image"]], "true_side": labels[f["image"]]["side"], "detected_side": f["side"],
                           "flexion_rad": float(np.mean(np.asarray(r["joints"])[flexion])),
                           "fingertip_error_m": float(np.mean(r["tip_error_m"]))}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sheet", metavar="PNG")
    p.add_argument("--photos", action="store_true", help="also retarget the 8 real photos (apt-get download)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    if args.sheet:
        from dexvip_jax.envs.render import select_gl

        select_gl()  # before anything imports MuJoCo
    from dexvip_jax import bench, targets
    from dexvip_jax.prior import retarget

    mixed, synthetic = targets.shipped("mocap"), targets.shipped("synthetic")
    fingers = np.array(retarget.HAND_JOINTS)
    rows = {}
    for name, m in mixed.items():
        if m["source"] == "synthetic":
            continue
        s = synthetic[name]
        gap = np.abs(np.asarray(m["target_joints"])[fingers] - np.asarray(s["target_joints"])[fingers])
        rows[name] = {"joint_distance_rad": {"mean": float(gap.mean()), "max": float(gap.max())},
                      "fingertip_error_m": {"mocap": float(np.mean(m["fingertip_error_m"])),
                                            "synthetic": float(np.mean(s["fingertip_error_m"]))},
                      "grasp_frames": m["num_poses"], "motions": m["motions"], "clusters": m["cluster_sizes"],
                      "synthetic_template": s.get("consensus_template")}
    gaps = [r["joint_distance_rad"]["mean"] for r in rows.values()]
    result = {"device": bench.device_info(), "objects": rows,
              "overall": {"joint_distance_rad_mean": float(np.mean(gaps)),
                          "fingertip_error_m_mocap": float(np.mean([r["fingertip_error_m"]["mocap"] for r in rows.values()])),
                          "fingertip_error_m_synthetic": float(np.mean([r["fingertip_error_m"]["synthetic"] for r in rows.values()]))}}
    if args.photos:
        result["photos"] = photos(retarget)
    path = write_result(args.out, "prior_sources", result)
    print("| object | mocap frames (motions) | synthetic template | joint distance mean / max (rad) | fingertip error mocap / synthetic (mm) |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        j, t = r["joint_distance_rad"], r["fingertip_error_m"]
        print(f"| {name} | {r['grasp_frames']} ({len(r['motions'])}) | {r['synthetic_template']} | {j['mean']:.2f} / {j['max']:.2f} "
              f"| {1000 * t['mocap']:.1f} / {1000 * t['synthetic']:.1f} |")
    o = result["overall"]
    print(f"| all {len(rows)} | | | {o['joint_distance_rad_mean']:.2f} | {1000 * o['fingertip_error_m_mocap']:.1f} / "
          f"{1000 * o['fingertip_error_m_synthetic']:.1f} |")
    if args.photos:
        print("\n| photo | true side | detected | finger flexion (rad) | fingertip error (mm) |\n|---|---|---|---|---|")
        for name, r in result["photos"].items():
            print(f"| {name} | {r['true_side']} | {r['detected_side']} | {r['flexion_rad']:.2f} | {1000 * r['fingertip_error_m']:.1f} |")
    if args.sheet:
        from dexvip_jax.prior.figure import comparison_sheet

        comparison_sheet({"mocap (GRAB)": {n: mixed[n] for n in rows}, "synthetic": synthetic}, args.sheet)
        print(f"wrote {args.sheet}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
