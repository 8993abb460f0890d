"""A profile's file is parsed again only when it changed: one command reads it once, and a change
made meanwhile by another process is still seen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stackyard import Repository

COUNT_OPENS = """
import collections, sys
opens = collections.Counter()

def hook(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].endswith("profiles/default.toml"):
        opens[args[0]] += 1

sys.addaudithook(hook)
sys.argv = ["stackyard", "stack", "list"]
from stackyard_cli.main import cli
try:
    cli(prog_name="stackyard")
except SystemExit:
    pass
print(sum(opens.values()), file=sys.stderr)
"""


def test_stack_list_opens_the_profile_file_once(isolated: Path) -> None:
    Repository().stack_names()  # the default profile exists
    result = subprocess.run([sys.executable, "-c", COUNT_OPENS], capture_output=True, text=True, cwd=isolated)
    assert result.stderr.strip().splitlines()[-1] == "1", result.stderr


def test_a_change_by_another_process_is_seen_by_a_repository_already_open(isolated: Path) -> None:
    repo = Repository()
    repo.copy_stack("default", "other")
    assert repo.active_stack_name == "default"
    change = "from stackyard import Repository; Repository().activate_stack('other')"
    subprocess.run([sys.executable, "-c", change], check=True, cwd=isolated)
    assert repo.active_stack_name == "other"
    assert repo.active_profile.active_stack_name == "other"
