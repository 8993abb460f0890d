"""Assertions for tests of pipelines and flavors."""

from __future__ import annotations

import contextlib
import re
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
