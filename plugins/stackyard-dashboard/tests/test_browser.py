"""The dashboard as a person sees it: pages rendered by a real headless Chromium (Debian's, through playwright).

Where Chromium is missing these tests skip saying so, unless ``STACKYARD_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import signal
from typing import Any
from urllib.parse import urljoin, urlparse

from dashboard_support import LEGACY_VALUE, SECRET_VALUE, Server, Workspace, wait_until


def test_the_runs_list_shows_a_run_just_executed(page: Any, server: Server, workspace: Workspace) -> None:
    run = workspace.run_pipeline("diamond", n=41)
    page.goto(server.url + "/runs")
    row = page.locator("table.runs tbody tr", has=page.get_by_role("link", name=run["name"]))
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[1:3] == ["diamond", "completed"] and cells[5] == "0 / 4" and cells[6] == "default"
    page.get_by_role("link", name=run["name"]).click()
    page.wait_for_url(f"**/runs/{run['id']}")
    assert page.locator("h1").inner_text() == f"Run {run['name']}"


def test_the_run_page_draws_every_step_of_a_diamond_with_its_edges_and_status(
    page: Any, server: Server, runs: dict[str, dict[str, str]]
) -> None:
    page.goto(f"{server.url}/runs/{runs['diamond']['id']}")
    nodes = page.locator("svg.graph g.node")
    assert sorted(nodes.evaluate_all("els => els.map(e => e.dataset.step + ':' + e.dataset.status)")) == [
        "add:completed", "double:completed", "source:completed", "triple:completed"]
    edges = page.locator("svg.graph path.edge").evaluate_all("els => els.map(e => e.dataset.from + '>' + e.dataset.to)")
    assert sorted(edges) == ["double>add", "source>double", "source>triple", "triple>add"]
    # laid out in layers: source above double and triple, which sit side by side above add
    box = {name: page.locator(f'svg.graph g.node[data-step="{name}"] rect').bounding_box() for name in
           ("source", "double", "triple", "add")}
    assert box["source"]["y"] < box["double"]["y"] == box["triple"]["y"] < box["add"]["y"]
    assert box["double"]["x"] != box["triple"]["x"]
    assert page.locator("svg.graph").is_visible()
    assert page.locator(".run-status .badge").inner_text() == "completed"
    add = page.locator("#step-add")
    assert "15" in add.locator("pre.preview").inner_text() and "URI" in add.inner_text()

    page.goto(f"{server.url}/runs/{runs['diamond_cached']['id']}")
    statuses = page.locator("svg.graph g.node").evaluate_all("els => els.map(e => e.dataset.status)")
    assert statuses == ["cached"] * 4
    assert page.locator("#step-add").get_by_text("served from cache").is_visible()


def test_a_failed_run_shows_its_error(page: Any, server: Server, runs: dict[str, dict[str, str]]) -> None:
    page.goto(f"{server.url}/runs/{runs['failing']['id']}")
    assert page.locator(".run-status .badge").inner_text() == "failed"
    assert "step failed on purpose with 5" in page.locator("section.failure pre.error").inner_text()
    assert page.locator('svg.graph g.node[data-step="explode"]').get_attribute("data-status") == "failed"
    assert "ConformanceStepError" in page.locator("#step-explode pre.error").inner_text()


def test_a_running_run_updates_itself(
    page: Any, server: Server, workspace: Workspace
) -> None:
    gate = workspace.root / "gate-open"
    process = workspace.start_pipeline("gated", gate=str(gate))
    try:
        run = wait_until(lambda: next((r for r in server.json("/api/runs?pipeline=gated&status=running")["runs"]), None))
        page.goto(f"{server.url}/runs/{run['id']}")
        assert page.locator(".run-status .badge").inner_text() == "running"
        assert page.locator('svg.graph g.node[data-step="wait_for"]').get_attribute("data-status") == "running"
        gate.touch()
        page.locator('.run-status .badge:text-is("completed")').wait_for(timeout=30_000)  # no reload by the test
        assert sorted(page.locator("svg.graph g.node").evaluate_all("els => els.map(e => e.dataset.status)")) == [
            "completed", "completed"]
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()



def test_a_run_whose_process_was_killed_shows_as_crashed(page: Any, server: Server, workspace: Workspace) -> None:
    doomed = workspace.start_pipeline("gated", gate=str(workspace.root / "gate-never-opened"))
    try:
        crashing = wait_until(lambda: next(
            (r for r in server.json("/api/runs?pipeline=gated&status=running")["runs"]), None))
        wait_until(lambda: "wait_for" in server.json(f"/api/runs/{crashing['id']}/status")["step_status"])
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
    page.goto(f"{server.url}/runs/{crashing['id']}")
    assert page.locator(".run-status .badge").inner_text() == "crashed"
    assert page.locator('svg.graph g.node[data-step="wait_for"]').get_attribute("data-status") == "crashed"
    assert str(doomed.pid) in page.locator("section.failure pre.error").inner_text()
    page.goto(f"{server.url}/runs?status=crashed")
    assert page.get_by_role("link", name=crashing["name"]).is_visible()


def test_no_page_contains_a_secret_value(page: Any, server: Server, workspace: Workspace) -> None:
    workspace.run_pipeline("diamond", n=7)  # a run on the stack whose alerter refers to the secret
    seen: set[str] = set()
    queue = ["/"]
    origin = urlparse(server.url)
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        content = page.content()
        assert SECRET_VALUE not in content and LEGACY_VALUE not in content, path
        for href in page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
            target = urlparse(urljoin(server.url + path, href))
            if target.netloc == origin.netloc and not target.fragment:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert {"/", "/components", "/flavors", "/pipelines", "/runs"} <= seen
    assert sum(p.startswith("/runs/") for p in seen) >= 5, seen
    for path in ["/api", "/api/stacks", "/api/components", "/api/flavors", "/api/plugins", "/api/pipelines",
                 "/api/runs?per_page=500", *(f"/api{p}" for p in seen if p.startswith("/runs/"))]:
        status, body = server.get(path)
        assert status == 200 and SECRET_VALUE not in body and LEGACY_VALUE not in body, path
