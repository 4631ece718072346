"""The egocentric RGB-D + affordance camera, by ray casting against the collision geoms.

One ray per pixel leaves the palm camera ``scene.EGO_CAMERA``. A physics backend casts them
(``mjx.ray`` in the graph, with the object's mesh hulls cast in ``mjx_meshes``; ``mj_multiRay`` in
MuJoCo C's callback) and returns, per pixel, the geom hit and the distance; ``image`` turns that
into pixels with the same JAX code for both backends, so the two agree wherever their ray casts do.
Only collision geoms are cast against (the hand's capsules and boxes, the table, the floor and the
object's slots: parts or convex mesh pieces): ray casting the hand's visual meshes was measured
~1000x slower in MJX.

Channels, uint8 (H, W, 5): RGB (the geom's colour, Lambert-shaded with a headlight using normals
from the depth image), depth (z-distance in the camera frame, 0..``depth_max`` metres -> 0..255),
affordance mask (255 where the ray hits the object's affordance part, or with human-contact
affordances where it hits the object near the points people touched). uint8 keeps rollouts of
thousands of envs small; the network scales them to [0, 1].
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

CHANNELS = ("red", "green", "blue", "depth", "affordance")
RAY_GROUPS = (1, 0, 1, 0, 1, 0)  # geom groups cast against: 0 (scene, object parts), 2 (object meshes), 4 (hand colliders)
PRIMITIVE_RAY_GROUPS = (1, 0, 0, 0, 1, 0)  # the same without the meshes (MJX casts them in ``mjx_meshes``)
AMBIENT = 0.3  # share of a colour seen by a surface facing away from the light
# m: a surface point within this of an affordance point is on the region; about the largest gap
# between neighbouring human-contact points (up to 3 cm, on the cup), so a region shows unbroken.
AFF_RADIUS = 0.02


@dataclasses.dataclass(frozen=True)
class CameraConfig:
    height: int = 64
    width: int = 64
    fovy: float = 90.0  # degrees, the scene camera's
    depth_max: float = 0.5  # m; farther hits and misses read as depth_max

    def ray_dirs(self) -> np.ndarray:
        """Unit ray directions in the camera frame (MuJoCo: looks along -z, y up), row-major from the top left."""
        t = np.tan(np.deg2rad(self.fovy) / 2)
        x = ((np.arange(self.width) + 0.5) / self.width * 2 - 1) * t * self.width / self.height
        y = (1 - (np.arange(self.height) + 0.5) / self.height * 2) * t
        xx, yy = np.meshgrid(x, y)
        d = np.stack([xx, yy, -np.ones_like(xx)], -1).reshape(-1, 3)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)


def image(geom: jax.Array, dist: jax.Array, cfg: CameraConfig, geom_rgb: jax.Array, geom_aff: jax.Array,
          aff_points: jax.Array | None = None) -> jax.Array:
    """Pixels (H, W, 5) uint8 from one ray cast: ``geom`` (H*W,) int hit ids (-1: none), ``dist`` (H*W,)
    distances along the rays; ``geom_rgb`` (ngeom, 3) colours in [0, 1], ``geom_aff`` (ngeom,) bool.
    With ``aff_points`` (k, 3, camera frame) a hit on a ``geom_aff`` geom is affordance only within
    ``AFF_RADIUS`` of one of them: a region of points (people's contacts) rather than a whole part."""
    h, w = cfg.height, cfg.width
    dirs = jnp.asarray(cfg.ray_dirs(), jnp.float32)
    hit = (geom >= 0) & jnp.isfinite(dist)
    dist = jnp.where(hit, jnp.minimum(dist, cfg.depth_max / -dirs[:, 2]), cfg.depth_max / -dirs[:, 2])
    depth = (dist * -dirs[:, 2]).reshape(h, w)
    # Normals from neighbouring hit points; a headlight sits at the camera.
    pts = (dirs * dist[:, None]).reshape(h, w, 3)
    du = jnp.concatenate([pts[:, 1:] - pts[:, :-1], pts[:, -1:] - pts[:, -2:-1]], axis=1)
    dv = jnp.concatenate([pts[1:] - pts[:-1], pts[-1:] - pts[-2:-1]], axis=0)
    n = jnp.cross(du, dv)
    n = n / jnp.maximum(jnp.linalg.norm(n, axis=-1, keepdims=True), 1e-9)
    lambert = jnp.abs(jnp.sum(n * dirs.reshape(h, w, 3), -1))
    shade = AMBIENT + (1 - AMBIENT) * lambert
    g = jnp.maximum(geom, 0).reshape(h, w)
    hit = hit.reshape(h, w)
    rgb = jnp.where(hit[..., None], geom_rgb[g] * shade[..., None], 0.0)
    aff = hit & geom_aff[g]
    if aff_points is not None:
        # |p - a|^2 expanded: an (H, W, k) product rather than (H, W, k, 3) differences
        gap2 = (jnp.sum(pts ** 2, -1, keepdims=True) - 2 * pts @ aff_points.T + jnp.sum(aff_points ** 2, -1)).min(-1)
        aff = aff & (gap2 < AFF_RADIUS ** 2)
    chans = jnp.concatenate([rgb, (depth / cfg.depth_max)[..., None], aff[..., None].astype(jnp.float32)], -1)
    return jnp.round(jnp.clip(chans, 0.0, 1.0) * 255).astype(jnp.uint8)


def add_pixel_noise(rng: jax.Array, pixels: jax.Array, amplitude: int) -> jax.Array:
    """Uniform integer noise in [-amplitude, amplitude] on the RGB channels (GRAFF's pixel noise)."""
    noise = jax.random.randint(rng, pixels.shape[:-1] + (3,), -amplitude, amplitude + 1)
    rgb = jnp.clip(pixels[..., :3].astype(jnp.int32) + noise, 0, 255).astype(jnp.uint8)
    return jnp.concatenate([rgb, pixels[..., 3:]], -1)
