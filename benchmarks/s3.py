"""Benchmark artifact throughput of the S3 artifact store against raw s3fs on the same S3 server.

Run: ``.venv/bin/python benchmarks/s3.py`` (``--runs N``, default 7, ``--sizes 1,16,64`` in MB, ``--markdown``).
Needs ``stackyard-s3[test]`` installed (s3fs, moto[server]).

Starts moto's S3 server as a separate process (the ``moto_server`` command) on
127.0.0.1, creates a bucket, and for each size writes and reads the same
random bytes four ways, round-robin so that load elsewhere hits all alike:

- through the store: ``store.open(uri, "wb").write(data)`` / ``store.open(uri, "rb").read()``,
  which is how materializers write and read artifacts;
- raw s3fs in memory: ``fs.pipe_file`` / ``fs.cat_file``;
- raw s3fs from and to a file: ``fs.put_file`` / ``fs.get_file`` (the bytes in a temp file).

Objects under 16 MB are timed several in a row per run. Prints the median MB/s of each and the store's ratio to the faster raw way.
Target (docs/benchmarks.md): the store at least 80% of raw s3fs, writing and reading.
The server is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

TARGET = 0.80
BUCKET = "stackyard-bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    command = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if command is None:
        sys.exit("moto_server not found: pip install 'moto[server]' (or ./plugins/stackyard-s3[test])")
    port = free_port()
    server = subprocess.Popen(
        [command, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1).close()  # noqa: S310 - loopback
            return server, endpoint
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit("moto_server did not answer within 30 s")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="1,16,64", help="object sizes in MB, comma-separated")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    import s3fs

    from stackyard_s3.artifact_store import S3ArtifactStore

    server, endpoint = start_moto()
    try:
        raw = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True, use_listings_cache=False)
        raw.call_s3("create_bucket", Bucket=BUCKET)
        store = S3ArtifactStore(name="bench", path=f"s3://{BUCKET}/store", endpoint_url=endpoint)
        rows = []
        with tempfile.TemporaryDirectory() as scratch:
            for size_mb in (int(s) for s in args.sizes.split(",")):
                data = os.urandom(size_mb * 1024 * 1024)
                source, target = Path(scratch) / "source.bin", Path(scratch) / "target.bin"
                source.write_bytes(data)
                uri, raw_key, file_key = (f"s3://{BUCKET}/store/a.bin", f"{BUCKET}/raw/a.bin", f"{BUCKET}/file/a.bin")

                def store_write() -> None:
                    with store.open(uri, "wb") as handle:
                        handle.write(data)

                def store_read() -> None:
                    with store.open(uri, "rb") as handle:
                        assert len(handle.read()) == len(data)

                ways: dict[str, Callable[[], object]] = {
                    "store write": store_write,
                    "raw pipe_file": lambda: raw.pipe_file(raw_key, data),
                    "raw put_file": lambda: raw.put_file(str(source), file_key),
                    "store read": store_read,
                    "raw cat_file": lambda: raw.cat_file(raw_key),
                    "raw get_file": lambda: raw.get_file(file_key, str(target)),
                }
                for action in ways.values():  # warm-up: clients, connections, first objects
                    action()
                repeat = max(1, 16 // size_mb)  # small objects: time several in a row, less noise
                times: dict[str, list[float]] = {name: [] for name in ways}
                for _ in range(args.runs):
                    for name, action in ways.items():
                        times[name].append(sum(timed(action) for _ in range(repeat)) / repeat)
                speed = {name: size_mb / statistics.median(t) for name, t in times.items()}
                write_ratio = speed["store write"] / max(speed["raw pipe_file"], speed["raw put_file"])
                read_ratio = speed["store read"] / max(speed["raw cat_file"], speed["raw get_file"])
                rows.append((size_mb, speed, write_ratio, read_ratio))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    header = ("size", "store write", "raw pipe", "raw put", "write ratio",
              "store read", "raw cat", "raw get", "read ratio")
    lines = []
    for size_mb, speed, write_ratio, read_ratio in rows:
        lines.append((
            f"{size_mb} MB", f"{speed['store write']:.0f}", f"{speed['raw pipe_file']:.0f}",
            f"{speed['raw put_file']:.0f}", f"{write_ratio:.2f}", f"{speed['store read']:.0f}",
            f"{speed['raw cat_file']:.0f}", f"{speed['raw get_file']:.0f}", f"{read_ratio:.2f}",
        ))
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        print("MB/s, median of", args.runs, "runs; ratio = store / faster raw way")
        print("  ".join(f"{h:>11}" for h in header))
        for line in lines:
            print("  ".join(f"{cell:>11}" for cell in line))
    worst = min(min(w, r) for _, _, w, r in rows)
    print(f"worst ratio {worst:.2f} (target >= {TARGET:.2f}): {'met' if worst >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
