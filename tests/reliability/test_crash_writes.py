"""kill -9 at any moment of a write: the next command sees a consistent store and nothing committed is lost.

Each kill test starts a child process that repeats one operation (renaming a
component, renaming the active stack, registering or importing a stack with
new components, creating and deleting a profile, changing secrets) and
prints a line after each one returns; it is killed with SIGKILL at a random
moment. The test then opens the store as the next command would and checks
what a user relies on: each component under exactly one name, stacks naming
only existing components, the active stack existing wherever it is chosen,
every operation that returned still there, and the one in flight either
whole or absent. Small counts here; ``benchmarks/reliability_store.py``
runs the same with large ones.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest

from stackyard import Repository
from stackyard.enums import StackComponentType
from stackyard.files import read_toml
from stackyard.profiles import GlobalConfig

T = StackComponentType
KILLS = 15


def _scenarios():  # -> module
    """benchmarks/reliability_store.py, where the child scripts live: the benchmark runs the same ones."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability_store.py"
    spec = importlib.util.spec_from_file_location("reliability_store_scenarios", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCENARIOS = _scenarios()
STACKYARD = str(Path(sys.executable).with_name("stackyard"))


# -- helpers ----------------------------------------------------------------------


def stackyard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real console script, as a user does."""
    return subprocess.run(
        [STACKYARD, *args], cwd=cwd, env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=60
    )


def killed_child(code: str, cwd: Path, rng: random.Random, *, window: float = 0.04) -> list[str]:
    """Run ``code`` in a child; once it has done one operation, kill -9 it after a random delay; the lines it printed.

    The delay is drawn from ``window`` or three times what that first operation took, whichever is longer:
    on a loaded machine an operation may take longer than ``window``, and a fixed window would then kill
    most children inside their first operation, so that the loop never got to later ones. Scaled, each
    kill lands at a random point of the next few operations (or between them) however fast the machine is.
    """
    child = subprocess.Popen(  # the prelude imports and discovers plugins before "ready": kills land in the operations
        [sys.executable, "-c", SCENARIOS.PRELUDE + textwrap.dedent(code)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    assert first == "ready\n", first + child.stderr.read()
    started = time.monotonic()
    done = child.stdout.readline()
    assert done.strip().isdigit(), done + child.stderr.read()  # one operation returned
    took = time.monotonic() - started
    time.sleep(rng.uniform(0, max(window, 3 * took)))
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err  # it was still working: the loop never ends by itself
    return [done.strip(), *out.split()]


def last_done(lines: list[str], start: int) -> int:
    """The index of the last operation the child reported done (``start`` if none)."""
    return int(lines[-1]) if lines else start


def assert_consistent(cwd: Path) -> Repository:
    """Open every profile as the next command would and check what a user relies on."""
    repo = Repository(cwd)
    for profile in repo.get_profiles():
        store = profile.store()  # opening it finishes an interrupted change
        assert not (store.root / ".journal.json").exists()
        uuids: Counter[str] = Counter()
        for component_type in StackComponentType:
            for record in store.components(component_type):
                uuids[f"{component_type.value}/{record.uuid}"] += 1
        assert [u for u, n in uuids.items() if n > 1] == [], f"a component under two names in {profile.name}"
        for stack in store.stacks():
            for component_type, name in stack.components.items():
                assert store.has_component(component_type, name), f"stack {stack.name} names a missing {name}"
        assert profile.active_stack_name is None or store.has_stack(profile.active_stack_name), profile.name
    if repo.root is not None:
        assert repo.active_stack_name in repo.stack_names()  # the repository's choice exists too
    return repo


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261129)


@pytest.fixture
def project(isolated: Path) -> Path:
    """A repository pinned to the default profile, which has a stack ``s-0`` active in both places."""
    repo = Repository.initialize(isolated)
    repo.copy_stack("default", "s-0")
    repo.activate_stack("s-0")
    repo.activate_stack("s-0", globally=True)
    return isolated


def artifact_store(repo: Repository, name: str, path: Path):  # -> StackComponent
    return repo.get_flavor(T.ARTIFACT_STORE, "local").implementation.from_config(name, {"path": str(path)})


# -- kill -9 loops ----------------------------------------------------------------


def test_kill_during_component_renames_leaves_one_name_followed_by_every_stack(
    isolated: Path, rng: random.Random
) -> None:
    repo = Repository()
    repo.register_stack_component(artifact_store(repo, "c-0", isolated / "data"))
    uuid = repo.get_component_record(T.ARTIFACT_STORE, "c-0").uuid
    for n in range(3):
        repo.register_stack_from_names(f"st-{n}", {T.ORCHESTRATOR: "default", T.ARTIFACT_STORE: "c-0", T.METADATA_STORE: "default"})
    current = 0
    for _ in range(KILLS):
        lines = killed_child(
            SCENARIOS.COMPONENT_RENAMES.format(current=current),
            isolated,
            rng,
        )
        done = last_done(lines, current)
        repo = assert_consistent(isolated)
        names = [n for n in repo.component_names(T.ARTIFACT_STORE) if n != "default"]
        assert len(names) == 1 and names[0] in (f"c-{done}", f"c-{done + 1}"), (done, names)
        assert repo.get_component_record(T.ARTIFACT_STORE, names[0]).uuid == uuid
        assert [repo.get_stack_configuration(f"st-{n}")[T.ARTIFACT_STORE] for n in range(3)] == names * 3
        current = int(names[0].split("-")[1])
    assert current >= KILLS, "each child did one operation before its kill, and none was lost"


def test_kill_during_renames_of_the_active_stack_never_leaves_it_dangling(
    project: Path, rng: random.Random
) -> None:
    current = 0
    for _ in range(KILLS):
        lines = killed_child(
            SCENARIOS.STACK_RENAMES.format(current=current),
            project,
            rng,
        )
        done = last_done(lines, current)
        repo = assert_consistent(project)
        names = [n for n in repo.stack_names() if n != "default"]
        assert len(names) == 1 and names[0] in (f"s-{done}", f"s-{done + 1}"), (done, names)
        assert repo.active_stack_name == names[0]  # the repository's choice followed
        assert repo.active_profile.active_stack_name == names[0]  # and the profile's
        current = int(names[0].split("-")[1])
    result = stackyard("stack", "get", cwd=project)
    assert (result.returncode, result.stdout) == (0, f"Active stack: 's-{current}'\n"), result.stderr


def test_kill_during_stack_registration_and_import_with_new_components_is_all_or_nothing(
    isolated: Path, rng: random.Random
) -> None:
    current = 0
    for _ in range(KILLS):
        lines = killed_child(
            SCENARIOS.REGISTRATIONS.format(current=current),
            isolated,
            rng,
        )
        done = last_done(lines, current)
        repo = assert_consistent(isolated)
        stacks = {n for n in repo.stack_names() if n.startswith("r-")}
        orchestrators = {n for n in repo.component_names(T.ORCHESTRATOR) if n.startswith("o-")}
        stores = {n for n in repo.component_names(T.ARTIFACT_STORE) if n.startswith("a-")}
        committed = set(range(done))
        assert {f"r-{i}" for i in committed} <= stacks <= {f"r-{i}" for i in range(done + 1)}
        numbers = {int(n.split("-")[1]) for n in stacks}
        assert {int(n.split("-")[1]) for n in orchestrators} == numbers  # no component without its stack
        assert {int(n.split("-")[1]) for n in stores} == numbers
        assert repo.component_names(T.METADATA_STORE) == ["default"]  # reused, never copied
        current = max(numbers, default=-1) + 1
    assert current >= KILLS  # each child registered one stack before its kill


def test_kill_during_profile_create_and_delete_never_revives_a_deleted_profile(
    isolated: Path, config_dir: Path, rng: random.Random
) -> None:
    current = 0
    for _ in range(10):
        lines = killed_child(
            SCENARIOS.PROFILES.format(current=current),
            isolated,
            rng,
            window=0.15,
        )
        done = last_done(lines, current)
        assert_consistent(isolated)
        names = [n for n in GlobalConfig().profile_names() if n != "default"]
        assert names in ([], [f"p-{done}"]), (done, names)
        # The next write to the global config: the profile killed mid-deletion is gone for good,
        # and creating it again starts from a fresh default stack, not from what was deleted.
        if names:
            GlobalConfig().delete_profile(names[0])
        result = stackyard("profile", "create", f"p-{done}", cwd=isolated)
        assert result.returncode == 0, result.stderr
        assert GlobalConfig().get_profile(f"p-{done}").store().stack_names() == ["default"]
        GlobalConfig().delete_profile(f"p-{done}")
        assert sorted(os.listdir(config_dir / "profiles")) == ["default", "default.toml"]
        current = done + 1
    assert current >= 10  # each child created and deleted one profile before its kill


def test_kill_during_secret_changes_leaves_no_deleted_secret_in_any_file(isolated: Path, rng: random.Random) -> None:
    folder = isolated / "secrets"
    secrets_file = folder / "secrets.json"
    from stackyard_local.secrets_manager import LocalSecretsManager

    LocalSecretsManager(name="vault", path=str(secrets_file)).register_secret("kept", {"token": "KEPT"})
    current = 0
    for _ in range(KILLS):
        lines = killed_child(
            SCENARIOS.SECRETS.format(current=current, path=str(secrets_file)),
            isolated,
            rng,
            window=0.08,
        )
        done = last_done(lines, current)
        manager = LocalSecretsManager(name="vault", path=str(secrets_file))
        keys = manager.get_all_secret_keys()  # the next use of the secrets manager
        assert keys in (["kept"], ["k" + str(done), "kept"]), (done, keys)
        assert sorted(os.listdir(folder)) == [".lock", "secrets.json"]
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
        content = secrets_file.read_text()
        assert not any(f"SECRET-{i}-" in content for i in range(done)), "a deleted secret is still stored"
        if len(keys) == 2:
            manager.delete_secret(keys[0])
        current = done + 1
    assert current >= KILLS  # each child went through one secret before its kill


def test_killed_cli_component_renames_leave_a_consistent_store(isolated: Path, rng: random.Random) -> None:
    """The real command, killed while it starts, renames or exits."""
    assert stackyard("artifact-store", "register", "c-0", "--flavor=local", f"--path={isolated / 'x'}", cwd=isolated).returncode == 0
    assert stackyard("stack", "register", "uses", "-o", "default", "-a", "c-0", "-m", "default", cwd=isolated).returncode == 0
    current = 0
    for _ in range(8):
        child = subprocess.Popen(
            [STACKYARD, "artifact-store", "rename", f"c-{current}", f"c-{current + 1}"],
            cwd=isolated, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.08, 0.3))
        child.kill()
        child.wait()
        repo = assert_consistent(isolated)
        names = [n for n in repo.component_names(T.ARTIFACT_STORE) if n != "default"]
        assert names in ([f"c-{current}"], [f"c-{current + 1}"])
        assert repo.get_stack_configuration("uses")[T.ARTIFACT_STORE] == names[0]
        current = int(names[0].split("-")[1])
    result = stackyard("artifact-store", "list", cwd=isolated)
    assert result.returncode == 0 and f"c-{current}" in result.stdout


# -- every crash point of a journaled change, deterministically -----------------------


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs but the lock's release, which the kernel does too."""


def crash_after(steps: int):  # -> mock patcher
    """Make the journaled change stop after applying ``steps`` of its steps, as if killed there."""
    import stackyard.journal as journal

    real = journal._apply

    def partial(root, todo):
        ordered = sorted(todo, key=lambda s: journal._PHASES[s["op"]])
        real(root, ordered[:steps])
        raise _Killed

    return mock.patch.object(journal, "_apply", partial)


@pytest.mark.parametrize("steps", range(4))
def test_a_stack_rename_killed_after_any_step_is_finished_by_the_next_command(
    project: Path, steps: int, caplog: pytest.LogCaptureFixture
) -> None:
    with crash_after(steps), pytest.raises(_Killed):
        Repository().rename_stack("s-0", "s-1")
    with caplog.at_level(logging.WARNING, logger="stackyard"):
        repo = assert_consistent(project)
    assert repo.stack_names() == ["default", "s-1"]
    assert repo.active_stack_name == "s-1" and repo.active_profile.active_stack_name == "s-1"
    assert "Completed the interrupted rename of the stack 's-0' to 's-1'" in caplog.text


def test_the_cli_says_it_finished_an_interrupted_change(project: Path) -> None:
    with crash_after(1), pytest.raises(_Killed):
        Repository().rename_stack_component(T.ARTIFACT_STORE, "default", "renamed")
    result = stackyard("stack", "describe", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Completed the interrupted rename of the artifact store 'default' to 'renamed'" in result.stderr
    assert "renamed" in result.stdout
    assert stackyard("artifact-store", "describe", "default", cwd=project).returncode == 1


def test_a_journal_touching_files_outside_the_store_is_refused(project: Path, config_dir: Path) -> None:
    store = config_dir / "profiles" / "default"
    journal = store / ".journal.json"
    target = project / "planted.toml"
    steps = [{"op": "write", "path": "../../../work/planted.toml", "text": "x = 1\n"}]
    journal.write_text(json.dumps({"version": 1, "description": "change", "steps": steps}))
    result = stackyard("stack", "list", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: Cannot read configuration file {journal}:")
    assert "Traceback" not in result.stderr and not target.exists()


# -- temporary files of killed writes ------------------------------------------------------


def test_the_next_write_removes_temporary_files_of_killed_writes_and_keeps_young_index_ones(
    project: Path, config_dir: Path
) -> None:
    store = config_dir / "profiles" / "default"
    stale = [
        store / "stacks" / ".s-9.toml.abc123.tmp",
        store / "components" / "artifact_store" / ".x.toml.k1.tmp",
        store / ".journal.json.q.tmp",
        config_dir / "profiles" / ".default.toml.z.tmp",
        project / ".stackyard" / ".config.toml.y.tmp",
    ]
    young_index = store / "stacks" / "..index.json.w.tmp"  # a listing in another process may be writing it
    for path in [*stale, young_index]:
        path.write_text("half a file")
    assert stackyard("stack", "list", cwd=project).returncode == 0  # reading removes nothing
    assert all(p.exists() for p in stale)
    for command in (("stack", "copy", "default", "t"), ("profile", "create", "other"), ("stack", "set", "t")):
        assert stackyard(*command, cwd=project).returncode == 0
    assert [p for p in stale if p.exists()] == []
    assert young_index.exists()


def test_a_leftover_temporary_secrets_file_is_removed_by_the_next_use(isolated: Path) -> None:
    from stackyard_local.secrets_manager import LocalSecretsManager

    manager = LocalSecretsManager(name="vault", path=str(isolated / "s" / "secrets.json"))
    manager.register_secret("db", {"password": "kept"})
    leftover = isolated / "s" / ".secrets.json.k9.tmp"
    leftover.write_text('{"old": {"password": "DELETED-VALUE"}}')
    assert manager.get_secret("db") == {"password": "kept"}
    assert not leftover.exists()
    assert stat.S_IMODE(os.stat(isolated / "s").st_mode) & 0o077 == 0
