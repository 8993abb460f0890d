"""Run by test_concurrency.py in several processes at once: RUNS runs of ``wide`` (4 parallel branches)."""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.stack.stack import Stack
from stackyard.testing.sample_pipelines import diamond, wide
from stackyard_local.artifact_store import LocalArtifactStore
from stackyard_local.orchestrator import LocalOrchestrator

from stackyard_sql.metadata_store import SQLMetadataStore

url, artifacts, prefix, runs = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
stack = Stack(
    "concurrent",
    orchestrator=LocalOrchestrator(name="parallel", max_workers=4),
    artifact_store=LocalArtifactStore(name="shared", path=str(artifacts)),
    metadata_store=SQLMetadataStore(name="shared", url=url),
)
for index in range(runs):
    pipeline = wide() if index % 2 == 0 else diamond(n=index)
    pipeline.run(stack=stack, run_name=f"{prefix}-{index}", enable_cache=index % 3 != 0)
print("done")
