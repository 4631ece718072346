"""Shipped hand-pose priors (GRAB motion capture and SYNTHETIC stand-ins, see generate.py); installed as ``dexvip_jax.prior_data``."""
