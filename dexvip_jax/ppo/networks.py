"""Flax actor-critic: motor MLP encoder, fused features, Gaussian policy with state-independent log-std.

GRAFF/DexVIP: motor MLP 512-512; in pixel mode a visual CNN (kernels 8, 4, 3, strides 4, 3, 1,
ReLU, a 512-D bottleneck) encodes the (H, W, 5) uint8 image and its features are concatenated with
the motor features; then actor and critic heads. An observation key ``"privileged"``, when present, feeds only the critic
(asymmetric actor-critic). Observations arrive normalised (``normalize.py``).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLP(nn.Module):
    hidden: Sequence[int]

    @nn.compact
    def __call__(self, x):
        for h in self.hidden:
            x = nn.tanh(nn.Dense(h, kernel_init=nn.initializers.orthogonal(jnp.sqrt(2.0)))(x))
        return x


class VisualEncoder(nn.Module):
    """f_V: three convolutions (GRAFF's kernels and strides), then a dense 512-D bottleneck."""

    channels: Sequence[int] = (32, 64, 32)
    kernels: Sequence[int] = (8, 4, 3)
    strides: Sequence[int] = (4, 3, 1)
    features: int = 512

    @nn.compact
    def __call__(self, pixels):
        x = pixels.astype(jnp.float32) / 255.0
        for c, k, s in zip(self.channels, self.kernels, self.strides):
            x = nn.relu(nn.Conv(c, (k, k), (s, s), padding="VALID",
                                kernel_init=nn.initializers.orthogonal(jnp.sqrt(2.0)))(x))
        x = x.reshape(x.shape[:-3] + (-1,))
        return nn.relu(nn.Dense(self.features, kernel_init=nn.initializers.orthogonal(jnp.sqrt(2.0)))(x))


class ActorCritic(nn.Module):
    action_size: int
    hidden: Sequence[int] = (512, 512)
    init_log_std: float = 0.0

    @nn.compact
    def __call__(self, obs: dict[str, jax.Array]):
        features = MLP(self.hidden, name="motor_encoder")(obs["motor"])
        if "pixels" in obs:
            features = jnp.concatenate([features, VisualEncoder(name="visual_encoder")(obs["pixels"])], -1)
        mean = nn.Dense(self.action_size, kernel_init=nn.initializers.orthogonal(0.01), name="actor")(features)
        log_std = self.param("log_std", nn.initializers.constant(self.init_log_std), (self.action_size,))
        if "privileged" in obs:
            critic_in = MLP(self.hidden, name="critic_encoder")(jnp.concatenate([obs["motor"], obs["privileged"]], -1))
        else:
            critic_in = features
        value = nn.Dense(1, kernel_init=nn.initializers.orthogonal(1.0), name="critic")(critic_in)[..., 0]
        return mean, jnp.broadcast_to(log_std, mean.shape), value


def gaussian_log_prob(x, mean, log_std):
    return jnp.sum(-0.5 * ((x - mean) / jnp.exp(log_std)) ** 2 - log_std - 0.5 * jnp.log(2 * jnp.pi), axis=-1)


def gaussian_entropy(log_std):
    return jnp.sum(log_std + 0.5 * jnp.log(2 * jnp.pi * jnp.e), axis=-1)
