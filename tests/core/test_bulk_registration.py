"""``Repository.register_stack_components``: many components in one call, all of them or none —
also when the process is killed during the call."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from stackyard import Repository
from stackyard.enums import StackComponentType
from stackyard.exceptions import InvalidFlavorError, StackComponentExistsError
from stackyard_local import LocalArtifactStore, LocalOrchestrator

T = StackComponentType

KILLED = """
import sys
from stackyard import Repository
from stackyard_local import LocalArtifactStore

repo = Repository()
stores = [LocalArtifactStore(name=f"bulk-{i:04d}", path=f"/tmp/bulk/{i}") for i in range(int(sys.argv[1]))]
repo.component_names("artifact_store")
print("ready", flush=True)
repo.register_stack_components(stores)
print("done", flush=True)
"""


DIES_HALFWAY = """
import os, sys
import stackyard.journal as journal
from stackyard import Repository
from stackyard_local import LocalArtifactStore

real, written = journal.write_text_atomic, []

def write_then_die(path, text, **kwargs):  # the process dies after the journal and half the files
    real(path, text, **kwargs)
    written.append(path)
    if len(written) > int(sys.argv[1]) // 2:
        os._exit(9)

journal.write_text_atomic = write_then_die
stores = [LocalArtifactStore(name=f"bulk-{i:04d}", path=f"/tmp/bulk/{i}") for i in range(int(sys.argv[1]))]
Repository().register_stack_components(stores)
"""


def stored(repo: Repository, kind: StackComponentType = T.ARTIFACT_STORE) -> set[str]:
    return {name for name in repo.component_names(kind) if name != "default"}


def test_every_component_is_registered_and_reads_back(isolated: Path) -> None:
    repo = Repository()
    stores = [LocalArtifactStore(name=f"store-{i}", path=str(isolated / f"s{i}")) for i in range(50)]
    orchestrators = [LocalOrchestrator(name=f"orch-{i}") for i in range(5)]
    repo.register_stack_components([*stores, *orchestrators])
    assert stored(repo) == {f"store-{i}" for i in range(50)}
    assert stored(repo, T.ORCHESTRATOR) == {f"orch-{i}" for i in range(5)}
    again = Repository().get_stack_component(T.ARTIFACT_STORE, "store-7")
    assert again == stores[7] and again.path == str(isolated / "s7")
    assert not [p for p in isolated.parent.rglob(".*.tmp")]  # no temporary file left
    assert not [p for p in isolated.parent.rglob(".journal.json")]


@pytest.mark.parametrize(
    "names",
    [
        ["new-1", "default", "new-2"],  # registered already
        ["new-1", "twin", "new-2", "twin"],  # twice in the batch
        ["new-1", "Case", "case"],  # names differing only in case
    ],
)
def test_a_taken_name_refuses_the_whole_batch(isolated: Path, names: list[str]) -> None:
    repo = Repository()
    before = stored(repo)
    with pytest.raises(StackComponentExistsError):
        repo.register_stack_components([LocalArtifactStore(name=n, path="/tmp/x") for n in names])
    assert stored(repo) == before


def test_an_unregistered_flavor_class_refuses_the_whole_batch(isolated: Path) -> None:
    class Impostor(LocalArtifactStore):
        FLAVOR: ClassVar[str] = "local"

    repo = Repository()
    with pytest.raises(InvalidFlavorError):
        repo.register_stack_components([LocalArtifactStore(name="fine", path="/tmp/x"), Impostor(name="odd", path="/y")])
    assert stored(repo) == set()


def test_a_process_dying_half_way_is_finished_by_the_next_one(isolated: Path) -> None:
    Repository().stack_names()
    child = subprocess.run([sys.executable, "-c", DIES_HALFWAY, "100"], cwd=isolated)
    assert child.returncode == 9
    store = isolated.parent / "config" / "profiles" / "default"  # looked at without opening it
    assert (store / ".journal.json").is_file()
    assert 0 < len(list((store / "components" / "artifact_store").glob("bulk-*.toml"))) < 100
    repo = Repository()
    assert stored(repo) == {f"bulk-{i:04d}" for i in range(100)}
    assert not (store / ".journal.json").exists()


def test_a_process_killed_during_the_call_leaves_all_or_none(isolated: Path) -> None:
    count, rng = 400, random.Random(11)
    Repository().stack_names()  # the default profile exists before the children start
    for attempt in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED, str(count)], cwd=isolated, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        repo = Repository()  # opening the store finishes an interrupted batch
        names = stored(repo)
        assert names in (set(), {f"bulk-{i:04d}" for i in range(count)}), (attempt, len(names))
        for name in list(names)[:20]:
            assert repo.get_stack_component(T.ARTIFACT_STORE, name).name == name
        if names:
            for name in sorted(names):  # start again from an empty profile
                repo.deregister_stack_component(T.ARTIFACT_STORE, name)
        store = repo.active_profile.store_path
        assert not [p for p in store.rglob(".journal.json")]
