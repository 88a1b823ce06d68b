"""The ``openams`` command's entry point: the gateway's command line, or a clear message
where only the SDK is installed (``pip install openams`` without the ``gateway`` extra)."""

from __future__ import annotations

import sys

#: Modules only the ``gateway`` extra brings, which the command line needs.
GATEWAY_MODULES = ("click", "fastapi", "sqlalchemy", "uvicorn", "jinja2")


def main() -> None:
    for module in GATEWAY_MODULES:
        try:
            __import__(module)
        except ModuleNotFoundError:
            sys.exit(
                f"openams: the `openams` command runs the gateway, which needs {module}; "
                "this installation has the SDK only. Install the gateway with: "
                'pip install "openams[gateway]"'
            )
    from openams.cli import main as command_line

    command_line()
