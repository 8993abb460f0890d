"""Assertions for tests of pipelines and flavors."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from stackyard.exceptions import PipelineRunFailedError


@contextlib.contextmanager
def run_fails(cause: type[BaseException], match: str | None = None) -> Iterator[Any]:
    """Expect a pipeline run to fail with ``cause`` (the step's exception), whose text matches ``match``.

    Yields pytest's ``ExceptionInfo`` of the :class:`PipelineRunFailedError`;
    ``info.value.run`` is the failed run and ``info.value.__cause__`` the cause.
    """
    with pytest.raises(PipelineRunFailedError) as info:
        yield info
    found = info.value.__cause__
    assert isinstance(found, cause), f"the run failed with {found!r}, not {cause.__name__}"
    if match is not None:
        assert re.search(match, str(found)), f"{match!r} not found in {str(found)!r}"


_MODULES_LINE = "stackyard-modules:"


def modules_imported_by(code: str) -> set[str]:
    """The modules a fresh Python process has imported once it ran ``code`` (which must succeed).

    Plugin discovery really runs in it (the discovery cache is off), so this is
    how a flavor package checks that listing flavors stays light::

        loaded = modules_imported_by(
            "from stackyard import Repository\n"
            "assert 'webhook' in [f.name for f in Repository().get_flavors('alerter')]\n"
        )
        assert "requests" not in loaded
    """
    probe = f"{code}\nimport sys as _sys\nprint({_MODULES_LINE!r}, *sorted(_sys.modules))\n"
    env = {**os.environ, "STACKYARD_PLUGIN_CACHE": "0"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"the code failed:\n{result.stderr}"
    line = next(line for line in reversed(result.stdout.splitlines()) if line.startswith(_MODULES_LINE))
    return set(line.split()[1:])
