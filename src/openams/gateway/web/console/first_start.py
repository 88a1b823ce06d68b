"""The console's first start: create the admin account and frame its password, once.

The CLI calls this before the server (and before any worker process) starts, and
prints the result to the terminal. The password is never logged nor stored in clear.
"""

from __future__ import annotations

from openams.gateway.services.console import ADMIN, ConsoleService
from openams.gateway.web.console.routes import PREFIX

RULE = "=" * 72


def admin_banner(console: ConsoleService, base_url: str) -> str | None:
    """The framed banner with the new admin password, or None when a user exists."""
    password = console.ensure_admin()
    if password is None:
        return None
    url = f"{base_url.rstrip('/')}{PREFIX}"
    return "\n".join(
        [
            RULE,
            "openams console: first start, created the console user",
            "",
            f"  URL       {url}",
            f"  username  {ADMIN}",
            f"  password  {password}",
            "",
            "This password is shown once, now. Change it with",
            "  openams console set-password",
            RULE,
        ]
    )
