"""The real ``stackyard`` program in subprocesses: a session, exit codes, imports, terminals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import stackyard_command, table_rows

IMPORT_PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n"))
from stackyard_cli.main import main
sys.argv = ["stackyard", *sys.argv[1:]]
main()
"""
HEAVY = ("attrs", "cattrs", "pluggy", "importlib.metadata", "rich", "tempfile")
NOT_FOR_LISTING = ("stackyard.plugins", "stackyard.stack", "stackyard.pipelines", "stackyard.materializers", "stackyard.serialization")


def imported_modules(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, *args], capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


def test_a_session_with_the_real_program(shell) -> None:
    result = shell("profile", "create", "zenml")
    assert result.returncode == 0, result.stderr
    assert "Profile 'zenml' successfully created." in result.stdout
    assert shell("profile", "set", "zenml").returncode == 0
    result = shell("stack", "register", "custom", "-m", "default", "-a", "default", "-o", "default", "--set")
    assert result.returncode == 0
    assert "Registered stack with name 'custom'." in result.stderr
    result = shell("stack", "list")
    assert result.stderr.splitlines()[-1] == "Running with active profile: 'zenml' (global)"
    assert table_rows(result.stdout) == [
        ["👉", "custom", "default", "default", "default"],
        ["", "default", "default", "default", "default"],
    ]


def test_exit_codes_and_no_tracebacks(shell) -> None:
    shell("stack", "list")
    result = shell("stack", "set", "nope")
    assert (result.returncode, result.stderr.splitlines()[-1]) == (1, "Error: No stack named 'nope'.")
    assert "Traceback" not in result.stderr
    result = shell("stack", "register", "x")
    assert result.returncode == 2
    assert "Missing option" in result.stderr
    result = shell("stack", "set", "nope", env={"STACKYARD_DEBUG": "1"})
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr


def test_python_dash_m_runs_the_same_program(isolated: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "stackyard_cli", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "Usage: stackyard" in result.stdout or "Usage: python -m stackyard_cli" in result.stdout


def test_help_imports_no_command_module_and_no_core_model() -> None:
    modules = imported_modules("--help")
    assert not {m for m in modules if m.startswith("stackyard_cli.commands.")}
    assert not [m for m in HEAVY if m in modules]
    # only what reads plugin commands from the discovery cache
    assert {m for m in modules if m.startswith("stackyard.")} <= {"stackyard.plugins", "stackyard.plugins.cache"}


def test_stack_list_imports_only_what_listing_needs(shell) -> None:
    shell("stack", "list")  # the first run creates the default profile, which needs the plugins
    modules = imported_modules("stack", "list")
    assert "stackyard_cli.commands.stack" in modules
    assert not [m for m in (*HEAVY, *NOT_FOR_LISTING) if m in modules]
    assert not {m for m in modules if m.startswith("stackyard_cli.commands.") and m != "stackyard_cli.commands.stack"}


def test_a_registration_imports_what_registering_needs_and_no_more(isolated: Path, tmp_path: Path) -> None:
    imported_modules("artifact-store", "register", "first", "--flavor", "local", "--path", str(tmp_path / "first"))
    # the first one discovered the plugins (and cached them for this interpreter): measure the next
    modules = imported_modules("artifact-store", "register", "x", "--flavor", "local", "--path", str(tmp_path / "x"))
    assert {"attrs", "stackyard_local.artifact_store"} <= modules  # the flavor's own class validates
    # a suggestion for an unknown option (difflib), resolving names (pkgutil), copying or finding files
    assert not [m for m in ("difflib", "pkgutil", "shutil", "glob", "tempfile", "cattrs", "importlib.metadata") if m in modules]


@pytest.mark.parametrize("args", [("profile", "list"), ("stack", "get"), ("profile", "get"), ("stack", "describe")])
def test_other_listings_stay_light_too(shell, args: tuple[str, ...]) -> None:
    shell("stack", "list")
    modules = imported_modules(*args)
    assert not [m for m in (*HEAVY, "stackyard.plugins", "stackyard.pipelines") if m in modules]


def run_in_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run with stdout and stderr on a pseudo-terminal; return what it showed."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(args, stdout=slave, stderr=slave, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=120)
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_only_on_a_terminal_without_no_color(shell) -> None:
    shell("stack", "list")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["COLUMNS"] = "100"
    coloured = run_in_terminal([*stackyard_command(), "stack", "list"], env)
    assert "\x1b[" in coloured
    assert "👉" in coloured
    plain = run_in_terminal([*stackyard_command(), "stack", "list"], {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert "👉" in plain
    piped = shell("stack", "list")
    assert "\x1b[" not in piped.stdout + piped.stderr
