"""The shell examples of README and docs/ that are marked as checked run, and print what the page shows.

A page marks a fenced block with an HTML comment line ``<!-- check -->`` right
above it. Each ``$ command`` line in the block runs in ``bash`` (with this
environment's ``bin`` folder first on ``PATH``, as after activating the venv),
and the lines up to the next command are the output it must print: stdout and
stderr together, in the order a terminal shows them. Lines of
``<!-- setup: command -->`` above a block run first, unshown, for state the page
leaves implicit. Every marked block of one page runs in order in one sandbox: a
fresh config folder and an empty project folder holding a link to ``examples/``.

The sandbox's home folder prints as ``/home/me`` (project ``/home/me/project``,
config ``/home/me/.config/stackyard``). What differs between two honest runs
is normalised on both sides before comparing: timestamps, UUIDs, durations,
and how wide a table's borders and padding are.

``python tests/docs/test_doc_examples.py PAGE`` rewrites the output a page
shows under its checked commands with what they print now; read the diff.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("plugins/*/README.md"))]
SHOWN_HOME = "/home/me"
MARK = "<!-- check -->"
SETUP = re.compile(r"^<!-- setup: (.+) -->$")


@dataclass
class Command:
    line: int
    command: str
    output: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int
    setup: list[str]
    commands: list[Command]


def checked_blocks(page: Path) -> list[Block]:
    """The marked blocks of ``page``, parsed into commands and the output each shows."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != MARK:
            index += 1
            continue
        start = index
        setup: list[str] = []
        index += 1
        while index < len(lines) and SETUP.match(lines[index].strip()):
            setup.append(SETUP.match(lines[index].strip()).group(1))  # type: ignore[union-attr]
            index += 1
        if index >= len(lines) or not lines[index].startswith("```"):
            raise AssertionError(f"{page.name}:{start + 1}: '{MARK}' must stand right above a fenced block")
        index += 1
        commands: list[Command] = []
        while index < len(lines) and not lines[index].startswith("```"):
            text = lines[index]
            if text.startswith("$ "):
                commands.append(Command(index + 1, text[2:]))
            elif commands:
                commands[-1].output.append(text)
            index += 1
        blocks.append(Block(start + 1, setup, commands))
        index += 1
    return blocks


def _cases() -> list[object]:
    cases = []
    for page in PAGES:
        blocks = checked_blocks(page)
        if blocks:
            cases.append(pytest.param(page, blocks, id=str(page.relative_to(ROOT))))
    return cases


_PATTERNS = [
    (re.compile(r"\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2}_\d{6}"), "<stamp>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?"), "<time>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    # a piece of a UUID a table wrapped onto two lines: hex with a digit and a dash or letter, 4+ long
    (re.compile(r"(?<![\w-])(?=[0-9a-f-]{4})(?=[0-9a-f-]*[0-9])(?=[0-9a-f-]*[a-f-])[0-9a-f]+(?:-[0-9a-f]*)*(?![\w-])"), "<hex>"),
    (re.compile(r"\b\d+(\.\d+)?\s?(ms|s)\b"), "<duration>"),
    (re.compile(r"[━─═]+"), "─"),
    (re.compile(r"[ \t]+"), " "),
]


def normalise(text: str) -> list[str]:
    """``text`` with what changes between runs replaced, one entry per non-empty line."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def run_page(page: Path, blocks: list[Block], home: Path) -> Iterator[tuple[Command, str]]:
    """Run the marked blocks of ``page`` in a sandbox under ``home``; yield each command and what it printed.

    The sandbox's paths are printed as the pages show them: ``home`` as
    ``/home/me``, so the project folder reads ``/home/me/project`` and the
    config folder ``/home/me/.config/stackyard``.
    """
    config = home / ".config" / "stackyard"
    project = home / "project"
    project.mkdir()
    (project / "examples").symlink_to(ROOT / "examples")
    env = {key: value for key, value in os.environ.items() if not key.startswith("STACKYARD_")}
    env.pop("COLUMNS", None)
    env.update(
        STACKYARD_CONFIG_PATH=str(config),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        TERM="dumb",
        PYTHONUNBUFFERED="1",  # stdout and stderr interleave as on a terminal
    )
    for block in blocks:
        for hidden in block.setup:
            done = subprocess.run(["bash", "-c", hidden], cwd=project, env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"{page.name}:{block.line}: setup `{hidden}` failed:\n{done.stdout}{done.stderr}"
        for command in block.commands:
            done = subprocess.run(
                ["bash", "-c", command.command],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
            )
            yield command, done.stdout.replace(str(home), SHOWN_HOME)


@contextmanager
def sandbox_home() -> Iterator[Path]:
    """A new empty folder whose path is as long as ``/home/me``, so tables wrap paths as the pages show."""
    alphabet = string.ascii_lowercase + string.digits
    for _ in range(1000):
        home = Path("/tmp/" + "".join(secrets.choice(alphabet) for _ in range(len(SHOWN_HOME) - 5)))
        try:
            home.mkdir(mode=0o700)
        except FileExistsError:
            continue
        try:
            yield home
        finally:
            shutil.rmtree(home, ignore_errors=True)
        return
    raise RuntimeError("no free sandbox folder name under /tmp")


@pytest.mark.parametrize(("page", "blocks"), _cases())
def test_checked_examples_print_what_the_page_shows(page: Path, blocks: list[Block]) -> None:
    with sandbox_home() as home:
        results = list(run_page(page, blocks, home))
    for command, printed_text in results:
        shown = normalise("\n".join(command.output))
        printed = normalise(printed_text)
        assert printed == shown, (
            f"{page.name}:{command.line}: `{command.command}` printed (normalised):\n"
            + "\n".join(printed)
            + "\n\nbut the page shows (normalised):\n"
            + "\n".join(shown)
        )


def test_every_page_with_a_mark_has_commands() -> None:
    """A mark above a block without any ``$`` line would check nothing."""
    for page in PAGES:
        for block in checked_blocks(page):
            assert block.commands, f"{page.name}:{block.line}: a checked block without a '$ ' command"


def test_some_pages_are_checked() -> None:
    """The CLI reference and the README's transcripts at least are checked, so this suite never passes empty."""
    assert len(checked_blocks(ROOT / "docs" / "cli.md")) >= 30
    assert len(checked_blocks(ROOT / "README.md")) >= 3


def update(page: Path) -> None:
    """Rewrite the output shown under each checked command of ``page`` with what it prints now."""
    lines = page.read_text(encoding="utf-8").splitlines()
    with sandbox_home() as home:
        results = list(run_page(page, checked_blocks(page), home))
    for command, printed in reversed(results):  # from the end, so earlier line numbers stay right
        lines[command.line : command.line + len(command.output)] = printed.rstrip("\n").splitlines()
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    # python tests/docs/test_doc_examples.py PAGE...: show what the checked commands print now, in the page.
    for name in sys.argv[1:]:
        update(Path(name).resolve())
