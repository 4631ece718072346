"""One PNG: each object's consensus human pose beside its retargeted Adroit pose (the paper's Fig. 3)."""

from __future__ import annotations


import numpy as np

from dexvip_jax.files import pyplot, save_figure
from dexvip_jax.prior import hand


def adroit_image(joints, width: int = 240, height: int = 240) -> np.ndarray:
    """The Adroit hand (no object) at ``joints`` (30), seen from the palm side."""
    from dexvip_jax.envs.render import offscreen_renderer, select_gl

    select_gl()
    import mujoco

    from dexvip_jax.envs import scene

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


def prior_sheet(priors: dict[str, dict], path: str, per_row: int = 3) -> None:
    plt = pyplot()

    names = list(priors)
    rows = -(-len(names) // per_row)
    fig = plt.figure(figsize=(4.2 * per_row, 2.2 * rows))
    for i, name in enumerate(names):
        p = priors[name]
        ax = fig.add_subplot(rows, 2 * per_row, 2 * i + 1, projection="3d")
        draw_hand(ax, p["consensus_keypoints"])
        ax.set_title(f"{name}: human ({p.get('consensus_template', 'consensus')})", fontsize=7)
        ax2 = fig.add_subplot(rows, 2 * per_row, 2 * i + 2)
        ax2.imshow(adroit_image(p["target_joints"]))
        ax2.set_axis_off()
        ax2.set_title("Adroit, retargeted", fontsize=7)
    synthetic = any(p.get("synthetic") for p in priors.values())
    fig.suptitle("Consensus hand pose per object and its Adroit retargeting"
                 + (" — SYNTHETIC stand-in poses, not human data" if synthetic else ""), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    save_figure(fig, path, dpi=70)
