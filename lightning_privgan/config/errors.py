"""The one error type a user sees for a bad experiment configuration."""


class ConfigError(Exception):
    """A configuration mistake; the CLI prints it as one paragraph and exits with status 2."""


class RefusedError(ValueError):
    """A command refused as asked (a release of a stale run, a report poorer than the one it would
    replace): the CLI prints it in one line and exits with status 2; nothing was changed."""


COMMAND_LINE = "the command line"


def where(source: str) -> str:
    """'in experiments/x.yaml', or 'on the command line' for a dot-list override."""
    return "on the command line" if source == COMMAND_LINE else f"in {source}"
