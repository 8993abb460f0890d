"""The README's main job: the quickstart pipeline runs on the default stack and prints what it recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stackyard import Repository

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def test_the_quickstart_runs_then_comes_from_cache(isolated: Path) -> None:
    pytest.importorskip("sklearn")
    command = [sys.executable, str(QUICKSTART / "run.py")]
    first = subprocess.run(command, capture_output=True, text=True, env=os.environ, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "on stack 'default': completed" in first.stdout
    assert "Test accuracy 0.9" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, env=os.environ, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "cached in" in second.stdout
    runs = Repository().get_pipeline("training_pipeline").runs
    assert [r.status.value for r in runs] == ["completed", "cached"]
    assert runs[-1].get_step("evaluate").output.read()["accuracy"] > 0.9
    assert [s.name for s in runs[0].steps] == ["load_data", "split", "train", "evaluate"]
