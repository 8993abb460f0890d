"""Copying run history from one metadata store into another (``stackyard metadata-store copy``).

Every pipeline, run, step, artifact record, step-logs location and metadata
value is copied as it is: same ids, times, statuses and URIs. Runs go oldest
first, each in one write of the target (:meth:`BaseMetadataStore.import_run`),
so an interrupted copy leaves whole runs, and copying again copies nothing
twice (a run whose id the target has is skipped).

Artifact and log **URIs are copied as they are**: they still point where the
source's runs wrote them. A URI on local disk (a path, or ``file://``) is
readable only on the machine that wrote it; :attr:`CopyReport.local_uris`
counts them so the caller can say so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from stackyard.exceptions import StackyardError

if TYPE_CHECKING:
    from stackyard.metadata_stores.base_metadata_store import BaseMetadataStore
    from stackyard.repository import Repository


@attrs.define
class CopyReport:
    """What a copy did: runs copied and skipped, one line per problem, and URIs that point at local disk."""

    copied: int = 0
    skipped: int = 0
    problems: list[str] = attrs.Factory(list)
    local_uris: int = 0


def is_local_uri(uri: str | None) -> bool:
    """Whether ``uri`` names a file on one machine's disk (a path or ``file://``), not a shared service."""
    return bool(uri) and ("://" not in str(uri) or str(uri).startswith("file://"))


def export_run(store: BaseMetadataStore, run: Mapping[str, Any], pipeline: Mapping[str, Any]) -> dict[str, Any]:
    """Everything recorded about ``run`` in ``store``, in the form :meth:`BaseMetadataStore.import_run` takes.

    Keys: ``pipeline``, ``run``, ``steps`` (in the order they started),
    ``artifacts`` (each once), ``edges`` (``step_id``, ``artifact_id``,
    ``name``, ``direction``) and ``metadata`` (``step_id`` — ``None`` for the
    run — ``key``, ``value``).
    """
    steps = store.get_steps(run["id"])
    artifacts: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    metadata = [{"step_id": None, "key": k, "value": v} for k, v in store.get_metadata(run["id"]).items()]
    for step in steps:
        for found in store.get_artifacts(step["id"]):
            record = {k: v for k, v in found.items() if k not in ("name", "direction")}
            artifacts.setdefault(record["id"], record)
            edges.append({"step_id": step["id"], "artifact_id": record["id"], "name": found["name"], "direction": found["direction"]})
        metadata += [{"step_id": step["id"], "key": k, "value": v} for k, v in store.get_metadata(run["id"], step["id"]).items()]
    return {
        "pipeline": dict(pipeline),
        "run": dict(run),
        "steps": steps,
        "artifacts": list(artifacts.values()),
        "edges": edges,
        "metadata": metadata,
    }


def local_uris_of(bundle: Mapping[str, Any]) -> int:
    """How many artifact and step-log URIs of an exported run point at local disk."""
    artifacts = sum(is_local_uri(a.get("uri")) for a in bundle["artifacts"])
    return artifacts + sum(is_local_uri(s.get("logs_uri")) for s in bundle["steps"])


def copy_runs(
    source: BaseMetadataStore,
    target: BaseMetadataStore,
    *,
    progress: Callable[[str, bool], None] | None = None,
) -> CopyReport:
    """Copy every run of ``source`` (with its pipeline, steps, artifacts, logs and metadata) into ``target``.

    Runs already in ``target`` are skipped; a run that cannot be copied is one
    line in :attr:`CopyReport.problems` and the others still go.
    ``progress(run_name, copied)`` is called after each run. Raises
    :class:`~stackyard.exceptions.MetadataStoreError` if ``target``'s flavor
    cannot receive copied runs.
    """
    from stackyard.exceptions import MetadataStoreError

    report = CopyReport()
    pipelines = {p["name"]: p for p in source.get_pipelines()}
    for run in source.get_runs():
        name = run.get("name", run.get("id"))
        pipeline = pipelines.get(run.get("pipeline_name", ""))
        if pipeline is None:
            report.problems.append(f"run '{name}': its pipeline '{run.get('pipeline_name')}' is not recorded; skipped.")
            continue
        try:
            bundle = export_run(source, run, pipeline)
            copied = target.import_run(bundle)
        except NotImplementedError as exc:
            raise MetadataStoreError(f"{exc} Copy into a store of a flavor that can, such as sql.") from None
        except StackyardError as exc:
            report.problems.append(f"run '{name}': {exc}")
            continue
        if copied:
            report.copied += 1
            report.local_uris += local_uris_of(bundle)
        else:
            report.skipped += 1
        if progress is not None:
            progress(str(name), copied)
    return report


def load_resolved(repository: Repository, name: str) -> BaseMetadataStore:
    """Metadata store ``name``, its secret references resolved from the active stack's secrets manager."""
    from stackyard.enums import StackComponentType
    from stackyard.secrets import references_of, resolve_component

    store = repository.load_stack_component(StackComponentType.METADATA_STORE, name)
    if references_of(store):
        manager_name = repository.active_component_name(StackComponentType.SECRETS_MANAGER)
        manager = (
            repository.load_stack_component(StackComponentType.SECRETS_MANAGER, manager_name) if manager_name else None
        )
        store = resolve_component(store, manager)  # type: ignore[arg-type]
    return store  # type: ignore[return-value]


def copy_between(
    repository: Repository, source: str, target: str, *, progress: Callable[[str, bool], None] | None = None
) -> CopyReport:
    """:func:`copy_runs` between two registered metadata stores, by component name."""
    from stackyard.exceptions import MetadataStoreError

    if source == target:
        raise MetadataStoreError(f"Source and target are both metadata store '{source}'; name two different stores.")
    return copy_runs(load_resolved(repository, source), load_resolved(repository, target), progress=progress)
