"""examples/distributed: the quickstart, unchanged, on Dask + S3 (moto) + PostgreSQL, in one command.

The test runs the example script as a user does. The script starts a Dask
scheduler with two worker processes, moto's S3 server and a throwaway
PostgreSQL on 127.0.0.1 (once, for both runs of the quickstart), registers the
stack with the credentials as secret references, runs ``examples/quickstart/run.py``
twice, reads the runs back with the CLI and stops everything it started. Needs
stackyard-dask, stackyard-s3 and stackyard-sql with their test extras.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stackyard import Repository

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "examples" / "distributed" / "run.py"
STEPS = ["load_data", "split", "train", "evaluate"]


def step_statuses(block: str) -> dict[str, str]:
    return dict(re.findall(rf"^({'|'.join(STEPS)}) +(completed|cached|failed) ", block, re.MULTILINE))


def refuses(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(5)
        return probe.connect_ex((host, port)) != 0


@pytest.mark.slow
def test_quickstart_runs_on_dask_s3_and_postgres_and_everything_stops(isolated: Path) -> None:
    result = subprocess.run([sys.executable, str(RUN)], capture_output=True, text=True, timeout=900)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr

    # The three servers, all on loopback.
    pg = re.search(r"^Started PostgreSQL \((debian|pgserver)\) on 127\.0\.0\.1:(\d+), data in (\S+)$", out, re.MULTILINE)
    s3 = re.search(r"^Started a moto S3 server at http://127\.0\.0\.1:(\d+) with bucket", out, re.MULTILINE)
    dask = re.search(r"^Started a Dask scheduler at tcp://127\.0\.0\.1:(\d+) with 2 worker processes \((.+?)\)",
                     out, re.MULTILINE)
    assert pg and s3 and dask, out
    workers = re.findall(r"tcp://127\.0\.0\.1:(\d+)", dask[2])
    assert len(workers) == 2

    # The quickstart, unchanged, twice: everything computed, then everything from cache.
    first, second = out.split("# The quickstart, unchanged, ")[1:3]
    assert re.search(r"^Pipeline run '\S+' on stack 'distributed': completed in", first, re.MULTILINE)
    assert step_statuses(first) == dict.fromkeys(STEPS, "completed")
    assert re.search(r"^Pipeline run '\S+' on stack 'distributed': cached in", second, re.MULTILINE)
    assert step_statuses(second) == dict.fromkeys(STEPS, "cached")
    for block in (first, second):
        assert re.search(r"^Test accuracy 0\.9\d\d, macro F1 0\.9\d\d on 450 held-out images", block, re.MULTILINE)
        assert "Artifacts:       s3://stackyard-artifacts/quickstart" in block
        assert "Metadata store:  postgres" in block
    assert "Runs so far:     1 " in first and "Runs so far:     2 " in second

    # Read back through the CLI from PostgreSQL, with the artifacts in the bucket.
    readback = out.split("# Read back from PostgreSQL; ")[1]
    assert int(re.match(r"(\d+) objects in s3://stackyard-artifacts", readback)[1]) > 0
    runs = re.findall(r"^  (training_pipeline-\S+): (\w+), (\d) of (\d) steps from cache$", readback, re.MULTILINE)
    assert [(status, cached, total) for _, status, cached, total in runs] == [
        ("completed", "0", "4"), ("cached", "4", "4"),
    ]

    # Credentials were secret references: their values appear nowhere in what the user saw.
    for value in ("demo-secret-key", "throwaway-pw-7d1c"):
        assert value not in out + result.stderr

    # Everything stopped and removed; the user's own profile and stack untouched.
    assert "Everything started has been stopped." in out
    for port in (int(pg[2]), int(s3[1]), int(dask[1]), *map(int, workers)):
        assert refuses("127.0.0.1", port), f"port {port} still open"
    assert not Path(pg[3]).exists()
    folder = re.search(r"--path=(/\S+)/secrets\.json", out)[1]
    assert not Path(folder).exists()
    import psutil

    leftovers = [p.info for p in psutil.process_iter(["pid", "cmdline"]) if pg[3] in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []
    repo = Repository()
    assert repo.active_profile_name == "default" and repo.active_stack_name == "default"
    assert "distributed_example" not in [profile.name for profile in repo.get_profiles()]


@pytest.mark.slow
def test_interrupting_the_example_stops_everything_it_started(isolated: Path) -> None:
    """Ctrl+C in the middle of the first run: the servers, the workers and the profile are gone afterwards."""
    child = subprocess.Popen([sys.executable, "-u", str(RUN)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    seen = []
    for line in child.stdout:  # type: ignore[union-attr]
        seen.append(line)
        if line.startswith("$ python examples/quickstart/run.py"):
            child.send_signal(signal.SIGINT)
            break
    rest, err = child.communicate(timeout=300)
    out = "".join(seen) + rest

    assert child.returncode == 130, out + err
    assert "Interrupted: everything started has been stopped." in err
    assert "Traceback" not in err
    assert "Stopped PostgreSQL" in out and "Stopped the S3 server" in out and "Stopped the Dask scheduler" in out
    ports = {int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", out.split("$ stackyard")[0])}
    assert len(ports) == 5  # PostgreSQL, S3, the scheduler and two workers
    assert all(refuses("127.0.0.1", port) for port in ports)
    assert "distributed_example" not in [profile.name for profile in Repository().get_profiles()]
