"""Shipped hand-pose priors (SYNTHETIC stand-ins, see generate.py); installed as ``dexvip_jax.prior_data``."""
