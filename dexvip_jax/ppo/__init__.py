"""Brax-style jitted PPO: networks, losses, and ``make_train`` (one jitted update, host loop outside)."""
