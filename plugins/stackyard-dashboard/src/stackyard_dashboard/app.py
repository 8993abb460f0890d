"""The starlette application: HTML pages, the same data as JSON under ``/api``, and the static assets.

Read-only: every route answers ``GET`` (and ``HEAD``) only. Each request
reads the active profile afresh, so the pages show what the store holds now.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from stackyard.exceptions import StackyardError
from stackyard_dashboard import data, pages

STATIC = Path(__file__).parent / "static"

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
"""The loopback names a request's Host may carry (and ``stackyard dashboard --host`` may name without a warning)."""


class ApiResponse(JSONResponse):
    """JSON that also carries what ``json`` refuses: NaN as ``null``, other objects as text."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_finite(content), default=str, ensure_ascii=False, separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10**6 else default


def _filters(request: Request) -> dict[str, Any]:
    query = request.query_params
    return {
        "pipeline": query.get("pipeline") or None,
        "status": query.get("status") or None,
        "stack": query.get("stack") or None,
        "page": _int(request, "page", 1),
        "per_page": min(_int(request, "per_page", data.RUNS_PER_PAGE), 500),
    }


def _handle(render: Callable[[Request], Response], api: bool) -> Callable[[Request], Response]:
    """Turn what the user can fix (a missing run, an unreadable store) into a 404/500 page or JSON error."""

    def endpoint(request: Request) -> Response:
        try:
            return render(request)
        except data.NotFound as exc:
            return _error(request, str(exc), 404, api)
        except StackyardError as exc:
            return _error(request, str(exc), 500, api)

    return endpoint


def _error(request: Request, message: str, code: int, api: bool) -> Response:
    if api:
        return ApiResponse({"error": message}, status_code=code)
    return HTMLResponse(pages.error_page(message, _overview()), status_code=code)


def _overview() -> dict[str, Any]:
    try:
        return data.overview(data.repository())
    except StackyardError:
        return {}


def _page(build: Callable[[Request, Any], str]) -> Callable[[Request], Response]:
    def render(request: Request) -> Response:
        repo = data.repository()
        return HTMLResponse(build(request, repo))

    return _handle(render, api=False)


def _api(build: Callable[[Request, Any], Any]) -> Callable[[Request], Response]:
    def render(request: Request) -> Response:
        return ApiResponse(build(request, data.repository()))

    return _handle(render, api=True)


def _run_id(request: Request) -> str:
    return str(request.path_params["run"])


ROUTES: Sequence[Route | Mount] = [
    Route("/", _page(lambda rq, r: pages.stacks_page(data.stacks(r), data.overview(r)))),
    Route("/components", _page(lambda rq, r: pages.components_page(data.components(r), data.overview(r)))),
    Route("/flavors", _page(lambda rq, r: pages.flavors_page(data.flavors(r), data.plugins(r), data.overview(r)))),
    Route("/pipelines", _page(lambda rq, r: pages.pipelines_page(data.pipelines(r), data.overview(r)))),
    Route("/runs", _page(lambda rq, r: pages.runs_page(data.runs(r, **_filters(rq)), data.overview(r)))),
    Route("/runs/{run}", _page(lambda rq, r: pages.run_page(data.run_detail(r, _run_id(rq)), data.overview(r)))),
    Route("/api", _api(lambda rq, r: data.overview(r))),
    Route("/api/stacks", _api(lambda rq, r: data.stacks(r))),
    Route("/api/components", _api(lambda rq, r: data.components(r))),
    Route("/api/flavors", _api(lambda rq, r: data.flavors(r))),
    Route("/api/plugins", _api(lambda rq, r: data.plugins(r))),
    Route("/api/pipelines", _api(lambda rq, r: data.pipelines(r))),
    Route("/api/runs", _api(lambda rq, r: data.runs(r, **_filters(rq)))),
    Route("/api/runs/{run}", _api(lambda rq, r: data.run_detail(r, _run_id(rq), previews=rq.query_params.get("previews") != "0"))),
    Route("/api/runs/{run}/status", _api(lambda rq, r: data.run_status(r, _run_id(rq)))),
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
]


def create_app(allowed_hosts: Sequence[str] = LOOPBACK_HOSTS) -> Starlette:
    """The dashboard application; requests naming another host (DNS rebinding) are refused."""
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))]
    return Starlette(routes=list(ROUTES), middleware=middleware)
