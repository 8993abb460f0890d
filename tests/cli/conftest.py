"""Fixtures for CLI tests: run ``stackyard`` in-process or as a real process, read its tables."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from stackyard_cli.main import cli

WIDE = "1000"


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """No inherited colour setting, and room for every table as wide as its content (a test of
    fitting tables to a width sets or deletes ``COLUMNS`` itself)."""
    monkeypatch.setenv("COLUMNS", WIDE)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def run() -> Callable[..., Result]:
    """``run("stack", "list")``: invoke the CLI in-process; the result has exit_code, output, stdout, stderr."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, env=env, prog_name="stackyard")

    return invoke


@pytest.fixture
def ok(run: Callable[..., Result]) -> Callable[..., Result]:
    """Like ``run``, but the command must succeed."""

    def invoke(*args: str, **kwargs: Any) -> Result:
        result = run(*args, **kwargs)
        assert result.exit_code == 0, f"stackyard {' '.join(args)} failed:\n{result.output}"
        return result

    return invoke


def stored_files(config: Path) -> dict[str, bytes]:
    """Every stored TOML file under the config dir, by relative path, with its content."""
    return {p.relative_to(config).as_posix(): p.read_bytes() for p in sorted(config.rglob("*.toml"))} if config.is_dir() else {}


@pytest.fixture
def fails(run: Callable[..., Result], config_dir: Path) -> Callable[..., Result]:
    """Like ``run``, but the command must fail as a user error: exit 1, one ``Error:`` line, no
    traceback — and, once the default profile exists, every stored file left exactly as it was."""

    def invoke(*args: str, code: int = 1, **kwargs: Any) -> Result:
        before = stored_files(config_dir)
        result = run(*args, **kwargs)
        if before:
            assert stored_files(config_dir) == before, f"stackyard {' '.join(args)} failed but changed the store"
        assert result.exit_code == code, f"stackyard {' '.join(args)}: exit {result.exit_code}\n{result.output}"
        assert "Traceback" not in result.output
        if code == 1:
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
            assert len(errors) == 1, result.output
        return result

    return invoke


def stackyard_command() -> list[str]:
    """The installed console script (``python -m stackyard_cli`` if there is none)."""
    script = Path(sys.executable).parent / "stackyard"
    return [str(script)] if script.exists() else [sys.executable, "-m", "stackyard_cli"]


@pytest.fixture
def shell(isolated: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real ``stackyard`` program in a subprocess (same config dir and working directory)."""

    def invoke(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        full_env.update(env or {})
        return subprocess.run(
            [*stackyard_command(), *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=cwd or Path.cwd(),
            input=input,
            timeout=120,
        )

    return invoke


def table_rows(output: str) -> list[list[str]]:
    """The cells of every body row of the (last) table in ``output``, stripped."""
    rows: list[list[str]] = []
    in_body = False
    for line in output.splitlines():
        if line.startswith("┏"):
            rows, in_body = [], False
        elif line.startswith("┠"):
            in_body = True
        elif line.startswith("┃") and in_body:
            rows.append([cell.strip() for cell in line.strip("┃").split("│")])
    return rows


def table_headers(output: str) -> list[str]:
    """The header cells of the (last) table in ``output``."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("┏")]
    assert starts, f"no table in:\n{output}"
    return [cell.strip() for cell in lines[starts[-1] + 1].strip("┃").split("│")]


def table(output: str) -> str:
    """The (last) boxed table in ``output``, as text."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("┏"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("┗"))
    return "\n".join(lines[start : end + 1])


def dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


@pytest.fixture
def flavor_module(isolated: Path) -> Iterator[Callable[[str, str], str]]:
    """Write a module of flavor classes into the working directory; returns its name."""
    written: list[str] = []

    def write(name: str, code: str) -> str:
        (isolated / f"{name}.py").write_text(textwrap.dedent(code))
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)
    for entry in (str(isolated),):
        while entry in sys.path:
            sys.path.remove(entry)


ACME_PLUGIN = '''
from typing import ClassVar

from stackyard import hookimpl
from stackyard.alerters import BaseAlerter
from stackyard.container_registries import BaseContainerRegistry


class EchoAlerter(BaseAlerter):
    """Prints alerts to the console."""

    FLAVOR: ClassVar[str] = "echo"

    webhook: str
    channel: str = "general"
    retries: int = 3
    ratio: float = 0.5
    loud: bool = False
    tags: list[str] = []
    limits: dict[str, int] = {}

    def post(self, message: str) -> bool:
        return True

    def ask(self, question: str) -> bool:
        return True


class PlainRegistry(BaseContainerRegistry):
    """A registry that pushes nothing."""

    FLAVOR: ClassVar[str] = "plain"

    def push_image(self, image_name: str) -> str:
        return f"{self.uri}/{image_name}"


@hookimpl
def stackyard_alerter_flavors():
    return [EchoAlerter]


@hookimpl
def stackyard_container_registry_flavors():
    return [PlainRegistry]
'''


@pytest.fixture
def acme(make_plugin: Callable[..., Path]) -> str:
    """An installed plugin package ``stackyard-acme`` with an ``echo`` alerter and a ``plain`` container registry."""
    make_plugin("stackyard-acme", "stackyard_acme_plugin", ACME_PLUGIN, entry_point="acme", version="2.1")
    return "stackyard-acme"
