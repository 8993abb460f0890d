"""Server-rendered HTML pages over the data of :mod:`stackyard_dashboard.data`; every value escaped."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

from stackyard_dashboard import graph

NAV = (("/", "Stacks"), ("/components", "Components"), ("/flavors", "Flavors & plugins"),
       ("/pipelines", "Pipelines"), ("/runs", "Runs"))


_CURRENT = ' class="current" aria-current="page"'


def e(value: Any) -> str:
    """Escaped text of any value."""
    return escape("" if value is None else str(value))


def when(timestamp: float | None) -> str:
    return "" if timestamp is None else datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def badge(status: str) -> str:
    return f'<span class="badge status-{e(status)}">{e(status)}</span>'


def plain(value: Any) -> str:
    """A value as it would be typed: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def pairs(values: Mapping[str, Any], empty: str = "none") -> str:
    if not values:
        return f'<p class="muted">{e(empty)}</p>'
    rows = "".join(f"<tr><th>{e(k)}</th><td><code>{e(plain(v))}</code></td></tr>" for k, v in values.items())
    return f'<table class="pairs">{rows}</table>'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], css: str = "") -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="list {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def layout(title: str, body: str, overview: Mapping[str, Any], current: str, scripts: str = "") -> str:
    nav = "".join(
        f'<a href="{href}"{_CURRENT if href == current else ""}>{label}</a>' for href, label in NAV
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · Stackyard</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/dashboard.css"></head><body>'
        f'<header><a class="brand" href="/"><img src="/static/favicon.svg" alt="" width="22" height="22"> Stackyard</a>'
        f"<nav>{nav}</nav>"
        f'<span class="context">profile <b>{e(overview.get("profile"))}</b> · stack '
        f'<b>{e(overview.get("active_stack") or "none")}</b></span></header>'
        f"<main><h1>{e(title)}</h1>{body}</main>{scripts}</body></html>"
    )


def error_page(message: str, overview: Mapping[str, Any]) -> str:
    return layout("Not found", f'<p class="error-box">{e(message)}</p>', overview, "")


# -- stacks, components, flavors ------------------------------------------------------


def stacks_page(items: list[dict[str, Any]], overview: Mapping[str, Any]) -> str:
    cards = []
    for stack in items:
        marker = '<span class="active-marker" title="the active stack">active</span>' if stack["active"] else ""
        rows = []
        for c in stack["components"]:
            flavor = e(c.get("flavor", ""))
            if c.get("flavor_missing"):
                flavor += f' <span class="warn">{e(c["flavor_missing"])}</span>'
            rows.append([e(c["type"]), e(c["name"]), flavor, e(c.get("package", c.get("error", "")))])
        problems = (
            '<ul class="problems">' + "".join(f"<li>{e(p)}</li>" for p in stack["problems"]) + "</ul>"
            if stack["problems"] else '<p class="ok">valid</p>'
        )
        cards.append(
            f'<section class="card stack" data-stack="{e(stack["name"])}"><h2>{e(stack["name"])} {marker}</h2>'
            + table(["type", "component", "flavor", "package"], rows) + problems + "</section>"
        )
    body = "".join(cards) or '<p class="muted">No stacks in this profile.</p>'
    return layout("Stacks", body, overview, "/")


def components_page(items: list[dict[str, Any]], overview: Mapping[str, Any]) -> str:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for c in items:
        by_type.setdefault(c["type"], []).append(c)
    sections = []
    for kind, found in by_type.items():
        rows = []
        for c in found:
            name = e(c["name"]) + (' <span class="active-marker" title="in the active stack">active</span>' if c["active"] else "")
            flavor = e(c["flavor"]) + (f' <span class="warn">{e(c["flavor_missing"])}</span>' if c.get("flavor_missing") else "")
            rows.append([name, flavor, e(c.get("package") or "custom"), pairs(c["config"], "no parameters"),
                         e(", ".join(c["stacks"]))])
        sections.append(f'<section class="card" id="{e(kind)}"><h2>{e(kind.replace("_", " "))}</h2>'
                        + table(["name", "flavor", "package", "configuration", "stacks"], rows) + "</section>")
    return layout("Components", "".join(sections), overview, "/components")


def flavors_page(items: list[dict[str, Any]], plugin_data: Mapping[str, Any], overview: Mapping[str, Any]) -> str:
    plugin_rows = []
    for p in plugin_data["plugins"]:
        errors = "".join(f'<div class="error-line">{e(x)}</div>' for x in p.get("errors") or [])
        provides = [*(p.get("flavors") or []), *(f'command: stackyard {c["name"]}' for c in p.get("commands") or [])]
        plugin_rows.append([e(p["name"]), e(f'{p["package"]} {p["version"]}'), badge(p["status"]),
                            e(", ".join(provides)), errors])
    conflicts = "".join(f'<li>{e(c["message"])}</li>' for c in plugin_data["conflicts"])
    flavor_rows = [[e(f["type"]), e(f["name"]), e(f'{f["package"]} {f["version"] or ""}'), e(f["description"])]
                   for f in items]
    body = (
        '<section class="card"><h2>Plugins</h2>'
        + table(["plugin", "package", "status", "provides", "errors"], plugin_rows)
        + (f'<h3>Clashes</h3><ul class="problems">{conflicts}</ul>' if conflicts else '<p class="ok">no clashes</p>')
        + '</section><section class="card"><h2>Flavors</h2>'
        + table(["type", "flavor", "package", "description"], flavor_rows) + "</section>"
    )
    return layout("Flavors & plugins", body, overview, "/flavors")


# -- pipelines and runs ----------------------------------------------------------------


def pipelines_page(items: list[dict[str, Any]], overview: Mapping[str, Any]) -> str:
    rows = [
        [f'<a href="/runs?{urlencode({"pipeline": p["name"]})}">{e(p["name"])}</a>', e(p["runs"]),
         f'<a href="/runs/{e(p["latest_run_id"])}">{e(p["latest_run"])}</a>', badge(p["latest_status"]),
         e(when(p["latest_started"]))]
        for p in items
    ]
    body = table(["pipeline", "runs", "latest run", "status", "started"], rows) if rows else (
        '<p class="muted">No pipeline has run yet; run one with <code>stackyard pipeline run FILE.py:PIPELINE</code>.</p>'
    )
    return layout("Pipelines", body, overview, "/pipelines")


def runs_page(found: Mapping[str, Any], overview: Mapping[str, Any]) -> str:
    filters = found["filters"]
    selects = []
    for key, choices in found["choices"].items():
        options = '<option value="">any</option>' + "".join(
            f'<option value="{e(c)}"{" selected" if filters.get(key) == c else ""}>{e(c)}</option>' for c in choices
        )
        selects.append(f'<label>{key} <select name="{key}">{options}</select></label>')
    form = f'<form class="filters" method="get" action="/runs">{"".join(selects)}<button type="submit">Filter</button></form>'
    rows = [
        [f'<a href="/runs/{e(r["id"])}">{e(r["name"])}</a>', e(r["pipeline"]), badge(r["status"]), e(when(r["started"])),
         e(seconds(r["duration"])), e(f'{r["cached_steps"]} / {r["steps"]}'), e(r["stack"])]
        for r in found["runs"]
    ]
    problems = "".join(f'<p class="warn">{e(p)}</p>' for p in found["problems"])
    body = form + problems
    body += (table(["run", "pipeline", "status", "started", "duration", "steps from cache", "stack"], rows, "runs")
             if rows else '<p class="muted">No runs match.</p>')
    body += _pager(found)
    return layout("Runs", body, overview, "/runs")


def _pager(found: Mapping[str, Any]) -> str:
    total, page, per_page = found["total"], found["page"], found["per_page"]
    last = max((total + per_page - 1) // per_page, 1)
    query = {k: v for k, v in found["filters"].items() if v}
    links = []
    if page > 1:
        links.append(f'<a href="/runs?{urlencode({**query, "page": page - 1})}">← newer</a>')
    links.append(f"page {page} of {last} · {total} runs")
    if page < last:
        links.append(f'<a href="/runs?{urlencode({**query, "page": page + 1})}">older →</a>')
    return f'<p class="pager">{" · ".join(links)}</p>'


def run_page(run: Mapping[str, Any], overview: Mapping[str, Any]) -> str:
    steps = run["step_details"]
    upstream = {s["name"]: s["upstream"] for s in steps}
    status = {s["name"]: s["status"] for s in steps}
    labels = {s["name"]: f'{s["status"]} · {seconds(s["duration"])}' for s in steps}
    drawing = graph.svg(run["graph"]["layers"], upstream, status, labels) if steps else '<p class="muted">No step has started yet.</p>'
    error = f'<section class="card failure"><h2>Error</h2><pre class="error">{e(run["error"])}</pre></section>' if run["error"] else ""
    summary = pairs({
        "pipeline": run["pipeline"], "status": run["status"], "started": when(run["started"]),
        "duration": seconds(run["duration"]), "steps from cache": f'{run["cached_steps"]} / {run["steps"]}',
        "stack": run["stack"], "id": run["id"],
    })
    components = [[e(k), e(c.get("name")), e(c.get("flavor")), pairs(c.get("config") or {}, "no parameters")]
                  for k, c in run["stack_components"].items()]
    body = (
        f'<div id="run" data-run-id="{e(run["id"])}" data-status="{e(run["status"])}">'
        f'<p class="run-status">{badge(run["status"])}</p>'
        f'<div class="columns"><section class="card"><h2>Run</h2>{summary}</section>'
        f'<section class="card"><h2>Step graph</h2><div class="graph-box">{drawing}</div></section></div>{error}'
        f'<section class="card"><h2>Parameters</h2>{pairs(run["parameters"])}'
        f'<h3>Metadata</h3>{pairs(run["metadata"])}</section>'
        + "".join(_step_section(s) for s in steps)
        + '<section class="card"><h2>Stack</h2>' + table(["type", "name", "flavor", "configuration"], components)
        + "</section></div>"
    )
    return layout(f'Run {run["name"]}', body, overview, "/runs", '<script src="/static/run.js" defer></script>')


def _step_section(step: Mapping[str, Any]) -> str:
    facts = pairs({
        "status": step["status"], "duration": seconds(step["duration"]),
        "cache": "served from cache" if step["cached"] else "executed", "cache key": step["cache_key"] or "",
        "attempts": step["attempts"], "waits for": ", ".join(step["upstream"]) or "nothing",
    })
    error = f'<h3>Error</h3><pre class="error">{e(step["error"])}</pre>' if step["error"] else ""
    logs = step["logs"]
    logs_html = (f'<pre class="logs">{e(logs)}</pre>' if logs else
                 f'<p class="muted">{"nothing printed" if logs == "" else "no logs (the step did not run)"}</p>')
    outputs = "".join(_artifact(a) for a in step["outputs"]) or '<p class="muted">no outputs</p>'
    inputs = "".join(
        f'<li><b>{e(a["name"])}</b> <code>{e(a["uri"])}</code></li>' for a in step["inputs"]
    )
    return (
        f'<section class="card step status-{e(step["status"])}" id="step-{e(step["name"])}" data-step="{e(step["name"])}">'
        f'<h2>Step {e(step["name"])} {badge(step["status"])}</h2>{facts}{error}'
        f'<h3>Parameters</h3>{pairs(step["parameters"])}<h3>Metadata</h3>{pairs(step["metadata"])}'
        f'<h3>Inputs</h3>{"<ul>" + inputs + "</ul>" if inputs else "<p class=muted>none</p>"}'
        f"<h3>Outputs</h3>{outputs}<h3>Logs</h3>{logs_html}</section>"
    )


def _artifact(a: Mapping[str, Any]) -> str:
    p = a.get("preview") or {}
    head = f'<div class="artifact"><b>{e(a["name"])}</b> <span class="muted">{e(a["data_type"])}</span>'
    uri = f'<div class="uri">URI <code>{e(a["uri"])}</code></div>'
    shape = ""
    if p.get("kind") in ("array", "dataframe"):
        dtype = p["dtype"] if isinstance(p["dtype"], str) else ", ".join(f"{k}: {v}" for k, v in p["dtype"].items())
        shape = f'<div class="shape">shape {e(tuple(p["shape"]))} · dtype {e(dtype)}</div>'
    if p.get("kind") == "dataframe":
        body = table(p["columns"], [[e(c) for c in row] for row in p["rows"]], "frame")
    else:
        body = f'<pre class="preview">{e(p.get("text", ""))}</pre>' if p else ""
    return head + uri + shape + body + "</div>"
