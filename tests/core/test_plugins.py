"""Flavors as plugins: entry points, isolation of broken plugins, conflicts, custom flavors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.enums import StackComponentType
from stackyard.exceptions import FlavorExistsError, InvalidFlavorError
from stackyard.plugins import get_registry

ALERTER_PLUGIN = '''
from typing import ClassVar
from stackyard import hookimpl
from stackyard.alerters import BaseAlerter


class ConsoleAlerter(BaseAlerter):
    """Prints alerts to the console."""

    FLAVOR: ClassVar[str] = "{flavor}"
    prefix: str = ">>"

    def post(self, message: str) -> bool:
        print(self.prefix, message)
        return True

    def ask(self, question: str) -> bool:
        return False


@hookimpl
def stackyard_alerter_flavors():
    return [ConsoleAlerter]
'''


def plugin_named(name: str) -> object:
    return next(p for p in get_registry().plugins if p.name == name)


def alerter_flavor_names() -> list[str]:
    """The alerter flavors installed right now. Other flavor packages may provide some (stackyard-apprise
    does), so a test compares with what was there before its own plugins, not with an empty list."""
    return [f.name for f in Repository().get_flavors("alerter")]


def test_builtin_local_flavors_come_through_their_own_entry_point() -> None:
    local = plugin_named("local")
    assert (local.package, local.status, local.value) == ("stackyard-local", "loaded", "stackyard_local.plugin")
    assert sorted(local.hooks) == [
        "stackyard_artifact_store_flavors",
        "stackyard_container_registry_flavors",
        "stackyard_metadata_store_flavors",
        "stackyard_orchestrator_flavors",
        "stackyard_secrets_manager_flavors",
        "stackyard_step_operator_flavors",
    ]
    assert (StackComponentType.METADATA_STORE, "sqlite") in local.flavors


def test_an_installed_plugin_provides_flavors(make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-console", "stackyard_console_plugin", ALERTER_PLUGIN.format(flavor="console"), version="2.3.1")
    repo = Repository()
    flavor = repo.get_flavor("alerter", "console")
    assert (flavor.package, flavor.version, flavor.description) == (
        "stackyard-console",
        "2.3.1",
        "Prints alerts to the console.",
    )
    repo.register_stack_component(flavor.create("shout", {"prefix": "!!"}))
    assert repo.load_stack_component("alerter", "shout").prefix == "!!"
    assert repo.get_component_record("alerter", "shout").package == "stackyard-console"


@pytest.mark.parametrize(
    ("code", "status_error"),
    [
        ("import not_a_module_anywhere\n", "cannot load stackyard_broken_plugin: ModuleNotFoundError"),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
        (
            "from stackyard import hookimpl\n@hookimpl\ndef stackyard_alerter_flavors():\n    raise ValueError('hook exploded')\n",
            "stackyard_alerter_flavors raised ValueError: hook exploded",
        ),
        (
            "from stackyard import hookimpl\n@hookimpl\ndef stackyard_alerter_flavors():\n    return 42\n",
            "stackyard_alerter_flavors returned 42, not a list of flavor classes",
        ),
        (
            "from stackyard import hookimpl\n@hookimpl\ndef stackyard_alerter_flavors():\n    return [dict]\n",
            "returned an invalid flavor: builtins.dict is not a stack component class",
        ),
        (
            "from stackyard import hookimpl\nfrom stackyard_local import LocalArtifactStore\n"
            "@hookimpl\ndef stackyard_alerter_flavors():\n    return [LocalArtifactStore]\n",
            "is not a alerter flavor",
        ),
        (
            "from typing import ClassVar\nfrom stackyard.alerters import BaseAlerter\n"
            "class NoFlavor(BaseAlerter):\n    def post(self, m): return True\n    def ask(self, q): return True\n",
            "InvalidFlavorError",
        ),
    ],
    ids=["import-error", "raising-import", "raising-hook", "garbage", "not-a-component", "wrong-type", "no-flavor"],
)
def test_a_broken_plugin_is_recorded_and_harms_nothing(
    make_plugin: Callable[..., Path], code: str, status_error: str
) -> None:
    before = alerter_flavor_names()
    make_plugin("stackyard-broken", "stackyard_broken_plugin", code)
    make_plugin("stackyard-console", "stackyard_console_plugin", ALERTER_PLUGIN.format(flavor="console"))
    broken = plugin_named("stackyard-broken")
    assert broken.status == "failed"
    assert status_error.replace("a alerter", "an alerter") in broken.error or status_error in broken.error
    assert broken.package == "stackyard-broken" and broken.version == "1.0"
    assert alerter_flavor_names() == sorted([*before, "console"])  # the broken plugin added nothing
    assert Repository().active_stack.orchestrator.FLAVOR == "local"


def test_a_broken_plugin_can_be_disabled(make_plugin: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_plugin("stackyard-broken", "stackyard_broken_plugin", "raise SystemExit(3)\n")
    assert plugin_named("stackyard-broken").status == "failed"
    monkeypatch.setenv("STACKYARD_DISABLE_PLUGINS", "stackyard-broken")
    assert plugin_named("stackyard-broken").status == "disabled"


def test_flavor_conflicts_name_both_packages(make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-alpha", "alpha_plugin", ALERTER_PLUGIN.format(flavor="console"))
    make_plugin("stackyard-beta", "beta_plugin", ALERTER_PLUGIN.format(flavor="console"))
    (conflict,) = get_registry().conflicts
    assert "'console' is provided by stackyard-alpha 1.0 and by stackyard-beta 1.0" in str(conflict)
    assert Repository().get_flavor("alerter", "console").package == "stackyard-alpha"


def test_listing_flavors_does_not_import_heavy_dependencies(make_plugin: Callable[..., Path]) -> None:
    code = ALERTER_PLUGIN.format(flavor="lazy").replace(
        "print(self.prefix, message)", "import heavy_dependency_nobody_has\n        print(message)"
    )
    before = alerter_flavor_names()
    make_plugin("stackyard-lazy", "lazy_plugin", code)
    assert alerter_flavor_names() == sorted([*before, "lazy"])


# -- custom flavors ----------------------------------------------------------


def write_custom(folder: Path, module: str, flavor: str, base: str = "alerter") -> None:
    folder.joinpath(f"{module}.py").write_text(ALERTER_PLUGIN.format(flavor=flavor).split("@hookimpl")[0])


def test_register_a_custom_flavor_from_the_repository_root(isolated: Path) -> None:
    Repository.initialize(isolated)
    write_custom(isolated, "my_alerts", "mine")
    before = alerter_flavor_names()
    repo = Repository()
    flavor = repo.register_flavor("my_alerts.ConsoleAlerter")
    assert (flavor.type, flavor.name, flavor.package, flavor.is_custom) == (
        StackComponentType.ALERTER,
        "mine",
        "custom",
        True,
    )
    assert [f.name for f in repo.get_flavors("alerter")] == sorted([*before, "mine"])
    repo.register_stack_component(repo.get_flavor("alerter", "mine").create("a1", {}))
    assert repo.get_component_record("alerter", "a1").package is None


def test_custom_flavor_is_refused_when_it_clashes_or_is_not_a_flavor(isolated: Path) -> None:
    write_custom(isolated, "clash_alerts", "mine")
    (isolated / "more_alerts.py").write_text(
        (isolated / "clash_alerts.py").read_text().replace("ConsoleAlerter", "Other")
    )
    (isolated / "not_a_flavor.py").write_text("class Thing:\n    pass\n")
    (isolated / "local_clash.py").write_text(
        "from typing import ClassVar\nfrom stackyard_local import LocalArtifactStore\n"
        "class Mine(LocalArtifactStore):\n    FLAVOR: ClassVar[str] = 'local'\n"
        "class Forgot(LocalArtifactStore):\n    pass\n"
    )
    before = alerter_flavor_names()
    repo = Repository()
    repo.register_flavor("clash_alerts.ConsoleAlerter")
    with pytest.raises(FlavorExistsError, match="already registered from clash_alerts.ConsoleAlerter"):
        repo.register_flavor("more_alerts.Other")
    with pytest.raises(FlavorExistsError, match="already provided by stackyard-local 0.1.0"):
        repo.register_flavor("local_clash.Mine")
    with pytest.raises(InvalidFlavorError, match="defines no FLAVOR of its own .it would pose as 'local'"):
        repo.register_flavor("local_clash.Forgot")
    with pytest.raises(InvalidFlavorError, match="not a stack component class"):
        repo.register_flavor("not_a_flavor.Thing")
    with pytest.raises(InvalidFlavorError, match="Cannot import 'no_such_module'"):
        repo.register_flavor("no_such_module.Class")
    with pytest.raises(InvalidFlavorError, match="not an import path"):
        repo.register_flavor("JustAName")
    assert [f.name for f in repo.get_flavors("alerter")] == sorted([*before, "mine"])


def test_an_unregistered_class_cannot_back_a_component() -> None:
    from stackyard_local import LocalArtifactStore

    class Sneaky(LocalArtifactStore):
        pass

    with pytest.raises(InvalidFlavorError, match="not the registered artifact store flavor 'local'"):
        Repository().register_stack_component(Sneaky(name="s", path="/tmp/s"))


def test_a_misspelled_hook_is_reported(make_plugin: Callable[..., Path]) -> None:
    make_plugin(
        "stackyard-typo",
        "typo_plugin",
        "from stackyard import hookimpl\n@hookimpl\ndef stackyard_artefact_store_flavors():\n    return []\n",
    )
    typo = plugin_named("stackyard-typo")
    assert typo.status == "failed"
    assert typo.error == (
        "implements unknown hook stackyard_artefact_store_flavors "
        "(did you mean stackyard_artifact_store_flavors?)"
    )


def test_star_disables_every_plugin_but_the_builtin_one(
    make_plugin: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plugin("stackyard-console", "stackyard_console_plugin", ALERTER_PLUGIN.format(flavor="console"))
    monkeypatch.setenv("STACKYARD_DISABLE_PLUGINS", "*")
    statuses = {p.package: p.status for p in get_registry().plugins}
    assert statuses["stackyard-console"] == "disabled"
    assert statuses["stackyard-local"] == "loaded"
    assert Repository().get_flavors("alerter") == []


def test_a_broken_materializers_hook_is_reported(make_plugin: Callable[..., Path]) -> None:
    make_plugin(
        "stackyard-mat",
        "mat_plugin",
        "from stackyard import hookimpl\n@hookimpl\ndef stackyard_materializers():\n    return [int]\n",
    )
    make_plugin(
        "stackyard-mat2",
        "mat2_plugin",
        "from stackyard import hookimpl\n@hookimpl\ndef stackyard_materializers():\n    raise OSError('no disk')\n",
    )
    assert plugin_named("stackyard-mat").status == "failed"
    assert "stackyard_materializers returned <class 'int'>, not a subclass of" in plugin_named("stackyard-mat").error
    assert plugin_named("stackyard-mat2").error == "stackyard_materializers raised OSError: no disk"


def test_a_hook_returning_a_subclass_without_its_own_flavor_is_reported(make_plugin: Callable[..., Path]) -> None:
    make_plugin(
        "stackyard-forgot",
        "forgot_plugin",
        "from stackyard import hookimpl\nfrom stackyard_local import LocalArtifactStore\n"
        "class ForgotFlavorStore(LocalArtifactStore):\n    pass\n"
        "@hookimpl\ndef stackyard_artifact_store_flavors():\n    return [ForgotFlavorStore]\n",
    )
    assert "defines no FLAVOR of its own" in plugin_named("stackyard-forgot").error
    assert get_registry().conflicts == []


def test_what_a_plugin_prints_while_loading_goes_to_stderr(
    make_plugin: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    make_plugin("stackyard-chatty", "chatty_plugin", "print('HELLO FROM A PLUGIN')\n")
    get_registry()
    captured = capsys.readouterr()
    assert "HELLO FROM A PLUGIN" not in captured.out
    assert "HELLO FROM A PLUGIN" in captured.err


def test_discovery_imports_no_profile_or_repository_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from stackyard.plugins import get_registry; from stackyard.enums import StackComponentType as T\n"
        "r = get_registry(); [f.implementation for t in T for f in r.flavors(t)]\n"
        "print(sorted(m for m in ('stackyard.profiles', 'stackyard.defaults', 'stackyard.repository') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("import sys\nsys.exit(2)\n", "SystemExit(2): the plugin tried to end the process"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt raised by the plugin itself"),
    ],
)
def test_importing_a_flavor_class_that_exits_is_a_flavor_error(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: str, reason: str
) -> None:
    """A flavor class imported lazily (warm cache, materializers, CLI modules) is isolated like discovery."""
    from stackyard.plugins import import_object

    (isolated / "exiting_flavor.py").write_text("print('PRINTED AT IMPORT')\n" + code)
    monkeypatch.syspath_prepend(str(isolated))
    with pytest.raises(InvalidFlavorError, match=re.escape(reason)):
        import_object("exiting_flavor.Flavor")
    captured = capsys.readouterr()
    assert "PRINTED AT IMPORT" in captured.err and "PRINTED AT IMPORT" not in captured.out


def test_a_real_ctrl_c_in_plugin_code_goes_on() -> None:
    import os
    import signal

    from stackyard.plugins.isolation import plugin_code

    with pytest.raises(KeyboardInterrupt):
        with plugin_code():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs between bytecodes
                pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
