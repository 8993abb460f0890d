"""The JSON API and the HTML pages over real HTTP, served by ``stackyard dashboard`` on 127.0.0.1."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from dashboard_support import LEGACY_VALUE, SECRET_VALUE, Server, Workspace, wait_until


def test_the_overview_names_the_active_profile_and_stack(server: Server) -> None:
    assert server.json("/api") == {"profile": "default", "active_stack": "default"}


def test_stacks_show_the_active_marker_components_flavors_packages_and_problems(server: Server) -> None:
    stacks = {s["name"]: s for s in server.json("/api/stacks")}
    assert set(stacks) == {"default", "spare"}
    assert stacks["default"]["active"] and not stacks["spare"]["active"]
    components = {c["type"]: c for c in stacks["default"]["components"]}
    assert components["metadata_store"] == {"type": "metadata_store", "name": "default", "flavor": "sqlite", "package": "stackyard-local"}
    assert components["alerter"]["flavor"] == "hook" and components["alerter"]["package"] == "stackyard-dash-hook"
    assert stacks["default"]["problems"] == []
    status, html = server.get("/")
    assert status == 200 and "stackyard-dash-hook" in html
    assert '<h2>default <span class="active-marker" title="the active stack">active</span></h2>' in html
    assert "<h2>spare </h2>" in html


def test_components_show_references_and_mask_plain_sensitive_values(server: Server) -> None:
    alerters = {c["name"]: c for c in server.json("/api/components") if c["type"] == "alerter"}
    assert alerters["loud"]["config"]["token"] == "{{hook.token}}"  # a reference is safe to show
    assert alerters["old"]["config"]["token"] == "********"
    assert alerters["loud"]["stacks"] == ["default", "spare"] and alerters["loud"]["active"]
    status, html = server.get("/components")
    assert status == 200 and "{{hook.token}}" in html and "********" in html
    assert LEGACY_VALUE not in html and SECRET_VALUE not in html


def test_plugins_show_status_errors_and_flavors(server: Server) -> None:
    plugins = {p["package"]: p for p in server.json("/api/plugins")["plugins"]}
    assert plugins["stackyard-dashboard"]["status"] == "loaded"
    assert plugins["stackyard-dash-hook"]["flavors"] == ["alerter/hook"]
    broken = plugins["stackyard-dash-broken"]
    assert broken["status"] == "failed" and "module_nobody_installed_for_dashboard" in broken["errors"][0]
    flavors = {(f["type"], f["name"]): f for f in server.json("/api/flavors")}
    assert flavors[("alerter", "hook")]["description"] == "Posts alerts to a webhook."
    status, html = server.get("/flavors")
    assert status == 200 and "module_nobody_installed_for_dashboard" in html and "no clashes" in html
    assert "command: stackyard dashboard" in html


def test_runs_list_status_duration_cache_and_stack(server: Server, runs: dict[str, dict[str, str]]) -> None:
    listed = {r["id"]: r for r in server.json("/api/runs?per_page=500")["runs"]}
    first, again = listed[runs["diamond"]["id"]], listed[runs["diamond_cached"]["id"]]
    assert (first["status"], first["steps"], first["cached_steps"], first["stack"]) == ("completed", 4, 0, "default")
    assert (again["status"], again["steps"], again["cached_steps"]) == ("cached", 4, 4)
    assert first["duration"] > 0 and first["started"] <= again["started"]
    assert listed[runs["failing"]["id"]]["status"] == "failed"
    pipelines = {p["name"]: p for p in server.json("/api/pipelines")}
    assert pipelines["failing"]["latest_status"] == "failed" and pipelines["diamond"]["runs"] >= 2
    assert "preview" not in server.json(f"/api/runs/{runs['tables']['id']}?previews=0")["step_details"][0]["outputs"][0]


def test_runs_are_newest_first_and_filter_by_pipeline_status_and_stack(server: Server, runs: dict[str, dict[str, str]]) -> None:
    everything = server.json("/api/runs")
    starts = [r["started"] for r in everything["runs"]]
    assert starts == sorted(starts, reverse=True)
    assert set(everything["choices"]["pipeline"]) >= {"diamond", "failing", "tables"}
    only_diamond = server.json("/api/runs?pipeline=diamond")["runs"]
    assert only_diamond and {r["pipeline"] for r in only_diamond} == {"diamond"}
    failed = server.json("/api/runs?status=failed")["runs"]
    assert runs["failing"]["id"] in {r["id"] for r in failed} and {r["status"] for r in failed} == {"failed"}
    assert server.json("/api/runs?stack=spare")["total"] == 0
    assert server.json("/api/runs?stack=default")["total"] == everything["total"]
    paged = server.json("/api/runs?per_page=1&page=2")
    assert len(paged["runs"]) == 1 and paged["runs"][0]["id"] == everything["runs"][1]["id"]
    status, html = server.get("/runs?pipeline=failing")
    assert runs["failing"]["name"] in html and runs["diamond"]["name"] not in html


def test_a_run_has_its_layered_graph_steps_and_previews(server: Server, runs: dict[str, dict[str, str]]) -> None:
    run = server.json(f"/api/runs/{runs['diamond']['id']}")
    first, middle, last = run["graph"]["layers"]
    assert (first, sorted(middle), last) == (["source"], ["double", "triple"], ["add"])
    steps = {s["name"]: s for s in run["step_details"]}
    assert sorted(steps["add"]["upstream"]) == ["double", "triple"] and steps["double"]["upstream"] == ["source"]
    assert steps["add"]["outputs"][0]["preview"] == {"kind": "repr", "type": "builtins.int", "text": "15"}
    assert steps["source"]["parameters"] == {"n": 3} and not steps["source"]["cached"]
    assert steps["add"]["outputs"][0]["uri"].startswith(str(run["stack_components"]["artifact_store"]["config"]["path"]))
    cached = server.json(f"/api/runs/{runs['diamond_cached']['id']}")
    assert all(s["cached"] and s["status"] == "cached" for s in cached["step_details"])


def test_array_and_dataframe_previews_show_shape_dtype_and_rows(server: Server, runs: dict[str, dict[str, str]]) -> None:
    steps = {s["name"]: s for s in server.json(f"/api/runs/{runs['tables']['id']}")["step_details"]}
    frame = steps["table_source"]["outputs"][0]["preview"]
    assert frame["kind"] == "dataframe" and frame["shape"] == [8, 2] and frame["columns"] == ["x", "label"]
    assert frame["rows"][:2] == [[0, "row-0"], [1, "row-1"]] and len(frame["rows"]) == 5
    assert frame["dtype"]["x"] == "int64"
    array = steps["to_array"]["outputs"][0]["preview"]
    assert (array["kind"], array["shape"], array["dtype"]) == ("array", [4, 2], "float32")
    assert "[0., 1.]" in array["text"].replace(" ", "").replace("[0.,1.]", "[0., 1.]")
    assert steps["table_source"]["logs"] == "making a table of 8 rows\n"
    status, html = server.get(f"/runs/{runs['tables']['id']}")
    assert "shape (8, 2)" in html and "row-4" in html and "making a table of 8 rows" in html


def test_a_failed_run_has_its_error_and_the_failing_steps_traceback(server: Server, runs: dict[str, dict[str, str]]) -> None:
    run = server.json(f"/api/runs/{runs['failing']['id']}")
    assert run["status"] == "failed" and "step failed on purpose with 5" in run["error"]
    explode = next(s for s in run["step_details"] if s["name"] == "explode")
    assert explode["status"] == "failed" and "ConformanceStepError" in explode["error"]
    assert "Traceback" in explode["error"]


def test_unknown_runs_are_a_404_naming_the_run(server: Server) -> None:
    status, body = server.get("/api/runs/no-such-run")
    assert status == 404 and "no-such-run" in body and "error" in body
    status, html = server.get("/runs/no-such-run")
    assert status == 404 and "No run named or with id &#x27;no-such-run&#x27;" in html


def test_it_is_read_only_and_answers_only_to_loopback_names(server: Server) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url + "/api/runs", data=b"{}", method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("POST was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 405
    status, _ = server.get("/api", Host="attacker.example")  # DNS rebinding
    assert status == 400
    assert server.url.startswith("http://127.0.0.1:")


def test_assets_are_served_locally(server: Server) -> None:
    status, html = server.get("/runs")
    assert "http://" not in html.replace(server.url, "") and "https://" not in html
    for asset in ("/static/dashboard.css", "/static/run.js", "/static/favicon.svg"):
        assert server.get(asset)[0] == 200


def test_a_taken_port_is_one_clean_error(workspace: Workspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = workspace.cli("dashboard", "--no-browser", "--port", str(port), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: Cannot listen on 127.0.0.1:{port}: ")
    assert "choose another --port, or leave it out to take a free one." in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_host_is_one_clean_error(workspace: Workspace) -> None:
    result = workspace.cli("dashboard", "--no-browser", "--host", "no-such-host.invalid", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Error: Cannot listen on host 'no-such-host.invalid'" in result.stderr


def test_importing_the_plugin_does_not_import_the_server() -> None:
    from stackyard.testing.assertions import modules_imported_by

    loaded = modules_imported_by("import stackyard_dashboard.plugin")
    assert sorted(m for m in ("starlette", "uvicorn") if m in loaded) == []


def test_a_chosen_port_is_served_and_the_browser_opened_on_it(workspace: Workspace, tmp_path: Path) -> None:
    import subprocess
    import urllib.request

    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys, pathlib; pathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**workspace.env, "BROWSER": f"{sys.executable} {recorder} %s"}  # what webbrowser runs
    process = subprocess.Popen([sys.executable, "-m", "stackyard_cli", "dashboard", "--port", str(port)],
                               cwd=workspace.project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(opened.exists)
        assert opened.read_text() == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert f"Stackyard dashboard: http://127.0.0.1:{port}/" in out
    assert "Traceback" not in err
