"""Benchmark ``stackyard dashboard`` on a profile with 1,000 runs.

Run: ``.venv/bin/python benchmarks/dashboard.py`` (``--runs N``, ``--starts N``, ``--renders N``, ``--markdown``).

Records ``--runs`` real pipeline runs (the diamond of ``stackyard.testing.sample_pipelines``,
four steps, every 10th run served from cache and every 25th a failure) in a
temporary config directory, then measures, medians of repeated tries:

- **start**: from launching ``stackyard dashboard --no-browser --port P`` until
  ``GET /api`` answers 200 (goal: under 1 s), next to ``python -c pass``;
- **first page**: the runs list requested right after start-up (cold: plugin
  discovery, first open of the metadata store);
- **run list**: ``GET /runs`` (the HTML page, newest 50 of all runs, with
  steps from cache) and ``GET /api/runs`` on the warm server (goal: under 300 ms);
- **run page**: ``GET /runs/<id>`` of one diamond run (graph, logs, previews).

Bytecode caching is on, as for anyone who installed with pip (into a temporary
``PYTHONPYCACHEPREFIX``, so the checkout stays clean). Nothing is asserted:
the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cli_runs import environment, stackyard

START_GOAL = 1.0
LIST_GOAL = 0.300

POPULATE = """
import sys
from stackyard import Repository
from stackyard.testing.sample_pipelines import diamond, failing

count = int(sys.argv[1])
for i in range(count):
    if i % 25 == 24:
        try:
            failing().run()
        except Exception:
            pass
    else:
        diamond(n=i - 1 if i % 10 == 9 else i).run()  # every 10th repeats the previous one: from cache
runs = Repository().get_runs()
print(len(runs), next(r.id for r in reversed(runs) if r.pipeline_name == "diamond"))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def start(env: dict[str, str], cwd: Path) -> tuple[float, float, subprocess.Popen[bytes], str]:
    """Seconds until ``/api`` answers, seconds of the first ``/runs`` after that, the process, its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    process = subprocess.Popen([*stackyard(), "dashboard", "--no-browser", "--port", str(port)], env=env, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not answers(url + "/api"):
        if process.poll() is not None:
            raise SystemExit(f"the dashboard exited with {process.returncode}")
        if time.perf_counter() - began > 60:
            process.kill()
            raise SystemExit("the dashboard did not answer within 60 s")
        time.sleep(0.005)
    started = time.perf_counter() - began
    t0 = time.perf_counter()
    get(url + "/runs")
    return started, time.perf_counter() - t0, process, url


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def timed(url: str, renders: int) -> float:
    times = []
    for _ in range(renders):
        t0 = time.perf_counter()
        status, _ = get(url)
        times.append(time.perf_counter() - t0)
        assert status == 200, url
    return statistics.median(times)


def python_pass(env: dict[str, str], tries: int) -> float:
    times = []
    for _ in range(tries):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="pipeline runs to record first")
    parser.add_argument("--starts", type=int, default=7, help="server starts to time")
    parser.add_argument("--renders", type=int, default=20, help="page requests to time on the warm server")
    parser.add_argument("--markdown", action="store_true", help="print a table for docs/benchmarks.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config, cache, project = root / "config", root / "pycache", root / "project"
        project.mkdir()
        env = environment(config, cache)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", POPULATE, str(args.runs)], env=env, cwd=project,
                             capture_output=True, text=True, check=True).stdout.split()
        recorded, diamond_id = int(out[0]), out[1]
        print(f"recorded {recorded} runs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

        stop(start(env, project)[2])  # warm the bytecode cache and the plugin discovery cache
        floor = python_pass(env, args.starts)
        starts, firsts = [], []
        for _ in range(args.starts):
            started, first, process, url = start(env, project)
            starts.append(started)
            firsts.append(first)
            stop(process)

        started, first, process, url = start(env, project)
        try:
            rows = len(json.loads(get(url + "/api/runs")[1])["runs"])
            results = {
                "run list page (GET /runs)": timed(url + "/runs", args.renders),
                "run list JSON (GET /api/runs)": timed(url + "/api/runs", args.renders),
                "run page of a diamond (GET /runs/ID)": timed(f"{url}/runs/{diamond_id}", args.renders),
                "stacks page (GET /)": timed(url + "/", args.renders),
            }
        finally:
            stop(process)

    start_median = statistics.median(starts)
    lines = [
        f"runs in the profile: {recorded} (run list shows the newest {rows})",
        f"python -c pass: {floor * 1000:.0f} ms",
        f"dashboard start until it answers: {start_median * 1000:.0f} ms "
        f"({start_median / floor:.1f}x python -c pass; {start_median / START_GOAL:.2f} of the 1 s goal)",
        f"first run list after start: {statistics.median(firsts) * 1000:.0f} ms",
    ]
    for name, value in results.items():
        goal = f" ({value / LIST_GOAL:.2f} of the 300 ms goal)" if name.startswith("run list") else ""
        lines.append(f"{name}: {value * 1000:.1f} ms{goal}")
    print("\n".join(lines))
    if args.markdown:
        print("\n| measure | median | goal |\n|---|---|---|")
        print(f"| `stackyard dashboard --no-browser` until `/api` answers | {start_median * 1000:.0f} ms | < 1 s |")
        print(f"| first `/runs` right after start | {statistics.median(firsts) * 1000:.0f} ms | |")
        for name, value in results.items():
            print(f"| {name} | {value * 1000:.1f} ms | {'< 300 ms' if name.startswith('run list') else ''} |")


if __name__ == "__main__":
    main()
