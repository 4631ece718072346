"""dexvip-jax: DexVIP dexterous grasping with human hand-pose priors, on JAX and MuJoCo MJX."""

__version__ = "0.1.0"
