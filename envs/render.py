"""Offscreen pictures of the scene with MuJoCo's renderer (OSMesa on CPU, EGL on GPU).

On a CPU machine: ``apt-get install libosmesa6``; the GL backend is chosen before MuJoCo loads
its renderer (``MUJOCO_GL`` if set, else EGL with a GPU visible, else OSMesa).
"""

from __future__ import annotations

import os

import numpy as np

from dexvip_jax.files import pyplot, save_figure


def select_gl() -> None:
    """Pick the offscreen GL (EGL with a GPU, else OSMesa) unless MUJOCO_GL is set; call before MuJoCo loads."""
    if "MUJOCO_GL" not in os.environ:
        gpu = os.path.exists("/dev/nvidia0") or os.path.exists("/dev/dri/renderD128")
        os.environ["MUJOCO_GL"] = "egl" if gpu else "osmesa"
    if os.environ["MUJOCO_GL"] == "osmesa":
        os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")


def object_image(name: str, width: int = 320, height: int = 240) -> np.ndarray:
    """One object on the table, hand hidden, seen from a camera fitted to its size."""
    select_gl()
    import mujoco

    from dexvip_jax.envs import objects as zoo
    from dexvip_jax.envs import scene

    m = scene.compile_object(name)
    d = mujoco.MjData(m)
    d.qpos[len(scene.JOINTS) + 3] = 1.0
    mujoco.mj_forward(m, d)
    spec = zoo.get(name)
    cam = mujoco.MjvCamera()
    cam.lookat[:] = (0.0, 0.0, spec.extent[2] / 2)
    cam.distance = 1.6 * max(spec.extent) + 0.1
    cam.azimuth, cam.elevation = 135.0, -30.0
    opt = mujoco.MjvOption()
    opt.geomgroup[1] = 0  # the hand's visual meshes
    renderer = mujoco.Renderer(m, height, width)
    try:
        renderer.update_scene(d, cam, opt)
        return renderer.render().copy()
    finally:
        renderer.close()


def contact_sheet(path: str, cols: int = 7) -> None:
    """All objects on one PNG, affordance parts in orange, labelled; written atomically."""
    plt = pyplot()

    from dexvip_jax.envs import objects as zoo

    rows = -(-len(zoo.CATALOGUE) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows))
    for ax in axes.flat:
        ax.axis("off")
    for ax, spec in zip(axes.flat, zoo.CATALOGUE):
        ax.imshow(object_image(spec.name))
        ax.set_title(f"{spec.name} ({spec.affordance})", fontsize=8)
    fig.suptitle("dexvip-jax object zoo: 16 ContactDB objects, then 11 extra; affordance part in orange")
    fig.tight_layout()
    save_figure(fig, path, dpi=80)


def render_frames(model, qpos_seq, width: int = 320, height: int = 240):
    """RGB frames of ``model`` at each qpos in ``qpos_seq`` (T, nq), seen from beside the table."""
    select_gl()
    import mujoco

    camera = mujoco.MjvCamera()
    camera.lookat[:] = (0.0, -0.12, 0.1)
    camera.distance, camera.azimuth, camera.elevation = 0.8, -60.0, -25.0
    d = mujoco.MjData(model)
    renderer = mujoco.Renderer(model, height, width)
    frames = []
    try:
        for q in qpos_seq:
            d.qpos[:] = q
            mujoco.mj_forward(model, d)
            renderer.update_scene(d, camera)
            frames.append(renderer.render().copy())
    finally:
        renderer.close()
    return frames


def write_gif(frames, path: str, fps: int = 25) -> None:
    """An animated GIF (Pillow), written atomically."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    tmp = path + ".tmp.gif"
    images[0].save(tmp, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    os.replace(tmp, path)


def camera_sheet(path: str, names=("mug", "hammer", "pan", "apple", "scissors"), steps=(0, 12, 25),
                 image_size: int = 96) -> None:
    """The egocentric camera's RGB, depth and affordance channels for ``names`` at ``steps`` of the
    scripted reach-and-close (``scripted.py``), MuJoCo C backend; one PNG, written atomically."""
    import jax
    import jax.numpy as jnp
    plt = pyplot()

    from dexvip_jax import envs
    from dexvip_jax.envs.scripted import grasp_actions

    env = envs.load("grasp", backend="mujoco", objects=",".join(names), image_size=image_size)
    actions = jnp.asarray(grasp_actions(env, max(steps) + 1))

    @jax.jit
    def frames(obj):
        s = env.reset_to(obj, jnp.array(0.6))

        def body(s, a):
            s = env.step(s, a)
            return s, env.pixels(obj, s.pipeline_state)

        return jnp.concatenate([env.pixels(obj, s.pipeline_state)[None], jax.lax.scan(body, s, actions)[1]])

    fig, axes = plt.subplots(len(names), 3 * len(steps), figsize=(1.6 * 3 * len(steps), 1.7 * len(names)))
    for i, name in enumerate(names):
        px = np.asarray(frames(jnp.array(i)))
        for j, t in enumerate(steps):
            for k, (label, img, cmap) in enumerate((("RGB", px[t, ..., :3], None),
                                                    ("depth", px[t, ..., 3], "gray_r"),
                                                    ("affordance", px[t, ..., 4], "gray"))):
                ax = axes[i, 3 * j + k]
                ax.imshow(img, cmap=cmap, vmin=0, vmax=255)
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(f"{label}, step {t}", fontsize=8)
                if j == k == 0:
                    ax.set_ylabel(name, fontsize=9)
    fig.suptitle(f"Egocentric camera ({image_size}x{image_size}, ray cast): a scripted reach and close; "
                 f"depth 0-{env.camera.depth_max} m (darker is farther), affordance part in white", fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)
