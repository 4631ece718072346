"""The egocentric ray-cast camera: both backends see the same image, depth is metric, the mask marks
the affordance part, pixel noise stays in bounds, and the CNN reads the image."""

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from dexvip_jax.envs import camera, scene
from dexvip_jax.ppo.networks import ActorCritic

GRASP_STEP = 39  # the end of the scripted grasp (T_AGREE steps): the fingers are in view around the object


def _images(env, objs, qpos):
    @jax.jit
    def render(objs, qpos):
        data = jax.vmap(env.physics.init)(objs, qpos)
        return jax.vmap(env.pixels)(objs, data)

    return np.asarray(render(objs, qpos))


@pytest.fixture(scope="module")
def grasp_states(mujoco_traces, all_objects):
    """Every object's state mid-grasp (MuJoCo C's trajectory), the start of the comparisons."""
    objs, _ = all_objects
    return objs, jnp.asarray(mujoco_traces[2]["qpos"][GRASP_STEP])


@pytest.fixture(scope="module")
def mujoco_images(mujoco_traces, grasp_states):
    return _images(mujoco_traces[0], *grasp_states)


@pytest.mark.slow
def test_backends_render_the_same_image(mujoco_images, mjx_traces, grasp_states):
    c, x = mujoco_images, _images(mjx_traces[0], *grasp_states)
    assert c.shape == x.shape == (27, 64, 64, 5) and c.dtype == np.uint8
    diff = np.abs(c.astype(int) - x.astype(int))
    # float64 vs float32 poses may move a silhouette edge by a pixel, nothing more.
    assert (diff.max(-1) <= 2).mean() > 0.995, (diff.max(-1) > 2).mean()
    assert (c[..., 4] == x[..., 4]).mean() > 0.998
    assert (c[..., 4] > 0).sum() > 1000  # the affordance parts are in view, so the mask is compared


def test_depth_is_metric_z_distance_to_the_table(mujoco_traces):
    """At the start pose most rays hit the table: their depth must be the analytic plane distance."""
    env = mujoco_traces[0]
    cfg = env.camera
    img = _images(env, jnp.array([0]), jnp.asarray(mujoco_traces[1]["qpos"][0][:1]))[0]
    m = scene.compile_object(env.config.objects[0])
    d = mujoco.MjData(m)
    d.qpos[:] = mujoco_traces[1]["qpos"][0][0]
    mujoco.mj_kinematics(m, d)
    mujoco.mj_camlight(m, d)
    cam, body = scene.ego_camera(m)
    dirs = cfg.ray_dirs()
    world = dirs @ d.cam_xmat[cam].reshape(3, 3).T
    t = -d.cam_xpos[cam][2] / world[:, 2]  # distance along each ray to the plane z = 0
    expected = np.clip(t * -dirs[:, 2], 0, cfg.depth_max).reshape(cfg.height, cfg.width)
    geoms = np.empty(dirs.shape[0], np.int32)
    dist = np.empty(dirs.shape[0])
    groups = np.array(camera.RAY_GROUPS, np.uint8)
    mujoco.mj_multiRay(m, d, d.cam_xpos[cam].copy(), world.reshape(-1), groups, 1, body, geoms, dist, None,
                       dirs.shape[0], mujoco.mjMAXVAL)
    table = (geoms == m.geom("table_top").id).reshape(cfg.height, cfg.width)
    assert table.mean() > 0.5
    depth = img[..., 3] / 255 * cfg.depth_max
    err = np.abs(depth - expected)[table]
    assert err.max() <= cfg.depth_max / 255, err.max()  # within one quantum (2 mm)


def test_affordance_mask_marks_the_affordance_colour(mujoco_images):
    """Masked pixels show the affordance part's colour (orange: red > green > blue), and every pixel of
    that hue is masked: mask and RGB come from the same ray hits."""
    rgb, mask = mujoco_images[..., :3].astype(int), mujoco_images[..., 4]
    assert set(np.unique(mask)) <= {0, 255}
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    orange = (r > 1.8 * g) & (g > 1.3 * b) & (r > 40)
    assert (mask > 0).sum() > 1000
    assert orange[mask > 0].mean() > 0.99
    assert (mask[orange] > 0).mean() > 0.99


def test_human_contact_mask_marks_the_object_near_the_points_people_touched(mujoco_mesh_traces, all_objects):
    """With human-contact affordances (the mesh fixture's env) a masked pixel is an object pixel
    whose surface point, read back from depth, lies within ``AFF_RADIUS`` of one of the 20 points;
    and the mask covers part of the object, not all of it."""
    env = mujoco_mesh_traces[0]
    assert env.config.affordances == "human"
    objs, _ = all_objects
    qpos = np.asarray(mujoco_mesh_traces[2]["qpos"][GRASP_STEP])
    img = _images(env, objs, jnp.asarray(qpos))
    dirs = env.camera.ray_dirs()
    depth = img[..., 3].reshape(len(objs), -1) / 255 * env.camera.depth_max
    masked = img[..., 4].reshape(len(objs), -1) > 0
    for k, name in enumerate(env.config.objects):
        m = scene.compile_object(name, 1.0, scene.Physics(shapes="mesh"))
        d = mujoco.MjData(m)
        d.qpos[:] = qpos[k]
        mujoco.mj_kinematics(m, d)
        mujoco.mj_camlight(m, d)
        cam, _ = scene.ego_camera(m)
        rot = d.cam_xmat[cam].reshape(3, 3)
        body = m.body("object").id
        points = (d.xpos[body] + np.asarray(env._aff[k]) @ d.xmat[body].reshape(3, 3).T - d.cam_xpos[cam]) @ rot
        seen = (dirs * (depth[k] / -dirs[:, 2])[:, None])[masked[k]]
        if len(seen):
            gap = np.linalg.norm(seen[:, None] - points[None], axis=-1).min(1)
            assert gap.max() < camera.AFF_RADIUS + 0.004, name  # depth is quantised to 2 mm
    mug = env.config.objects.index("mug")
    lit = img[mug][..., :3].max(-1) > 0  # the mug, the hand and the table
    assert 0 < masked[mug].sum() < 0.5 * lit.sum()


def test_pixel_noise_is_bounded_integer_noise_on_rgb_only(mujoco_images):
    clean = jnp.asarray(mujoco_images[:4])
    noisy = np.asarray(camera.add_pixel_noise(jax.random.PRNGKey(0), clean, 5)).astype(int)
    diff = noisy - np.asarray(clean).astype(int)
    assert np.abs(diff[..., :3]).max() == 5 and (diff[..., :3] != 0).mean() > 0.8
    assert (diff[..., 3:] == 0).all()  # depth and mask untouched
    assert noisy.min() >= 0 and noisy.max() <= 255 and noisy.dtype == np.int64


def test_cnn_reads_the_image(mujoco_images):
    """The policy output depends on the pixels, and the loss gradient reaches every conv kernel."""
    net = ActorCritic(30)
    obs = {"motor": jnp.zeros((2, 621)), "pixels": jnp.asarray(mujoco_images[:2])}
    params = net.init(jax.random.PRNGKey(0), obs)
    mean_a, _, value_a = net.apply(params, obs)
    assert not np.allclose(mean_a[0], mean_a[1])  # same motor input, different images

    def loss(p):
        mean, _, value = net.apply(p, obs)
        return (mean**2).sum() + (value**2).sum()

    grads = jax.grad(loss)(params)["params"]["visual_encoder"]
    for layer in ("Conv_0", "Conv_1", "Conv_2", "Dense_0"):
        assert float(jnp.abs(grads[layer]["kernel"]).sum()) > 0, layer


def test_patch_convolution_equals_xla_convolution(mujoco_images):
    """The CPU form of the CNN (windows x matrix) computes the same function and gradient as XLA's conv."""
    obs = {"motor": jnp.zeros((3, 621)), "pixels": jnp.asarray(mujoco_images[:3])}
    xla, win = ActorCritic(30, conv_impl="xla"), ActorCritic(30, conv_impl="patches")
    params = xla.init(jax.random.PRNGKey(1), obs)
    assert jax.tree.structure(params) == jax.tree.structure(win.init(jax.random.PRNGKey(1), obs))
    out_x, out_w = xla.apply(params, obs), win.apply(params, obs)
    np.testing.assert_allclose(out_x[0], out_w[0], atol=1e-5)
    np.testing.assert_allclose(out_x[2], out_w[2], atol=1e-5)
    g_x, g_w = (jax.grad(lambda p, n=n: n.apply(p, obs)[2].sum())(params) for n in (xla, win))
    k_x, k_w = (g["params"]["visual_encoder"]["Conv_0"]["kernel"] for g in (g_x, g_w))
    np.testing.assert_allclose(k_x, k_w, rtol=1e-3, atol=1e-5)
