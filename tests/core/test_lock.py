"""The store lock (``stackyard.files.locked``): one holder across processes and threads, re-entrant,
released when its holder dies, and a timeout that names the lock file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from stackyard import files
from stackyard.exceptions import StackyardError

INCREMENTS = """
import sys
from pathlib import Path
from stackyard.files import locked

folder, count = Path(sys.argv[1]), int(sys.argv[2])
counter = folder / "counter"
for _ in range(count):
    with locked(folder):
        value = int(counter.read_text())
        counter.write_text(str(value + 1))  # a lost update shows as a smaller total
"""

HOLDER = """
import sys, time
from pathlib import Path
from stackyard.files import locked

with locked(Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_processes_and_threads_never_hold_it_together(tmp_path: Path) -> None:
    (tmp_path / "counter").write_text("0")
    children = [
        subprocess.Popen([sys.executable, "-c", INCREMENTS, str(tmp_path), "150"]) for _ in range(3)
    ]

    def increments() -> None:
        for _ in range(150):
            with files.locked(tmp_path):
                value = int((tmp_path / "counter").read_text())
                (tmp_path / "counter").write_text(str(value + 1))

    threads = [threading.Thread(target=increments) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [child.wait(timeout=120) for child in children] == [0, 0, 0]
    assert (tmp_path / "counter").read_text() == str(5 * 150)


def test_it_is_reentrant_within_a_thread(tmp_path: Path) -> None:
    with files.locked(tmp_path):
        with files.locked(tmp_path):
            pass
        with files.locked(tmp_path):  # still held after the inner release
            assert _taken_elsewhere(tmp_path)
    assert not _taken_elsewhere(tmp_path)


def test_a_killed_holder_releases_it_and_a_live_one_times_out_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        monkeypatch.setattr(files, "LOCK_TIMEOUT", 0.3)
        with pytest.raises(StackyardError) as caught:
            with files.locked(tmp_path):
                pass
        assert str(tmp_path / ".lock") in str(caught.value)
        assert "another stackyard process is writing" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
    with files.locked(tmp_path):  # the system released the dead process's lock
        pass


def _taken_elsewhere(folder: Path) -> bool:
    """Whether another process finds the lock of ``folder`` taken (it gives up after 0.2 s)."""
    code = (
        "import sys; from pathlib import Path; from stackyard import files; files.LOCK_TIMEOUT = 0.2\n"
        "try:\n    with files.locked(Path(sys.argv[1])): pass\nexcept Exception: sys.exit(3)\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(folder)]).returncode == 3
