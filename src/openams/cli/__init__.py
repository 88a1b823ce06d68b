"""The ``openams`` command line, one module per command group. Every option can also come
from an ``OPENAMS_*`` variable."""

# Importing a command module registers its commands on ``main``.
from openams.cli import (  # noqa: F401
    console,
    dev,
    disputes,
    frame_origins,
    fx,
    keys,
    logs,
    merchants,
    notifications,
    reports,
    sandbox,
    serve,
    vaultings,
)
from openams.cli._common import main

__all__ = ["main"]
# The chaos switch also lives where it always was.
notifications.notifications.add_command(sandbox.chaos, "chaos")
