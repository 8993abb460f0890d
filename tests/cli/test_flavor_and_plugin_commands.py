"""``stackyard <type> flavor list|describe|register`` and ``stackyard plugin list``."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stackyard.enums import StackComponentType

from .conftest import ACME_PLUGIN, table_headers, table_rows

CUSTOM_STORE = '''
from typing import ClassVar

from stackyard_local import LocalArtifactStore


class MirroredStore(LocalArtifactStore):
    """Keeps artifacts in a folder and a mirror."""

    FLAVOR: ClassVar[str] = "mirrored"

    mirror: str = "/tmp/mirror"
'''

BROKEN_PLUGIN = '''
import definitely_not_installed_anywhere
'''

RAISING_PLUGIN = '''
from stackyard import hookimpl


@hookimpl
def stackyard_orchestrator_flavors():
    raise RuntimeError("the cluster is on fire")
'''


def test_flavor_list_shows_package_and_description(ok, acme: str) -> None:
    result = ok("artifact-store", "flavor", "list")
    assert "Running with active profile: 'default' (global)" in result.stderr
    assert table_headers(result.stdout) == ["FLAVOR", "PACKAGE", "DESCRIPTION"]
    rows = table_rows(result.stdout)
    assert ["local", "stackyard-local 0.1.0", "Keeps artifacts in a folder on this machine."] in rows
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    rows = table_rows(ok("alerter", "flavor", "list").stdout)  # other installed packages may add alerters
    assert [row for row in rows if "stackyard-acme" in row[1]] == [["echo", "stackyard-acme 2.1", "Prints alerts to the console."]]
    data = json.loads(ok("alerter", "flavor", "list", "--output", "json").stdout)
    assert [entry for entry in data if entry["package"] == "stackyard-acme"] == [{
        "name": "echo", "type": "alerter", "package": "stackyard-acme", "version": "2.1",
        "source": "stackyard_acme_plugin.EchoAlerter", "description": "Prints alerts to the console.",
    }]


def test_flavor_describe_lists_every_parameter(ok, fails, acme: str) -> None:
    result = ok("alerter", "flavor", "describe", "echo")
    assert result.stdout.startswith(
        "Alerter flavor 'echo' from stackyard-acme 2.1 (stackyard_acme_plugin.EchoAlerter)\n"
        "Prints alerts to the console.\n"
    )
    assert table_headers(result.stdout) == ["PARAMETER", "TYPE", "DEFAULT", "REQUIRED", "DESCRIPTION"]
    assert [row[:4] for row in table_rows(result.stdout)] == [
        ["post_on_failure", "bool", "false", "no"],  # every alerter's option (issue 10)
        ["webhook", "str", "", "yes"],
        ["channel", "str", "general", "no"],
        ["retries", "int", "3", "no"],
        ["ratio", "float", "0.5", "no"],
        ["loud", "bool", "false", "no"],
        ["tags", "list[str]", "[]", "no"],
        ["limits", "dict[str, int]", "{}", "no"],
    ]
    data = json.loads(ok("alerter", "flavor", "describe", "echo", "--output", "json").stdout)
    assert data["parameters"][1] == {
        "name": "webhook", "type": "str", "required": True, "default": None, "description": "", "sensitive": False
    }
    assert data["parameters"][3]["default"] == 3
    result = fails("alerter", "flavor", "describe", "ech")
    installed = [row[0] for row in table_rows(ok("alerter", "flavor", "list").stdout)]  # stackyard-apprise's too
    assert "echo" in installed
    assert f"Error: No alerter flavor named 'ech'. Did you mean 'echo'? Available: {', '.join(installed)}." in result.stderr


def test_flavor_register_from_an_import_path(ok, flavor_module) -> None:
    module = flavor_module("my_stores_a", CUSTOM_STORE)
    result = ok("artifact-store", "flavor", "register", f"{module}.MirroredStore")
    assert result.stdout == f"Registered artifact store flavor 'mirrored' from {module}.MirroredStore.\n"
    rows = table_rows(ok("artifact-store", "flavor", "list").stdout)
    assert ["local", "stackyard-local 0.1.0", "Keeps artifacts in a folder on this machine."] in rows
    assert ["mirrored", "custom", "Keeps artifacts in a folder and a mirror."] in rows
    ok("artifact-store", "register", "twin", "--flavor", "mirrored", "--path", "/tmp/a", "--mirror", "/tmp/b")
    rows = table_rows(ok("artifact-store", "list").stdout)
    assert [row[1:3] for row in rows] == [["default", "local"], ["twin", "mirrored"]]
    described = dict(tuple(row) for row in table_rows(ok("artifact-store", "describe", "twin").stdout))
    assert described["PACKAGE"] == "custom"


def test_flavor_delete_forgets_a_custom_flavor_once_unused(ok, fails, flavor_module) -> None:
    module = flavor_module("my_stores_d", CUSTOM_STORE)
    ok("artifact-store", "flavor", "register", f"{module}.MirroredStore")
    ok("artifact-store", "register", "twin", "--flavor", "mirrored", "--path", "/tmp/a", "--mirror", "/tmp/b")
    assert "is used by component 'twin'; delete that component first." in fails("artifact-store", "flavor", "delete", "mirrored").stderr
    ok("artifact-store", "register", "triplet", "--flavor", "mirrored", "--path", "/tmp/c", "--mirror", "/tmp/d")
    result = fails("artifact-store", "flavor", "delete", "mirrored")
    assert "is used by components 'triplet', 'twin'; delete those components first." in result.stderr
    ok("artifact-store", "delete", "triplet")
    ok("artifact-store", "delete", "twin")
    assert ok("artifact-store", "flavor", "delete", "mirrored").stdout == "Custom artifact store flavor 'mirrored' deleted.\n"
    assert "mirrored" not in ok("artifact-store", "flavor", "list").stdout
    assert "comes from the installed package stackyard-local" in fails("artifact-store", "flavor", "delete", "local").stderr


def test_flavor_register_refuses_a_class_of_another_type(ok, fails, flavor_module, config_dir) -> None:
    module = flavor_module("my_stores_b", CUSTOM_STORE)
    result = fails("orchestrator", "flavor", "register", f"{module}.MirroredStore")
    assert "is not a orchestrator flavor" in result.stderr or "is not an orchestrator flavor" in result.stderr
    assert not (config_dir / "profiles" / "default" / "flavors").exists()


def test_flavor_register_errors(ok, fails, flavor_module) -> None:
    assert "is not an import path" in fails("artifact-store", "flavor", "register", "nodots").stderr
    assert "Cannot import 'no_such_module'" in fails("artifact-store", "flavor", "register", "no_such_module.Store").stderr
    module = flavor_module("my_stores_c", CUSTOM_STORE.replace('"mirrored"', '"local"'))
    result = fails("artifact-store", "flavor", "register", f"{module}.MirroredStore")
    assert "already provided by stackyard-local 0.1.0" in result.stderr


def test_plugin_list_shows_each_entry_point_and_its_flavors(ok, acme: str) -> None:
    result = ok("plugin", "list")
    assert table_headers(result.stdout) == ["PLUGIN", "PACKAGE", "HOOKS", "FLAVORS", "STATUS"]
    rows = table_rows(result.stdout)
    names = [row[0] for row in rows if row[0]]
    assert names[0] == "local"  # the built-in flavors come first
    assert "acme" in names
    start = next(i for i, row in enumerate(rows) if row[0] == "acme")
    assert rows[start] == ["acme", "stackyard-acme 2.1", "alerter_flavors", "alerter/echo", "loaded"]
    assert rows[start + 1] == ["", "", "container_registry_flavors", "container-registry/plain", ""]


def test_plugin_list_json(ok, acme: str) -> None:
    data = json.loads(ok("plugin", "list", "--output", "json").stdout)
    acme_info = next(p for p in data if p["name"] == "acme")
    assert acme_info["package"] == "stackyard-acme"
    assert acme_info["version"] == "2.1"
    assert acme_info["status"] == "loaded"
    assert acme_info["error"] is None
    assert sorted(acme_info["flavors"]) == ["alerter/echo", "container_registry/plain"]


def test_a_broken_plugin_is_listed_with_its_error_and_stops_nothing(ok, make_plugin) -> None:
    make_plugin("stackyard-broken", "stackyard_broken_plugin", BROKEN_PLUGIN, entry_point="broken")
    make_plugin("stackyard-fire", "stackyard_fire_plugin", RAISING_PLUGIN, entry_point="fire")
    rows = table_rows(ok("plugin", "list").stdout)
    text = " ".join(" ".join(row) for row in rows)
    assert "broken stackyard-broken 1.0   failed" in text
    assert "definitely_not_installed_anywhere" in text
    assert "fire stackyard-fire 1.0 orchestrator_flavors  failed" in text
    assert "the cluster is on fire" in " ".join(text.split())
    data = {p["name"]: p for p in json.loads(ok("plugin", "list", "--output", "json").stdout)}
    assert data["broken"]["status"] == "failed"
    assert "ModuleNotFoundError" in data["broken"]["error"]
    # everything else still works, and flavor lists say what failed
    ok("stack", "list")
    result = ok("orchestrator", "flavor", "list")
    assert "local" in [row[0] for row in table_rows(result.stdout)]  # other installed packages may add flavors
    assert "Plugin 'fire' (stackyard-fire 1.0) failed" in result.stderr


def test_disabled_plugins_are_listed_as_disabled(ok, acme: str) -> None:
    data = json.loads(ok("plugin", "list", "--output", "json", env={"STACKYARD_DISABLE_PLUGINS": "acme"}).stdout)
    assert {p["name"]: p["status"] for p in data}["acme"] == "disabled"


def test_plugin_new_writes_a_flavor_package(ok, fails, tmp_path) -> None:
    result = ok("plugin", "new", "acme", "--type", "alerter", "--dir", str(tmp_path))
    target = tmp_path / "stackyard-acme"
    assert result.stdout.startswith(f"Created the flavor package stackyard-acme in {target}.\n")
    assert f"pip install -e {target}" in result.stdout
    assert (target / "pyproject.toml").is_file()
    assert (target / "src" / "stackyard_acme" / "alerter.py").is_file()
    assert "already exists and is not empty" in fails("plugin", "new", "acme", "-t", "alerter", "--dir", str(tmp_path)).stderr
    assert "cannot name a package" in fails("plugin", "new", "Not A Name", "-t", "alerter", "--dir", str(tmp_path)).stderr
    assert "cannot name a package" in fails("plugin", "new", "1acme", "-t", "alerter", "--dir", str(tmp_path)).stderr
    assert "cannot name a package" in fails("plugin", "new", "acme-", "-t", "alerter", "--dir", str(tmp_path)).stderr
    assert "Invalid value for '--type'" in fails("plugin", "new", "x", "-t", "spaceship", code=2).stderr


@pytest.mark.parametrize("name", ["Acme_X", "acme.x", "Stackyard-ACME--x", "stackyard_acme_x"])
def test_plugin_new_normalises_a_name_as_pip_does(ok, tmp_path, name: str) -> None:
    """Every spelling pip treats as one project (PEP 503) writes the one package stackyard-acme-x."""
    result = ok("plugin", "new", name, "--type", "alerter", "--dir", str(tmp_path))
    target = tmp_path / "stackyard-acme-x"
    assert result.stdout.startswith(f"Created the flavor package stackyard-acme-x in {target}.\n")
    assert 'name = "stackyard-acme-x"' in (target / "pyproject.toml").read_text()
    assert (target / "src" / "stackyard_acme_x" / "alerter.py").is_file()
    assert 'FLAVOR: ClassVar[str] = "acme-x"' in (target / "src" / "stackyard_acme_x" / "alerter.py").read_text()


def test_plugin_list_shows_clashing_flavors(ok, make_plugin) -> None:
    make_plugin("stackyard-acme", "stackyard_acme_plugin", ACME_PLUGIN, entry_point="acme", version="2.1")
    make_plugin("stackyard-copycat", "stackyard_copycat_plugin", ACME_PLUGIN, entry_point="copycat", version="0.3")
    result = ok("plugin", "list")
    text = " ".join(" ".join(row) for row in table_rows(result.stdout))
    assert "alerter/echo (clashes with stackyard-copycat 0.3; used)" in text
    assert "alerter/echo (clashes with stackyard-acme 2.1; not used)" in text
    assert "alerter flavor 'echo' is provided by stackyard-acme 2.1 and by stackyard-copycat 0.3" in result.stderr
    data = {p["name"]: p for p in json.loads(ok("plugin", "list", "--output", "json").stdout)}
    assert data["copycat"]["clashes"] == [
        {"flavor": "alerter/echo", "packages": ["stackyard-acme 2.1", "stackyard-copycat 0.3"]},
        {"flavor": "container_registry/plain", "packages": ["stackyard-acme 2.1", "stackyard-copycat 0.3"]},
    ]


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("import definitely_not_installed_anywhere\n", "No module named 'definitely_not_installed_anywhere'"),
        (
            "from stackyard import hookimpl\n@hookimpl\ndef stackyard_alerter_flavors():\n    raise RuntimeError('boom')\n",
            "stackyard_alerter_flavors raised RuntimeError: boom",
        ),
        (
            "from stackyard import hookimpl\n@hookimpl\ndef stackyard_alerter_flavors():\n    return 'garbage'\n",
            "stackyard_alerter_flavors returned 'garbage', not a list of flavor classes",
        ),
        (
            "from stackyard import hookimpl\nfrom stackyard.alerters import BaseAlerter\n"
            "class NoFlavor(BaseAlerter):\n    def post(self, m): return True\n    def ask(self, q): return True\n"
            "@hookimpl\ndef stackyard_alerter_flavors():\n    return [NoFlavor]\n",
            "is a concrete alerter without a FLAVOR",
        ),
    ],
    ids=["import-error", "raising-hook", "garbage", "missing-FLAVOR"],
)
def test_no_broken_plugin_breaks_any_command(ok, make_plugin, code: str, cause: str) -> None:
    make_plugin("stackyard-broken", "stackyard_broken_plugin", code, entry_point="broken")
    for command in (
        ["--help"],
        ["--version"],
        ["stack", "list"],
        ["stack", "describe"],
        ["alerter", "flavor", "list"],
        ["artifact-store", "list"],
        ["artifact-store", "register", "extra", "--flavor=local", "--path=/tmp/extra"],
        ["profile", "list"],
        ["pipeline", "list"],
    ):
        result = ok(*command)
        assert "Traceback" not in result.stderr
    data = {p["name"]: p for p in json.loads(ok("plugin", "list", "--output", "json").stdout)}
    assert data["broken"]["status"] == "failed"
    assert cause in data["broken"]["error"]


@pytest.mark.slow
def test_the_cli_wheel_ships_the_package_templates_and_the_pytest_fixture(tmp_path) -> None:
    cli_project = Path(__file__).parents[2] / "cli"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(cli_project)],
        check=True,
    )
    (wheel,) = tmp_path.glob("stackyard_cli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    for component_type in StackComponentType:
        assert f"stackyard_cli/templates/plugin/flavors/{component_type.value}.py.tmpl" in names
    assert "stackyard_cli/templates/plugin/test_flavor.py.tmpl" in names
    assert "[pytest11]\nstackyard_cli = stackyard_cli.testing" in entry_points
