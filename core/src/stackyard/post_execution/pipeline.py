"""A pipeline as recorded in a metadata store: its name and its runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackyard.exceptions import RunNotFoundError
from stackyard.post_execution.run import PipelineRunView, StoreContext


class PipelineView:
    """A pipeline that has runs; ``runs`` are oldest first, so ``runs[-1]`` is the latest."""

    def __init__(self, record: Mapping[str, Any], context: StoreContext) -> None:
        self._record = dict(record)
        self._context = context

    @property
    def name(self) -> str:
        """The pipeline's name."""
        return str(self._record["name"])

    @property
    def runs(self) -> list[PipelineRunView]:
        """Every run of the pipeline, oldest first."""
        records = self._context.metadata_store.get_runs(self.name)
        return [PipelineRunView(r, self._context) for r in records]

    def get_run(self, name: str) -> PipelineRunView:
        """One of its runs by name or id."""
        record = self._context.metadata_store.get_run(name)
        if record is None or record["pipeline_name"] != self.name:
            raise RunNotFoundError(
                f"Pipeline '{self.name}' has no run named '{name}'; list them with stackyard pipeline runs {self.name}."
            )
        return PipelineRunView(record, self._context)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for ``--output json``)."""
        return {"name": self.name, "created": self._record.get("created")}

    def __repr__(self) -> str:
        return f"PipelineView(name={self.name!r})"
