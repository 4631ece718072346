"""Offscreen pictures of the scene with MuJoCo's renderer: EGL first, OSMesa where EGL is missing.

Only the commands that draw with OpenGL (``dexvip render``, ``dexvip objects --sheet``) choose a GL,
with ``select_gl()`` before MuJoCo loads; every other command never loads an OpenGL platform. Mesa's
EGL renders offscreen on CPU-only machines too (Debian's ``libegl-mesa0``, in the project's image),
and with a GPU. A user's own ``MUJOCO_GL`` is respected.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import numpy as np

from dexvip_jax.envs import meshes
from dexvip_jax.envs import objects as zoo
from dexvip_jax.errors import ConfigError
from dexvip_jax.files import pyplot, save_figure

GL_PLATFORMS = ("egl", "osmesa")  # tried in this order
_GL_PROBE = "import mujoco; c = mujoco.GLContext(8, 8); c.make_current(); c.free()"


def gl_works(platform: str) -> bool:
    """Whether MuJoCo opens an offscreen context with ``platform``, tried in a child process
    (a GL platform that fails to load cannot be unloaded from this one)."""
    env = {**os.environ, "MUJOCO_GL": platform, "PYOPENGL_PLATFORM": platform}
    try:
        return subprocess.run([sys.executable, "-c", _GL_PROBE], env=env, capture_output=True,
                              timeout=120).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def select_gl() -> str:
    """Choose the offscreen GL before MuJoCo loads: ``MUJOCO_GL`` if set, else the first of
    ``GL_PLATFORMS`` that works here. One-line ConfigError if none does."""
    if os.environ.get("MUJOCO_GL"):
        return os.environ["MUJOCO_GL"]
    if "mujoco" in sys.modules:
        raise ConfigError("MuJoCo was imported before an offscreen GL was chosen; set MUJOCO_GL=egl "
                          "(or osmesa) before importing mujoco")
    for platform in GL_PLATFORMS:
        if gl_works(platform):
            os.environ["MUJOCO_GL"] = platform
            os.environ.setdefault("PYOPENGL_PLATFORM", platform)
            return platform
    raise ConfigError("no offscreen OpenGL here (neither EGL nor OSMesa opens a context): install Mesa's "
                      "EGL (Debian: apt-get install libegl-mesa0) or OSMesa (libosmesa6), or set MUJOCO_GL")


def offscreen_renderer(model, height: int, width: int):
    """``mujoco.Renderer``, or a one-line ConfigError naming ``MUJOCO_GL`` when GL fails."""
    import mujoco

    try:
        return mujoco.Renderer(model, height, width)
    except Exception as e:  # noqa: BLE001  (GL errors come in many types)
        raise ConfigError(f"offscreen rendering failed with MUJOCO_GL={os.environ.get('MUJOCO_GL', '')!r} "
                          f"({type(e).__name__}); unset MUJOCO_GL to let dexvip choose EGL or OSMesa") from None


def object_image(name: str, width: int = 320, height: int = 240, shapes: str = "primitive",
                 points: np.ndarray | None = None) -> np.ndarray:
    """One object on the table, hand hidden, seen from a camera fitted to its size; ``points``
    (n, 3) in the object frame are drawn as green dots (its affordance points)."""
    select_gl()
    import mujoco  # only now: MuJoCo reads MUJOCO_GL when it is first imported

    from dexvip_jax.envs import scene  # imports mujoco

    m = scene.compile_object(name, 1.0, scene.Physics(shapes=shapes))
    if points is not None:  # see through the object to points under its surface
        m = copy.copy(m)
        on_object = m.geom_bodyid == m.body("object").id
        m.geom_rgba[on_object, 3] = np.minimum(m.geom_rgba[on_object, 3], 0.45)
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
    renderer = offscreen_renderer(m, height, width)
    try:
        renderer.update_scene(d, cam, opt)
        body = m.body("object").id
        for p in () if points is None else points:  # the body rests at d.xpos with no turn
            if renderer.scene.ngeom >= renderer.scene.maxgeom:
                break
            mujoco.mjv_initGeom(renderer.scene.geoms[renderer.scene.ngeom], mujoco.mjtGeom.mjGEOM_SPHERE,
                                np.full(3, 0.005), d.xpos[body] + p, np.eye(3).reshape(-1),
                                np.array([0.1, 0.8, 0.2, 1.0], np.float32))
            renderer.scene.ngeom += 1
        return renderer.render().copy()
    finally:
        renderer.close()


def contact_sheet(path: str, cols: int = 7) -> None:
    """All objects on one PNG, as ``env.shapes=mesh`` builds them, labelled: affordance part in
    orange, affordance points of ``env.affordances=human`` in green; written atomically."""
    plt = pyplot()
    rows = -(-len(zoo.CATALOGUE) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows))
    for ax in axes.flat:
        ax.axis("off")
    for ax, spec in zip(axes.flat, zoo.CATALOGUE):
        ax.imshow(object_image(spec.name, shapes="mesh", points=zoo.object_affordances(spec, "human")))
        source = "mesh, human contacts" if meshes.has_mesh(spec.name) else f"parts, {spec.affordance}"
        ax.set_title(f"{spec.name} ({source})", fontsize=8)
    fig.suptitle("dexvip-jax objects under env.shapes=mesh: 17 GRAB meshes with the points GRAB's hands touched (green), "
                 "10 from parts (labelled part orange)", fontsize=9)
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
    renderer = offscreen_renderer(model, height, width)
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


VIDEO_FORMATS = (".gif", ".mp4")


def check_video_path(path: str) -> str:
    """The extension of a video path we can write, or a one-line ConfigError."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in VIDEO_FORMATS:
        raise ConfigError(f"--out {path!r}: write a .gif or an .mp4")
    return ext


def write_video(frames, path: str, fps: int = 25) -> None:
    """An animated GIF (Pillow) or an H.264 MP4 (PyAV, FFmpeg inside its wheel), written atomically."""
    ext = check_video_path(path)
    tmp = f"{path}.tmp{ext}"
    try:
        if ext == ".gif":
            from PIL import Image

            images = [Image.fromarray(f) for f in frames]
            images[0].save(tmp, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
        else:
            _write_mp4(frames, tmp, fps)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_mp4(frames, path: str, fps: int) -> None:
    import av

    with av.open(path, "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"  # what every player decodes
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")))
        out.mux(stream.encode())


def camera_sheet(path: str, names=("mug", "hammer", "pan", "apple", "scissors"), steps=(0, 12, 25),
                 image_size: int = 96) -> None:
    """The egocentric camera's RGB, depth and affordance channels for ``names`` at ``steps`` of the
    scripted reach-and-close (``scripted.py``), MuJoCo C backend; one PNG, written atomically."""
    import jax
    import jax.numpy as jnp
    plt = pyplot()

    from dexvip_jax import envs
    from dexvip_jax.envs.scripted import grasp_actions  # imports mujoco: never at this module's top (GL)

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
