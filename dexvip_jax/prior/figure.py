"""One PNG: each object's consensus human pose beside its retargeted Adroit pose (the paper's Fig. 3)."""

from __future__ import annotations

import numpy as np

from dexvip_jax.envs.render import offscreen_renderer, select_gl
from dexvip_jax.files import pyplot, save_figure
from dexvip_jax.prior import hand


def adroit_image(joints, width: int = 240, height: int = 240) -> np.ndarray:
    """The Adroit hand (no object) at ``joints`` (30), seen from the palm side."""
    select_gl()
    import mujoco  # only now: MuJoCo reads MUJOCO_GL when it is first imported

    from dexvip_jax.envs import scene  # imports mujoco

    m = scene.compile_object("mug")
    d = mujoco.MjData(m)
    d.qpos[: len(scene.JOINTS)] = joints
    d.qpos[len(scene.JOINTS) + 2] = -5.0  # the object out of sight
    d.qpos[len(scene.JOINTS) + 3] = 1.0
    mujoco.mj_forward(m, d)
    palm = m.body("palm").id
    cam = mujoco.MjvCamera()
    cam.lookat[:] = d.xpos[palm] + d.xmat[palm].reshape(3, 3) @ np.array([0.0, 0.0, 0.07])
    cam.distance, cam.azimuth, cam.elevation = 0.36, 45.0, -20.0
    renderer = offscreen_renderer(m, height, width)
    try:
        renderer.update_scene(d, cam)
        return renderer.render().copy()
    finally:
        renderer.close()


def draw_hand(ax, kp) -> None:
    kp = np.asarray(kp)
    colours = ("tab:red", "tab:orange", "tab:green", "tab:blue", "tab:purple")
    for (finger, chain), c in zip(hand.CHAINS.items(), colours):
        pts = kp[[0, *chain]]
        ax.plot(pts[:, 0], pts[:, 2], pts[:, 1], "-o", color=c, markersize=2, linewidth=1.5)
    ax.set_xlim(-0.6, 1.2), ax.set_ylim(0.0, 2.0), ax.set_zlim(-1.1, 0.5)
    ax.view_init(elev=15, azim=-50)
    ax.set_axis_off()


def _pair(fig, rows: int, cols: int, i: int, name: str, p: dict, label: str) -> None:
    """The ``i``-th (human, Adroit) pair of panels on a ``rows`` x ``cols`` grid of pairs."""
    ax = fig.add_subplot(rows, 2 * cols, 2 * i + 1, projection="3d")
    draw_hand(ax, p["consensus_keypoints"])
    ax.set_title(f"{name}: {label}", fontsize=7)
    ax2 = fig.add_subplot(rows, 2 * cols, 2 * i + 2)
    ax2.imshow(adroit_image(p["target_joints"]))
    ax2.set_axis_off()
    ax2.set_title("Adroit, retargeted", fontsize=7)


def prior_sheet(priors: dict[str, dict], path: str, per_row: int = 3) -> None:
    plt = pyplot()

    names = list(priors)
    rows = -(-len(names) // per_row)
    fig = plt.figure(figsize=(4.2 * per_row, 2.2 * rows))
    for i, name in enumerate(names):
        p = priors[name]
        kind = "synthetic " + p.get("consensus_template", "") if p.get("synthetic") else p.get("source", "consensus")
        _pair(fig, rows, per_row, i, name, p, f"human ({kind})")
    synthetic = any(p.get("synthetic") for p in priors.values())
    fig.suptitle("Consensus hand pose per object and its Adroit retargeting"
                 + (" — synthetic entries are stand-in poses, not human data" if synthetic else ""), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    save_figure(fig, path, dpi=70)


def comparison_sheet(sets: dict[str, dict[str, dict]], path: str) -> None:
    """One row per object present in every set: each set's consensus pose and Adroit target side by side."""
    plt = pyplot()

    names = [n for n in next(iter(sets.values())) if all(n in s for s in sets.values())]
    fig = plt.figure(figsize=(4.2 * len(sets), 2.2 * len(names)))
    for r, name in enumerate(names):
        for c, (label, priors) in enumerate(sets.items()):
            _pair(fig, len(names), len(sets), r * len(sets) + c, name, priors[name], label)
    fig.suptitle(" vs ".join(sets) + ": consensus hand pose per object and its Adroit retargeting", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.99))
    save_figure(fig, path, dpi=60)
