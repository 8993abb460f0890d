"""An orchestrator that runs steps on this machine: one after another, or in parallel processes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from stackyard.orchestrators import BaseOrchestrator

if TYPE_CHECKING:
    from stackyard.pipelines.deployment import PipelineDeployment
    from stackyard.stack import Stack


def _at_most_1024_workers(value: int) -> None:
    if isinstance(value, int) and value > 1024:
        raise ValueError(f"max_workers: {value} worker processes is more than this machine can start; use at most 1024")


class LocalOrchestrator(BaseOrchestrator):
    """Runs a pipeline's steps in dependency order on this machine.

    With ``max_workers = 1`` (the default) steps run one after another in the
    current process. With more, independent steps run at the same time in up
    to that many worker processes (``0``: one per CPU); ``start_method`` picks
    how workers start (``fork``, ``spawn`` or ``forkserver``; empty: ``fork``
    where available). With ``spawn``/``forkserver``, steps must be importable
    (defined at module level of an importable module). ``max_workers`` is also
    a runtime option: ``pipeline.run(max_workers=4)``.
    """

    FLAVOR: ClassVar[str] = "local"
    RUNTIME_OPTIONS: ClassVar[Mapping[str, Any]] = {"max_workers": int}

    max_workers: int = attrs.field(
        default=1,
        validator=lambda _self, _field, value: _at_most_1024_workers(value),  # a bad value is refused, not tried at run time
        metadata={"doc": "1: one step at a time, in this process; N (up to 1024): up to N steps in worker processes; 0: one per CPU"},
    )
    start_method: str = attrs.field(
        default="", metadata={"doc": "how workers start: fork, spawn or forkserver (empty: fork where available)"}
    )

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.max_workers < 0:
            raise ValueError("max_workers: use 1 (sequential), N > 1 (parallel processes) or 0 (one per CPU)")
        if self.start_method not in ("", "fork", "spawn", "forkserver"):
            raise ValueError("start_method: use fork, spawn or forkserver (or leave it empty)")

    def run_pipeline(
        self, deployment: PipelineDeployment, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> None:
        workers = int(runtime_configuration.get("max_workers", self.max_workers))
        if workers == 1:
            for name in deployment.steps:
                deployment.run_step(name)
            return
        from stackyard_local.parallel import run_in_processes

        run_in_processes(deployment, workers, self.start_method)
