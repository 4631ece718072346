"""Flax actor-critic: motor MLP encoder, fused features, Gaussian policy with state-independent log-std.

GRAFF/DexVIP: motor MLP 512-512; in pixel mode a visual CNN (kernels 8, 4, 3, strides 4, 3, 1,
ReLU, a 512-D bottleneck) encodes the (H, W, 5) uint8 image and its features are concatenated with
the motor features; then actor and critic heads. An observation key ``"privileged"``, when
present, feeds only the critic (asymmetric actor-critic). Observations arrive normalised (``normalize.py``).
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


def patches(x: jax.Array, k: int, s: int) -> jax.Array:
    """(B, H, W, C) -> (B, OH, OW, k*k*C): the VALID k x k windows at stride s, in HWIO order."""
    b, h, w, c = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    cols = [x[:, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s, :] for i in range(k) for j in range(k)]
    return jnp.stack(cols, axis=3).reshape(b, oh, ow, k * k * c)


class Conv(nn.Module):
    """A VALID convolution with ``nn.Conv``'s parameters. ``impl="patches"`` computes it as windows
    times a matrix: XLA:CPU runs a convolution's gradient inside a loop (PPO's minibatch scan) ~20x
    slower than outside (jax-ml/jax#12868; ``benchmarks/conv_in_loop.py``: 1.3 s vs 0.07 s); the window
    form has no convolution left to slow down. Both give the same function of the same parameters."""

    features: int
    kernel: int
    stride: int
    impl: str = "xla"  # "xla" | "patches"

    @nn.compact
    def __call__(self, x):
        k, s = self.kernel, self.stride
        w = self.param("kernel", nn.initializers.orthogonal(jnp.sqrt(2.0)), (k, k, x.shape[-1], self.features))
        b = self.param("bias", nn.initializers.zeros, (self.features,))
        lead = x.shape[:-3]
        x = x.reshape((-1,) + x.shape[-3:])
        if self.impl == "patches":
            y = patches(x, k, s) @ w.reshape(-1, self.features)
        else:
            y = jax.lax.conv_general_dilated(x, w, (s, s), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return (y + b).reshape(lead + y.shape[1:])


def default_conv_impl() -> str:
    return "patches" if jax.default_backend() == "cpu" else "xla"


class VisualEncoder(nn.Module):
    """f_V: three convolutions (GRAFF's kernels and strides), then a dense 512-D bottleneck."""

    channels: Sequence[int] = (32, 64, 32)
    kernels: Sequence[int] = (8, 4, 3)
    strides: Sequence[int] = (4, 3, 1)
    features: int = 512
    conv_impl: str = "xla"

    @nn.compact
    def __call__(self, pixels):
        x = pixels.astype(jnp.float32) / 255.0
        for c, k, s in zip(self.channels, self.kernels, self.strides):
            x = nn.relu(Conv(c, k, s, self.conv_impl)(x))
        x = x.reshape(x.shape[:-3] + (-1,))
        return nn.relu(nn.Dense(self.features, kernel_init=nn.initializers.orthogonal(jnp.sqrt(2.0)))(x))


class ActorCritic(nn.Module):
    action_size: int
    hidden: Sequence[int] = (512, 512)
    init_log_std: float = 0.0
    conv_impl: str = "xla"  # see ``Conv``; ``default_conv_impl()`` picks by platform

    def setup(self):
        self.motor_encoder = MLP(self.hidden)
        self.visual_encoder = VisualEncoder(conv_impl=self.conv_impl)
        self.actor = nn.Dense(self.action_size, kernel_init=nn.initializers.orthogonal(0.01))
        self.log_std = self.param("log_std", nn.initializers.constant(self.init_log_std), (self.action_size,))
        self.critic_encoder = MLP(self.hidden)
        self.critic = nn.Dense(1, kernel_init=nn.initializers.orthogonal(1.0))

    def _features(self, obs):
        features = self.motor_encoder(obs["motor"])
        if "pixels" in obs:
            features = jnp.concatenate([features, self.visual_encoder(obs["pixels"])], -1)
        return features

    def _value(self, obs, features=None):
        if "privileged" in obs:
            critic_in = self.critic_encoder(jnp.concatenate([obs["motor"], obs["privileged"]], -1))
        else:
            critic_in = self._features(obs) if features is None else features
        return self.critic(critic_in)[..., 0]

    def __call__(self, obs: dict[str, jax.Array]):
        features = self._features(obs)
        mean = self.actor(features)
        return mean, jnp.broadcast_to(self.log_std, mean.shape), self._value(obs, features)

    def value(self, obs: dict[str, jax.Array]) -> jax.Array:
        """The critic alone (with a privileged critic, the policy's encoders are not run)."""
        return self._value(obs)


def gaussian_log_prob(x, mean, log_std):
    return jnp.sum(-0.5 * ((x - mean) / jnp.exp(log_std)) ** 2 - log_std - 0.5 * jnp.log(2 * jnp.pi), axis=-1)


def gaussian_entropy(log_std):
    return jnp.sum(log_std + 0.5 * jnp.log(2 * jnp.pi * jnp.e), axis=-1)
