"""Concurrent ``stackyard`` processes: no registration lost, nothing deleted comes back, readers never fail.

Real console-script processes run at the same time against one config dir;
afterwards the store must hold exactly what the commands reported as done.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.enums import StackComponentType
from stackyard.exceptions import StackComponentNotFoundError
from stackyard.stack.stack import Stack

T = StackComponentType
STACKYARD = str(Path(sys.executable).with_name("stackyard"))


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [STACKYARD, *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def script(lines: list[list[str]], cwd: Path) -> subprocess.Popen[str]:
    """Run several ``stackyard`` commands one after the other in one background shell, stopping at a failure."""
    import shlex

    chain = " && ".join(shlex.join([STACKYARD, *line]) for line in lines)
    return subprocess.Popen(
        ["sh", "-c", chain], cwd=cwd, env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def assert_consistent(repo: Repository) -> None:
    store = repo._store  # noqa: SLF001 - the invariants are about the stored files
    uuids: Counter[str] = Counter()
    for component_type in StackComponentType:
        uuids.update(f"{component_type.value}/{r.uuid}" for r in store.components(component_type))
    assert [u for u, n in uuids.items() if n > 1] == []
    for stack in store.stacks():
        assert all(store.has_component(t, n) for t, n in stack.components.items()), stack.name
    assert repo.active_stack_name in repo.stack_names()


def test_eight_processes_registering_and_renaming_lose_nothing(isolated: Path) -> None:
    Repository().stack_names()  # the default profile, before the race
    workers = [
        script(
            [
                ["artifact-store", "register", f"a-{n}", "--flavor=local", f"--path={isolated / str(n)}"],
                ["stack", "register", f"s-{n}", "-o", "default", "-a", f"a-{n}", "-m", "default"],
                ["stack", "rename", f"s-{n}", f"t-{n}"],
                ["artifact-store", "rename", f"a-{n}", f"b-{n}"],
                ["stack", "copy", f"t-{n}", f"u-{n}"],
            ],
            isolated,
        )
        for n in range(8)
    ]
    results = [finish(w) for w in workers]
    assert [code for code, _, _ in results] == [0] * 8, [err for _, _, err in results]
    repo = Repository()
    assert_consistent(repo)
    assert repo.stack_names() == sorted(["default", *(f"{p}-{n}" for p in "tu" for n in range(8))])
    assert repo.component_names(T.ARTIFACT_STORE) == sorted(["default", *(f"b-{n}" for n in range(8))])
    for n in range(8):
        assert repo.get_stack_configuration(f"t-{n}")[T.ARTIFACT_STORE] == f"b-{n}"
        assert repo.get_stack_configuration(f"u-{n}")[T.ARTIFACT_STORE] == f"b-{n}"


def test_a_stack_register_racing_a_delete_never_recreates_the_component(isolated: Path) -> None:
    repo = Repository()
    for n in range(6):
        code = subprocess.run(
            [STACKYARD, "artifact-store", "register", f"c{n}", "--flavor=local", f"--path={isolated / str(n)}"],
            cwd=isolated, capture_output=True,
        ).returncode
        assert code == 0
    pairs = [
        (
            start("stack", "register", f"s{n}", "-o", "default", "-a", f"c{n}", "-m", "default", cwd=isolated),
            start("artifact-store", "delete", f"c{n}", cwd=isolated),
        )
        for n in range(6)
    ]
    for n, (register, delete) in enumerate(pairs):
        (registered, _, register_err), (deleted, _, delete_err) = finish(register), finish(delete)
        assert "Registered stack component" not in register_err  # the CLI never registers one implicitly
        assert (registered, deleted) in ((0, 1), (1, 0)), (register_err, delete_err)
        if deleted == 0:  # the delete won: the stack was refused, the component stays deleted
            assert f"No artifact store named 'c{n}'" in register_err
            assert f"s{n}" not in repo.stack_names() and f"c{n}" not in repo.component_names(T.ARTIFACT_STORE)
        else:  # the registration won: the delete was refused because the stack uses it
            assert f"used by stack 's{n}'" in delete_err
            assert repo.get_stack_configuration(f"s{n}")[T.ARTIFACT_STORE] == f"c{n}"
    assert_consistent(repo)


def test_readers_never_fail_while_the_active_stack_is_renamed(isolated: Path) -> None:
    repo = Repository()
    repo.copy_stack("default", "r-0")
    repo.activate_stack("r-0")
    renamer = script([["stack", "rename", f"r-{i}", f"r-{i + 1}"] for i in range(10)], isolated)
    readers = [script([["stack", "get"], ["stack", "list"], ["stack", "describe"]] * 2, isolated) for _ in range(5)]
    code, _, err = finish(renamer)
    assert code == 0, err
    for reader in readers:
        code, out, err = finish(reader)
        assert code == 0, err
        assert "Active stack: 'r-" in out
    assert repo.active_stack_name == "r-10"
    assert_consistent(repo)


def test_a_component_loaded_then_deleted_elsewhere_is_refused_not_recreated(isolated: Path) -> None:
    """The register-versus-delete race, made deterministic: through the API too, deleted stays deleted."""
    repo = Repository()
    flavor = repo.get_flavor(T.ARTIFACT_STORE, "local").implementation
    repo.register_stack_component(flavor.from_config("c12", {"path": str(isolated / "x")}))
    loaded = {t: repo.load_stack_component(t, n) for t, n in ((T.ORCHESTRATOR, "default"), (T.METADATA_STORE, "default"))}
    loaded[T.ARTIFACT_STORE] = repo.load_stack_component(T.ARTIFACT_STORE, "c12")
    Repository().deregister_stack_component(T.ARTIFACT_STORE, "c12")  # another process, in effect
    with pytest.raises(StackComponentNotFoundError, match="No artifact store named 'c12'"):
        repo.register_stack(Stack.from_components("s", loaded))
    with pytest.raises(StackComponentNotFoundError, match="No artifact store named 'c12'"):
        repo.register_stack_from_names("s", {"orchestrator": "default", "artifact_store": "c12", "metadata_store": "default"})
    assert "c12" not in repo.component_names(T.ARTIFACT_STORE) and "s" not in repo.stack_names()
    # A component built in code is new: registering the stack registers it (as Python users expect).
    loaded[T.ARTIFACT_STORE] = flavor.from_config("fresh", {"path": str(isolated / "y")})
    repo.register_stack(Stack.from_components("s", loaded))
    assert repo.get_stack_configuration("s")[T.ARTIFACT_STORE] == "fresh"
