"""A broken plugin never takes a command down, never spoils its output, and is named.

Each test installs one misbehaving plugin distribution (a module and its
dist-info on ``PYTHONPATH``), then runs the real ``stackyard`` program through
several commands: they work, ``plugin list`` names the plugin as failed with
its reason, and stdout of ``--output json`` stays JSON.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

STACKYARD = str(Path(sys.executable).with_name("stackyard"))


class Site:
    """A folder of installed plugin distributions for ``stackyard`` subprocesses."""

    def __init__(self, root: Path, config: Path) -> None:
        self.root = root
        self.config = config
        root.mkdir(exist_ok=True)

    def install(self, module: str, code: str, *, files: dict[str, str] | None = None, version: str = "1.0") -> None:
        """Install ``stackyard-<module>`` whose entry point ``<module>`` is the module ``code``."""
        (self.root / f"{module}.py").write_text(textwrap.dedent(code))
        for name, text in (files or {}).items():
            (self.root / name).write_text(textwrap.dedent(text))
        info = self.root / f"stackyard_{module}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: stackyard-{module}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[stackyard.plugins]\n{module} = {module}\n")

    def env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_")},
            "PYTHONPATH": str(self.root),
            "STACKYARD_CONFIG_PATH": str(self.config),
            "NO_COLOR": "1",
            "COLUMNS": "400",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [STACKYARD, *args], env=self.env(), capture_output=True, text=True, timeout=120, cwd=self.root.parent
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"stackyard {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr and "Unexpected" not in result.stderr, result.stderr
        assert "Aborted!" not in result.stderr
        return result

    def plugin(self, name: str) -> dict[str, object]:
        """The plugin's entry in ``plugin list --output json`` (whose stdout must be JSON)."""
        plugins = json.loads(self.ok("plugin", "list", "--output", "json").stdout)
        return next(p for p in plugins if p["name"] == name)


@pytest.fixture
def site(tmp_path: Path, config_dir: Path) -> Site:
    return Site(tmp_path / "site", config_dir)


def assert_commands_work(site: Site) -> None:
    """The commands that do not need the broken plugin work, and their JSON output is JSON."""
    assert json.loads(site.ok("stack", "list", "--output", "json").stdout)[0]["name"] == "default"
    assert "local" in site.ok("orchestrator", "flavor", "list").stdout
    site.ok("artifact-store", "register", "scratch", "--flavor=local", "--path=./x")


ALERTER = '''
from typing import ClassVar
from stackyard.alerters import BaseAlerter

class LoudAlerter(BaseAlerter):
    """An alerter."""
    FLAVOR: ClassVar[str] = "loud"
    channel: str = "general"

    def post(self, message):
        return True

    def ask(self, question):
        return True
'''


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("raise ImportError('no such thing')", "cannot load broken: ImportError: no such thing"),
        ("import sys\nsys.exit(3)", "cannot load broken: SystemExit(3)"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt raised by the plugin itself"),
    ],
    ids=["import-error", "system-exit", "own-keyboard-interrupt"],
)
def test_a_plugin_failing_at_import_is_recorded_and_skipped(site: Site, code: str, reason: str) -> None:
    site.install("broken", code)
    assert_commands_work(site)
    entry = site.plugin("broken")
    assert entry["status"] == "failed"
    assert reason in str(entry["error"])
    listed = site.ok("plugin", "list").stdout
    assert "broken" in listed and "failed" in listed


@pytest.mark.parametrize(
    ("hook", "reason"),
    [
        ("raise RuntimeError('hook blew up')", "stackyard_alerter_flavors raised RuntimeError: hook blew up"),
        ("raise SystemExit(4)", "stackyard_alerter_flavors raised SystemExit(4)"),
        ("return 42", "stackyard_alerter_flavors returned 42, not a list of flavor classes"),
        ("return [object]", "stackyard_alerter_flavors returned an invalid flavor:"),
    ],
    ids=["raises", "system-exit", "garbage", "not-a-flavor"],
)
def test_a_misbehaving_hook_is_recorded_on_its_plugin(site: Site, hook: str, reason: str) -> None:
    site.install("hooky", f"from stackyard import hookimpl\n\n@hookimpl\ndef stackyard_alerter_flavors():\n    {hook}\n")
    assert_commands_work(site)
    entry = site.plugin("hooky")
    assert entry["status"] == "failed"
    assert reason in str(entry["error"])


def test_a_plugin_printing_at_import_keeps_json_output_clean_with_a_warm_cache(site: Site) -> None:
    plugin = "from stackyard import hookimpl\n\n@hookimpl\ndef stackyard_alerter_flavors():\n    from chatty_flavors import LoudAlerter\n    return [LoudAlerter]\n"
    site.install("chatty", plugin, files={"chatty_flavors.py": "print('HELLO FROM CHATTY')\n" + ALERTER})
    site.ok("alerter", "register", "shout", "--flavor=loud")  # discovery: the cache is now warm
    cache = list((site.config / "cache").glob("plugins-*.json"))
    assert cache, "discovery was not cached"
    result = site.ok("alerter", "flavor", "describe", "loud", "--output", "json")
    assert "HELLO FROM CHATTY" in result.stderr  # a new process imported chatty_flavors lazily, from the cache
    assert "HELLO" not in result.stdout
    assert json.loads(result.stdout)["name"] == "loud"
    assert "HELLO" not in site.ok("alerter", "list", "--output", "json").stdout


def test_a_plugin_cli_command_module_that_is_broken_fails_alone(site: Site) -> None:
    plugin = '''
    from stackyard import hookimpl
    from stackyard.plugins import CliCommand

    @hookimpl
    def stackyard_cli_commands():
        return [CliCommand("dash", "dash_cli:dash", "Show a dashboard."), CliCommand("quit", "quit_cli:quit", "Quits.")]
    '''
    site.install("cmds", plugin, files={"dash_cli.py": "raise ImportError('dash is broken')\n", "quit_cli.py": "import sys\nprint('QUIT OUT')\nsys.exit(5)\n"})
    site.ok("stack", "list")
    for name, reason in (("dash", "ImportError: dash is broken"), ("quit", "SystemExit(5)")):
        result = site.run(name, "--flag")
        assert result.returncode == 1, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1 and reason in errors[0], result.stderr
        assert f"The '{name}' command of plugin cmds (stackyard-cmds) failed to load" in errors[0]
        assert "QUIT OUT" not in result.stdout
    listed = [line.split(None, 1) for line in site.ok("--help").stdout.splitlines()]  # "dash" is in "dashboard" too
    assert ["dash", "Show a dashboard."] in listed and ["quit", "Quits."] in listed
    assert_commands_work(site)


def test_a_plugin_that_ends_the_process_is_named_and_skipped_until_it_changes(site: Site) -> None:
    site.ok("stack", "list")  # the default profile first: it needs no other plugin
    site.install("killer", "import os\nos._exit(9)\n")
    died = site.run("plugin", "list")
    assert died.returncode == 9  # nothing can stop os._exit ...
    markers = list((site.config / "cache").glob("discovering-*.json"))
    assert len(markers) == 1  # ... but the marker it leaves names the plugin

    for _ in range(2):  # every command that discovers plugins names it in one line, and goes on
        result = site.ok("alerter", "flavor", "list")
        warnings = [line for line in result.stderr.splitlines() if "killer" in line]
        assert len(warnings) == 1, result.stderr
        assert "Plugin 'killer' (stackyard-killer 1.0) failed: ended the process while it was being loaded" in warnings[0]
        assert "skipped until it changes" in warnings[0]
    entry = site.plugin("killer")
    assert entry["status"] == "failed" and "ended the process while it was being loaded" in str(entry["error"])
    assert_commands_work(site)
    assert not list((site.config / "cache").glob("discovering-*.json"))

    time.sleep(0.01)
    site.install("killer", "x = 1\n")  # fixed: loaded again
    assert site.plugin("killer")["status"] == "loaded"


def test_a_marker_of_a_running_discovery_blames_nothing(site: Site) -> None:
    site.ok("stack", "list")
    site.install("slowpoke", "x = 1\n")
    cache = site.config / "cache"
    from stackyard.plugins.markers import process_start_time

    own = {"pid": os.getpid(), "started": process_start_time(os.getpid()), "executable": sys.executable, "prefix": sys.prefix}
    alive = cache / f"discovering-{os.getpid()}.json"  # this test process is alive: a discovery in progress
    alive.write_text(json.dumps({**own, "name": "slowpoke", "value": "slowpoke", "package": "stackyard-slowpoke", "version": "1.0"}))
    result = site.ok("stack", "list")
    assert "slowpoke" not in result.stderr
    assert site.plugin("slowpoke")["status"] == "loaded"
    assert alive.exists()  # left to its owner


def test_ctrl_c_during_discovery_exits_130_and_caches_nothing(site: Site) -> None:
    site.ok("stack", "list")
    started = site.root / "STARTED"
    site.install("sleepy", f"import pathlib, time\npathlib.Path({str(started)!r}).write_text('x')\ntime.sleep(60)\n")
    process = subprocess.Popen(
        [STACKYARD, "plugin", "list"], env=site.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Interrupted." in stderr and "Aborted!" not in stderr and "Traceback" not in stderr
    cache = site.config / "cache"
    assert not list(cache.glob("plugins-*.json")) and not list(cache.glob("discovering-*")) and not list(cache.glob("crashed-*"))


def test_a_fresh_config_needs_only_the_local_flavors(site: Site) -> None:
    site.install("killer", "import os\nos._exit(9)\n")
    result = site.ok("stack", "list", "--output", "json")  # creates the default profile without loading killer
    assert json.loads(result.stdout)[0]["name"] == "default"
    assert not list((site.config / "cache").glob("crashed-*"))
