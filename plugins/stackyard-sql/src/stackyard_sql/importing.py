"""Recording a run copied from another metadata store exactly as it was (one transaction per run)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import RunExistsError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def import_bundle(conn: Connection, bundle: Mapping[str, Any]) -> bool:
    """Insert the run of ``bundle`` (see ``stackyard.metadata_stores.copy.export_run``); ``False`` if already here."""
    from sqlalchemy import select

    from stackyard_sql.metadata_store import _dump, _insert_ignore, _json
    from stackyard_sql.schema import artifacts, pipelines, run_metadata, runs, step_artifacts, steps

    run = bundle["run"]
    found = conn.execute(select(runs.c.id).where((runs.c.id == run["id"]) | (runs.c.name == run["name"]))).scalars().all()
    if run["id"] in found:
        return False
    if found:
        raise RunExistsError(
            f"the target already has another run named '{run['name']}'; rename or delete one of them to copy it."
        )
    pipeline = bundle["pipeline"]
    _insert_ignore(conn, pipelines, {"id": pipeline["id"], "name": pipeline["name"], "created": pipeline["created"]})
    pipeline_id = conn.execute(select(pipelines.c.id).where(pipelines.c.name == pipeline["name"])).scalar_one()
    conn.execute(runs.insert().values(
        id=run["id"], pipeline_id=pipeline_id, name=run["name"], status=run["status"], started=run["started"],
        ended=run.get("ended"), stack=_json(run.get("stack") or {}),
        runtime_configuration=_json(run.get("runtime_configuration") or {}), parameters=_json(run.get("parameters") or {}),
        error=run.get("error"), owner=None if run.get("owner") is None else _json(run["owner"]),
        heartbeat=run.get("heartbeat"),
    ))
    if bundle["steps"]:
        conn.execute(steps.insert(), [
            {
                "id": s["id"], "run_id": run["id"], "name": s["name"], "status": s["status"], "started": s.get("started"),
                "ended": s.get("ended"), "parameters": _json(s.get("parameters") or {}),
                "upstream": _json(s.get("upstream") or []), "cache_key": s.get("cache_key"),
                "cached_from": s.get("cached_from"), "error": s.get("error"), "attempts": s.get("attempts") or 1,
                "logs_uri": s.get("logs_uri"),
            }
            for s in bundle["steps"]
        ])
    for a in bundle["artifacts"]:  # an artifact a cached step reuses may be here from an earlier run's copy
        _insert_ignore(conn, artifacts, {
            "id": a["id"], "uri": a["uri"], "data_type": a.get("data_type"), "materializer": a.get("materializer"),
            "producer_step_id": a.get("producer_step_id"), "size": a.get("size"), "content_hash": a.get("content_hash"),
            "created": a.get("created") or run["started"], "extra": _json(a.get("extra") or {}),
        })
    if bundle["edges"]:
        conn.execute(step_artifacts.insert(), [
            {k: e[k] for k in ("step_id", "artifact_id", "name", "direction")} for e in bundle["edges"]
        ])
    if bundle["metadata"]:
        conn.execute(run_metadata.insert(), [
            {"run_id": run["id"], "step_id": m.get("step_id") or "", "key": m["key"], "value": _dump(m["value"])}
            for m in bundle["metadata"]
        ])
    return True
