"""Plugin discovery is cached on disk, and the cache never hides or invents a flavor."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


PLUGIN = '''
from typing import ClassVar
from stackyard import hookimpl
from stackyard.alerters import BaseAlerter


class Beeper(BaseAlerter):
    """Beeps."""

    FLAVOR: ClassVar[str] = "{flavor}"

    def post(self, message):
        return True

    def ask(self, question):
        return False


@hookimpl
def stackyard_alerter_flavors():
    return [Beeper]
'''

LIST = """
import json, sys
from importlib.metadata import entry_points
from stackyard.plugins import get_registry
from stackyard.profiles import config_dir
from stackyard.enums import StackComponentType
registry = get_registry(config_dir() / "cache")
alerters = registry.flavors(StackComponentType.ALERTER)
plugin_packages = {ep.value.split(":")[0].split(".")[0] for ep in entry_points(group="stackyard.plugins")}
print(json.dumps({
    "flavors": [f.name for f in alerters if f.package == "stackyard-beeper"],
    "descriptions": [f.description for f in alerters if f.package == "stackyard-beeper"],
    "others": [[f.name, f.package] for f in alerters if f.package != "stackyard-beeper"],
    "imported": sorted(m for m in sys.modules if m.split(".")[0] in plugin_packages),
}))
"""
"""Lists the alerter flavors of the test's own package (``flavors``) apart from those of the flavor packages
installed in this environment (``others``, e.g. stackyard-apprise's), and every module of any installed plugin
package imported by the listing."""


def uncached_alerters() -> list[list[str]]:
    """The installed packages' alerter flavors, discovered in this process without any cache."""
    from stackyard.enums import StackComponentType
    from stackyard.plugins import get_registry, reset_registry

    reset_registry()
    try:
        return [[f.name, f.package] for f in get_registry().flavors(StackComponentType.ALERTER)]
    finally:
        reset_registry()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


def install(site: Path, flavor: str = "beep") -> None:
    (site / "beeper_plugin.py").write_text(textwrap.dedent(PLUGIN.format(flavor=flavor)))
    info = site / "stackyard_beeper-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stackyard-beeper\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[stackyard.plugins]\nbeeper = beeper_plugin\n")


def listing(site: Path, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", LIST],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", **env},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data.pop("others") == uncached_alerters(), "the cache hid or invented another package's flavor"
    return data


def test_a_cached_listing_imports_no_plugin_module(site: Path) -> None:
    install(site)
    first = listing(site)
    assert first["flavors"] == ["beep"]
    assert "beeper_plugin" in first["imported"]
    second = listing(site)
    assert second["flavors"] == ["beep"] and second["descriptions"] == ["Beeps."]
    assert second["imported"] == [], "served from the cache without importing plugins"


def test_installing_a_plugin_is_seen_at_once(site: Path) -> None:
    assert listing(site)["flavors"] == []
    install(site)
    assert listing(site)["flavors"] == ["beep"]


def test_uninstalling_a_plugin_is_seen_at_once(site: Path) -> None:
    install(site)
    assert listing(site)["flavors"] == ["beep"]
    shutil.rmtree(site / "stackyard_beeper-1.0.dist-info")
    (site / "beeper_plugin.py").unlink()
    assert listing(site)["flavors"] == []


def test_editing_an_editable_plugin_is_seen_at_once(site: Path) -> None:
    install(site, flavor="beep")
    assert listing(site)["flavors"] == ["beep"]
    install(site, flavor="honk-honk")
    assert listing(site)["flavors"] == ["honk-honk"]


def test_disabling_a_plugin_is_not_hidden_by_the_cache(site: Path) -> None:
    install(site)
    assert listing(site)["flavors"] == ["beep"]
    assert listing(site, STACKYARD_DISABLE_PLUGINS="beeper")["flavors"] == []
    assert listing(site)["flavors"] == ["beep"]


def test_a_damaged_cache_is_rebuilt(site: Path) -> None:
    install(site)
    listing(site)
    files = list((Path(os.environ["STACKYARD_CONFIG_PATH"]) / "cache").glob("plugins-*.json"))
    assert len(files) == 1
    files[0].write_text("{not json")
    assert listing(site)["flavors"] == ["beep"]
    json.loads(files[0].read_text())


def test_the_cache_can_be_turned_off(site: Path) -> None:
    install(site)
    assert listing(site, STACKYARD_PLUGIN_CACHE="0")["imported"] != []
    assert listing(site, STACKYARD_PLUGIN_CACHE="0")["imported"] != []
    assert list((Path(os.environ["STACKYARD_CONFIG_PATH"]) / "cache").glob("*.json")) == []


def test_a_broken_plugin_fixed_in_place_is_seen_at_once(site: Path) -> None:
    install(site)
    broken = (site / "beeper_plugin.py").read_text().replace('FLAVOR: ClassVar[str] = "beep"', "")
    (site / "beeper_plugin.py").write_text(broken)
    assert listing(site)["flavors"] == []
    assert listing(site)["flavors"] == []
    install(site, flavor="beep")  # fixed, same folder, same entry point
    assert listing(site)["flavors"] == ["beep"]


def test_changing_the_working_directory_keeps_the_cache(site: Path, tmp_path: Path) -> None:
    install(site)
    listing(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", LIST],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert json.loads(result.stdout)["imported"] == [], "served from the cache made in another folder"
