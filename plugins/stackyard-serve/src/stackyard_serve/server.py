"""The model server process: ``python -m stackyard_serve.server --service <service.json>``.

It loads the model artifact named in the record through the materializer
that wrote it (from the artifact store the record names, with that store's
secret references resolved from the recorded secrets manager) and serves at
the recorded host (127.0.0.1) and port:

``GET /health``
    ``{"status": "ok", "server_id": ..., "model_uri": ...}``
``POST /predict``
    JSON body ``{"instances": [...]}`` (or the list itself); answers
    ``{"predictions": [...]}``, computed by ``model.predict(instances)`` or,
    for a callable model, ``model(instances)``. A body that is not JSON is a
    400, a model that fails on the input a 422, each with ``{"error": ...}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger("stackyard_serve")


def load_model(record: Mapping[str, Any]) -> Any:
    """The model a service record names, read with the materializer that wrote it."""
    from stackyard import Repository
    from stackyard.pipelines.artifacts import read_artifact
    from stackyard.secrets import resolve_component

    repo = Repository()
    manager = repo.build_component(record["secrets_manager"]) if record.get("secrets_manager") else None
    store = resolve_component(repo.build_component(record["artifact_store"]), manager)  # type: ignore[arg-type]
    artifact = {"uri": record["model_uri"], "materializer": record["materializer"], "data_type": record.get("data_type"),
                "extra": record.get("extra") or {}}
    return read_artifact(store, artifact)  # type: ignore[arg-type]


def predictor(model: Any) -> Callable[[Any], Any]:
    """What computes predictions: ``model.predict``, or the model itself if it is callable."""
    method = getattr(model, "predict", None)
    if callable(method):
        return method  # type: ignore[no-any-return]
    if callable(model):
        return model  # type: ignore[no-any-return]
    raise TypeError(f"a {type(model).__qualname__} has no predict() method and is not callable: it cannot be served")


def to_json(value: Any) -> Any:
    """Predictions as JSON values (numpy arrays and scalars through ``tolist()``)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def create_app(model: Any, record: Mapping[str, Any]) -> Any:
    """The Starlette application serving ``model``."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    predict = predictor(model)
    health_body = {"status": "ok", "server_id": record["id"], "model_uri": record["model_uri"],
                   "model_name": record.get("model_name")}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(health_body)

    async def predict_endpoint(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            return JSONResponse({"error": f"the request body must be JSON: {exc}"}, status_code=400)
        instances = body.get("instances") if isinstance(body, dict) else body
        if instances is None:
            return JSONResponse({"error": 'send {"instances": [...]} or a JSON list'}, status_code=400)
        try:
            result = await run_in_threadpool(predict, instances)
            return JSONResponse({"predictions": to_json(result)})
        except Exception as exc:  # noqa: BLE001 - the caller's input did not suit the model
            logger.exception("prediction failed")
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=422)

    return Starlette(routes=[Route("/health", health), Route("/predict", predict_endpoint, methods=["POST"])])


def main(argv: Sequence[str] | None = None) -> int:
    """Load the model of a service record and serve it until SIGTERM."""
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description="Serve one model artifact over HTTP.")
    parser.add_argument("--service", required=True, help="the server's service.json record")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    record = json.loads(Path(args.service).read_text(encoding="utf-8"))
    logger.info("loading %s (%s)", record["model_uri"], record["materializer"])
    try:
        app = create_app(load_model(record), record)
    except Exception as exc:  # noqa: BLE001 - one line in the log, which the deployer shows
        logger.error("cannot serve %s: %s: %s", record["model_uri"], type(exc).__name__, exc)
        return 1
    import uvicorn

    uvicorn.run(app, host=record["host"], port=int(record["port"]), log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
