"""Errors meant for people: one line that names the problem and the fix."""


class ConfigError(ValueError):
    """Bad user input (config, object, backend, file). The CLI prints it on one line and exits 2."""
