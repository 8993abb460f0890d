"""The bug report, as the user typed it: a third-party flavor with an unset optional parameter joins a stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

OPTSTORE = '''
from typing import ClassVar, Optional

from stackyard import hookimpl
from stackyard_local import LocalArtifactStore


class OptStore(LocalArtifactStore):
    """An artifact store with optional and structured parameters."""

    FLAVOR: ClassVar[str] = "optstore"
    label: Optional[str] = None
    limits: dict = {}
    tags: list = []
    verbose: bool = False
    ratio: float = 0.5


@hookimpl
def stackyard_artifact_store_flavors():
    return [OptStore]
'''


@pytest.fixture(autouse=True)
def optstore(make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-optstore", "stackyard_optstore_plugin", OPTSTORE)


def test_a_component_with_an_unset_optional_parameter_joins_a_stack(ok, isolated: Path) -> None:
    ok("artifact-store", "register", "opt", "--flavor=optstore", "--path=./x")
    result = ok("stack", "register", "s2", "-o", "default", "-a", "opt", "-m", "default")
    assert "Stack 's2' successfully registered!" in result.output
    described = json.loads(ok("artifact-store", "describe", "opt", "--output", "json").stdout)
    assert described["config"]["path"] == "./x" and "label" not in described["config"]
    assert described["stacks"] == ["s2"]


def test_every_kind_of_value_survives_register_export_and_import(ok, isolated: Path) -> None:
    ok(
        "artifact-store", "register", "opt", "--flavor=optstore", "--path=/data/a", "--label=nightly",
        '--limits={"cpu": 2, "nested": {"k": "v"}}', '--tags=["a", "b"]', "--verbose=true", "--ratio=0.25",
    )
    ok("stack", "register", "s2", "-o", "default", "-a", "opt", "-m", "default")
    before = json.loads(ok("artifact-store", "describe", "opt", "--output", "json").stdout)
    assert before["config"] == {
        "path": "/data/a", "label": "nightly", "limits": {"cpu": 2, "nested": {"k": "v"}},
        "tags": ["a", "b"], "verbose": True, "ratio": 0.25,
    }
    ok("stack", "export", "s2", str(isolated / "s2.toml"))
    ok("profile", "create", "other")
    ok("profile", "set", "other")
    result = ok("stack", "import", "copied", str(isolated / "s2.toml"))
    assert "opt" in result.output
    after = json.loads(ok("artifact-store", "describe", "opt", "--output", "json").stdout)
    assert (after["config"], after["uuid"]) == (before["config"], before["uuid"])


def test_a_runtime_option_of_the_wrong_type_is_refused_before_a_run_is_recorded(ok, fails, isolated: Path) -> None:
    (isolated / "tiny.py").write_text(
        "from stackyard import pipeline, step\n\n"
        "@step\ndef one() -> int:\n    return 1\n\n"
        "@pipeline\ndef tiny():\n    one()\n"
    )
    result = fails("pipeline", "run", "tiny.py:tiny", "--option", "max_workers=abc")
    assert "Error: Invalid runtime option for stack 'default': max_workers: expected an integer, got 'abc'" in result.stderr
    assert ok("pipeline", "runs", "--output", "json").stdout.strip() == "[]"
    ok("pipeline", "run", "tiny.py:tiny", "--option", "max_workers=1")
    runs = json.loads(ok("pipeline", "runs", "--output", "json").stdout)
    assert [r["status"] for r in runs] == ["completed"]
