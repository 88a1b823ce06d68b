"""Plugins these tests need.

``openams.testing`` is normally registered by openams's ``pytest11`` entry point; it is
registered here when it is not (an install made before the entry point existed, or
``PYTEST_DISABLE_PLUGIN_AUTOLOAD``). ``pytester`` runs merchant test suites in-process.
Both are loaded from a hook rather than ``pytest_plugins``, which pytest refuses in a
conftest that is not at the root. Either registration is harmless to other tests: the
plugin starts nothing unless an ``openams_*`` fixture is requested.
"""

from __future__ import annotations

import pytest

import openams.testing


def pytest_configure(config: pytest.Config) -> None:
    plugins = config.pluginmanager
    if not plugins.is_registered(openams.testing):
        plugins.register(openams.testing, "openams.testing")
    plugins.import_plugin("pytester")
