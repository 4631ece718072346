"""The paper's methods and ablations as reward-weight presets; installed as ``dexvip_jax.experiments``."""
