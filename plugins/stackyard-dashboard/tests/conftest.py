"""One Stackyard profile, one ``stackyard dashboard`` server and one Chromium for the whole test session.

The profile's default stack has a local secrets manager holding a secret and an
alerter whose sensitive ``token`` refers to it; pipelines run in their own
processes, as a user runs them, and the dashboard serves what they recorded.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # dashboard_support, dashboard_pipelines (pytest runs with importlib)

from dashboard_support import (  # noqa: E402
    BROKEN_PLUGIN, CHROMIUM, CHROMIUM_ARGS, HOOK_PLUGIN, LEGACY_VALUE, REQUIRE_BROWSER, SECRET_VALUE, Server, Workspace,
    install_plugin,
)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The profile every dashboard test reads: a secret, an alerter referring to it, a few runs."""
    ws = Workspace(tmp_path_factory.mktemp("dashboard"))
    install_plugin(ws.site, "stackyard-dash-hook", "stackyard_dash_hook", HOOK_PLUGIN)
    install_plugin(ws.site, "stackyard-dash-broken", "stackyard_dash_broken", BROKEN_PLUGIN)
    ws.cli("secrets-manager", "register", "vault", "--flavor=local", f"--path={ws.root / 'secrets.json'}")
    ws.cli("stack", "update", "default", "-x", "vault")
    ws.cli("secret", "register", "hook", f"--token={SECRET_VALUE}")
    ws.cli("alerter", "register", "loud", "--flavor=hook", "--token={{hook.token}}")
    ws.cli("stack", "update", "default", "-al", "loud")
    ws.cli("alerter", "register", "old", "--flavor=hook", "--token={{hook.token}}")
    (stored,) = ws.config.rglob("old.toml")
    stored.write_text(stored.read_text().replace("{{hook.token}}", LEGACY_VALUE))  # as an older release wrote it
    ws.cli("stack", "copy", "default", "spare")
    return ws


@pytest.fixture(scope="session")
def runs(workspace: Workspace) -> dict[str, dict[str, str]]:
    """Runs recorded before the tests look: a diamond (then again, from cache), a failure, tables."""
    return {
        "diamond": workspace.run_pipeline("diamond"),
        "diamond_cached": workspace.run_pipeline("diamond"),
        "failing": workspace.run_pipeline("failing"),
        "tables": workspace.run_pipeline("tables"),
    }


@pytest.fixture(scope="session")
def server(workspace: Workspace, runs: dict[str, dict[str, str]]) -> Iterator[Server]:
    started = Server(workspace)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by playwright (headless); skipped where it is missing unless required."""
    required = os.environ.get(REQUIRE_BROWSER) == "1"
    missing = None
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing = "playwright is not installed (pip install playwright; never `playwright install`)"
    if missing:
        if required:
            pytest.fail(f"{missing}, and {REQUIRE_BROWSER}=1 requires the browser tests to run.")
        pytest.skip(f"{missing}; set {REQUIRE_BROWSER}=1 to make this a failure.")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            headless=True, args=CHROMIUM_ARGS,
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
