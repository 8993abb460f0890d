"""Pipelines the dashboard tests run in their own processes: ``python -c '...main(["diamond"])'``.

Each run prints one JSON line with the run's id, name and status.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from stackyard import pipeline, step
from stackyard.testing.sample_pipelines import diamond, failing


@step
def table_source(rows: int) -> object:
    import pandas

    print(f"making a table of {rows} rows")
    return pandas.DataFrame({"x": list(range(rows)), "label": [f"row-{i}" for i in range(rows)]})


@step
def to_array(frame: object) -> object:
    return frame["x"].to_numpy().reshape(-1, 2).astype("float32")  # type: ignore[index]


@pipeline
def tables(rows: int = 8):
    """A DataFrame and an array: the previews show their shape, dtype and first rows."""
    to_array(table_source(rows=rows))


@step
def wait_for(gate: str) -> int:
    """Waits (at most 120 s) until the file ``gate`` exists: a run that stays running while a test looks at it."""
    deadline = time.monotonic() + 120
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return 1


@step
def after(value: int) -> int:
    return value + 1


@pipeline
def gated(gate: str = ""):
    after(wait_for(gate=gate))


PIPELINES = {"diamond": diamond, "failing": failing, "tables": tables, "gated": gated}


def main(argv: list[str]) -> None:
    name, *rest = argv
    parameters = dict(arg.split("=", 1) for arg in rest)
    try:
        found = PIPELINES[name](**parameters).run()
    except Exception:  # noqa: BLE001 - a failed run is recorded; report it like any other
        from stackyard import Repository

        found = Repository().get_pipeline(PIPELINES[name].name).runs[-1]
    print(json.dumps({"id": found.id, "name": found.name, "status": found.status.value}))
    sys.stdout.flush()
