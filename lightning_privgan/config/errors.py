"""The one error type a user sees for a bad experiment configuration."""


class ConfigError(Exception):
    """A configuration mistake; the CLI prints it as one paragraph and exits with status 2."""
