"""Crash and concurrency figures for the profile store, with large counts.

Run: ``.venv/bin/python benchmarks/reliability_store.py [--scale N]`` (default
100: N kills per kind of operation, at least 24 concurrent processes).

The same checks as ``tests/reliability/test_crash_writes.py`` and
``test_concurrency.py``, counted instead of asserted:

- **kills**: a child process repeats one operation (renaming a component
  used by three stacks, renaming the active stack of a profile and a
  repository, registering or importing a stack with new components,
  creating and deleting a profile, changing secrets) and is killed with
  SIGKILL at a random moment; the next opening of the store must find each
  component under one name, stacks naming only existing components, the
  active stack existing, every operation that returned still there, and the
  one in flight whole or absent.
- **concurrency**: ``scale // 4`` (at least 24) real ``stackyard`` processes
  registering, renaming and copying at once; as many register-versus-delete
  races.

``run(scale)`` returns plain figures; everything happens in temporary
config directories. The child scripts below (``PRELUDE``, ``COMPONENT_RENAMES``,
…) are the ones ``tests/reliability/test_crash_writes.py`` kills too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

STACKYARD = str(Path(sys.executable).with_name("stackyard"))
PRELUDE = (
    "import tempfile, fcntl, tomli_w, stackyard.journal\nfrom stackyard import Repository\n"
    "from stackyard.enums import StackComponentType as T\nRepository().get_stack_components(T.ARTIFACT_STORE)\n"
)

COMPONENT_RENAMES = """
repo, i = Repository(), {current}
print("ready", flush=True)
while True:
    repo.rename_stack_component(T.ARTIFACT_STORE, f"c-{{i}}", f"c-{{i + 1}}")
    i += 1
    print(i, flush=True)
"""
STACK_RENAMES = """
repo, i = Repository(), {current}
print("ready", flush=True)
while True:
    repo.rename_stack(f"s-{{i}}", f"s-{{i + 1}}")
    i += 1
    print(i, flush=True)
"""
REGISTRATIONS = """
from stackyard.stack.stack import Stack
from stackyard.stack_export import import_stack

repo, i = Repository(), {current}
metadata = repo.load_stack_component(T.METADATA_STORE, "default")
orchestrators = repo.get_flavor(T.ORCHESTRATOR, "local").implementation
stores = repo.get_flavor(T.ARTIFACT_STORE, "local").implementation
print("ready", flush=True)
while True:
    path = f"/tmp/unused/a-{{i}}"
    if i % 2:
        parts = {{T.ORCHESTRATOR: orchestrators.from_config(f"o-{{i}}", {{}}),
                 T.ARTIFACT_STORE: stores.from_config(f"a-{{i}}", {{"path": path}}), T.METADATA_STORE: metadata}}
        repo.register_stack(Stack.from_components(f"r-{{i}}", parts))
    else:
        data = {{"components": {{
            "orchestrator": {{"name": f"o-{{i}}", "flavor": "local", "config": {{}}}},
            "artifact_store": {{"name": f"a-{{i}}", "flavor": "local", "config": {{"path": path}}}},
            "metadata_store": {{"name": "default", "flavor": "sqlite", "uuid": str(metadata.uuid),
                                "config": metadata.config}}}}}}
        import_stack(repo, f"r-{{i}}", data)
    i += 1
    print(i, flush=True)
"""
PROFILES = """
from stackyard.profiles import GlobalConfig
from stackyard.records import StackRecord

config, i = GlobalConfig(), {current}
config.profile_names()
print("ready", flush=True)
while True:
    store = config.create_profile(f"p-{{i}}").store()
    store.create_stack(StackRecord("extra", store.get_stack("default").components))
    config.delete_profile(f"p-{{i}}")
    i += 1
    print(i, flush=True)
"""
SECRETS = """
from stackyard_local.secrets_manager import LocalSecretsManager

manager, i = LocalSecretsManager(name="vault", path={path!r}), {current}
print("ready", flush=True)
while True:
    manager.register_secret(f"k{{i}}", {{"token": f"SECRET-{{i}}-FIRST" * 200}})
    manager.update_secret(f"k{{i}}", {{"token": f"SECRET-{{i}}-SECOND" * 200}})
    manager.delete_secret(f"k{{i}}")
    i += 1
    print(i, flush=True)
"""


def _killed(code: str, cwd: Path, rng: random.Random, window: float) -> int | None:
    """Run ``code``, kill -9 it at a random moment after it is ready; the last index it reported (None: none)."""
    child = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline() != "ready\n":
        raise RuntimeError(child.communicate()[1])
    time.sleep(rng.uniform(0, window))
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate()
    lines = out.split()
    return int(lines[-1]) if lines else None


def _problems(cwd: Path) -> list[str]:
    """What is broken in every profile, opened as the next command would."""
    from stackyard import Repository
    from stackyard.enums import StackComponentType

    found = []
    repo = Repository(cwd)
    for profile in repo.get_profiles():
        store = profile.store()
        if (store.root / ".journal.json").exists():
            found.append(f"{profile.name}: journal left")
        uuids: Counter[str] = Counter()
        for component_type in StackComponentType:
            uuids.update(f"{component_type.value}/{r.uuid}" for r in store.components(component_type))
        found += [f"{profile.name}: {u} under two names" for u, n in uuids.items() if n > 1]
        for stack in store.stacks():
            found += [f"{stack.name} names missing {n}" for t, n in stack.components.items() if not store.has_component(t, n)]
        if profile.active_stack_name and not store.has_stack(profile.active_stack_name):
            found.append(f"{profile.name}: active stack {profile.active_stack_name} missing")
    if repo.root is not None and repo.active_stack_name not in repo.stack_names():
        found.append("repository's active stack missing")
    return found


def _kill_loops(scale: int, base: Path, rng: random.Random, only: str | None = None) -> dict[str, Any]:
    from stackyard import Repository
    from stackyard.enums import StackComponentType as T
    from stackyard.profiles import GlobalConfig

    figures: dict[str, Any] = {}

    def scenario(name: str, setup, code: str, check, window: float = 0.04) -> None:
        if only and name != only:
            return
        work = base / name
        work.mkdir()
        os.environ["STACKYARD_CONFIG_PATH"] = str(base / f"{name}-config")
        os.chdir(work)
        setup(work)
        current, committed, broken, kills = 0, 0, 0, 0
        examples: list[str] = []
        for _ in range(scale):
            reported = _killed(code.format(current=current, path=str(work / "vault" / "secrets.json")), work, rng, window)
            kills += 1
            done = current if reported is None else reported
            committed += done - current
            problems = _problems(work)
            before = current
            ok, current = check(work, done)
            if problems or not ok:
                broken += 1
                examples.append(f"after op {before}..{done}: {problems or 'unexpected names or active stack'}")
        figures[name] = {"kills": kills, "committed": committed, "broken": broken, "examples": examples[:3]}

    def one_of(names: list[str], prefix: str, done: int) -> tuple[bool, int]:
        mine = [n for n in names if n.startswith(prefix)]
        ok = len(mine) == 1 and mine[0] in (f"{prefix}{done}", f"{prefix}{done + 1}")
        return ok, int(mine[0][len(prefix):]) if mine else done

    def setup_components(work: Path) -> None:
        repo = Repository()
        flavor = repo.get_flavor(T.ARTIFACT_STORE, "local").implementation
        repo.register_stack_component(flavor.from_config("c-0", {"path": str(work / "data")}))
        for n in range(3):
            repo.register_stack_from_names(f"st-{n}", {T.ORCHESTRATOR: "default", T.ARTIFACT_STORE: "c-0", T.METADATA_STORE: "default"})

    def check_components(work: Path, done: int) -> tuple[bool, int]:
        repo = Repository()
        ok, current = one_of(repo.component_names(T.ARTIFACT_STORE), "c-", done)
        stacks = {repo.get_stack_configuration(f"st-{n}")[T.ARTIFACT_STORE] for n in range(3)}
        return ok and stacks == {f"c-{current}"}, current

    def setup_stacks(work: Path) -> None:
        repo = Repository.initialize(work)
        repo.copy_stack("default", "s-0")
        repo.activate_stack("s-0")
        repo.activate_stack("s-0", globally=True)

    def check_stacks(work: Path, done: int) -> tuple[bool, int]:
        repo = Repository(work)
        ok, current = one_of(repo.stack_names(), "s-", done)
        name = f"s-{current}"
        return ok and repo.active_stack_name == name and repo.active_profile.active_stack_name == name, current

    def check_registrations(work: Path, done: int) -> tuple[bool, int]:
        repo = Repository()
        numbers = {int(n[2:]) for n in repo.stack_names() if n.startswith("r-")}
        parts = [{int(n[2:]) for n in repo.component_names(t) if n[:2] in ("o-", "a-")} for t in (T.ORCHESTRATOR, T.ARTIFACT_STORE)]
        ok = set(range(done)) <= numbers <= set(range(done + 1)) and parts == [numbers, numbers]
        return ok and repo.component_names(T.METADATA_STORE) == ["default"], max(numbers, default=-1) + 1

    def check_profiles(work: Path, done: int) -> tuple[bool, int]:
        config = GlobalConfig()
        names = [n for n in config.profile_names() if n != "default"]
        ok = names in ([], [f"p-{done}"])
        if names:
            config.delete_profile(names[0])
        created = subprocess.run([STACKYARD, "profile", "create", f"p-{done}"], cwd=work, capture_output=True)
        ok = ok and created.returncode == 0 and GlobalConfig().get_profile(f"p-{done}").store().stack_names() == ["default"]
        GlobalConfig().delete_profile(f"p-{done}")
        leftovers = sorted(os.listdir(config.path / "profiles"))
        return ok and leftovers == ["default", "default.toml"], done + 1

    def setup_secrets(work: Path) -> None:
        from stackyard_local.secrets_manager import LocalSecretsManager

        LocalSecretsManager(name="vault", path=str(work / "vault" / "secrets.json")).register_secret("kept", {"t": "x"})

    def check_secrets(work: Path, done: int) -> tuple[bool, int]:
        from stackyard_local.secrets_manager import LocalSecretsManager

        path = work / "vault" / "secrets.json"
        manager = LocalSecretsManager(name="vault", path=str(path))
        keys = manager.get_all_secret_keys()
        others = [p for p in path.parent.iterdir() if p.name not in (".lock", "secrets.json")]
        leaked = any(f"SECRET-{i}-" in path.read_text() for i in range(done))
        ok = keys in (["kept"], [f"k{done}", "kept"]) and not others and not leaked
        if len(keys) == 2:
            manager.delete_secret(keys[0])
        return ok and (path.stat().st_mode & 0o077) == 0, done + 1

    scenario("component_renames", setup_components, COMPONENT_RENAMES, check_components)
    scenario("active_stack_renames", setup_stacks, STACK_RENAMES, check_stacks)
    scenario("registrations_and_imports", lambda w: None, REGISTRATIONS, check_registrations)
    scenario("profile_create_delete", lambda w: None, PROFILES, check_profiles, window=0.15)
    scenario("secrets", setup_secrets, SECRETS, check_secrets, window=0.08)
    return figures


def _concurrency(processes: int, base: Path) -> dict[str, Any]:
    from stackyard import Repository
    from stackyard.enums import StackComponentType as T

    work = base / "concurrency"
    work.mkdir()
    os.environ["STACKYARD_CONFIG_PATH"] = str(base / "concurrency-config")
    os.chdir(work)
    Repository().stack_names()

    def shell(lines: list[list[str]]) -> subprocess.Popen[bytes]:
        chain = " && ".join(shlex.join([STACKYARD, *line]) for line in lines)
        return subprocess.Popen(["sh", "-c", chain], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    started = time.perf_counter()
    workers = [
        shell([
            ["artifact-store", "register", f"a-{n}", "--flavor=local", f"--path={work / str(n)}"],
            ["stack", "register", f"s-{n}", "-o", "default", "-a", f"a-{n}", "-m", "default"],
            ["stack", "rename", f"s-{n}", f"t-{n}"],
            ["artifact-store", "rename", f"a-{n}", f"b-{n}"],
            ["stack", "copy", f"t-{n}", f"u-{n}"],
        ])
        for n in range(processes)
    ]
    failed = sum(w.wait() != 0 for w in workers)
    elapsed = time.perf_counter() - started
    repo = Repository()
    expected = sorted(["default", *(f"{p}-{n}" for p in "tu" for n in range(processes))])
    lost = len(set(expected) - set(repo.stack_names()))
    wrong = sum(repo.get_stack_configuration(f"t-{n}").get(T.ARTIFACT_STORE) != f"b-{n}" for n in range(processes)
                if f"t-{n}" in repo.stack_names())

    for n in range(processes):
        subprocess.run([STACKYARD, "artifact-store", "register", f"c{n}", "--flavor=local", f"--path={work / 'c'}"],
                       cwd=work, capture_output=True, check=True)
    races = [
        (subprocess.Popen([STACKYARD, "stack", "register", f"r{n}", "-o", "default", "-a", f"c{n}", "-m", "default"],
                          cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True),
         subprocess.Popen([STACKYARD, "artifact-store", "delete", f"c{n}"], cwd=work,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for n in range(processes)
    ]
    outcomes: Counter[str] = Counter()
    resurrected = 0
    for n, (register, delete) in enumerate(races):
        _, err = register.communicate()
        codes = (register.returncode, delete.wait())
        outcomes[{(0, 1): "register_won", (1, 0): "delete_won"}.get(codes, "both_or_neither")] += 1
        stored = f"c{n}" in repo.component_names(T.ARTIFACT_STORE)
        if "Registered stack component" in err or (codes == (1, 0) and stored) or (codes == (0, 1) and not stored):
            resurrected += 1
    return {
        "processes": processes,
        "commands": processes * 5,
        "commands_failed": failed,
        "seconds": round(elapsed, 2),
        "registrations_lost": lost,
        "stacks_not_following_a_rename": wrong,
        "register_delete_races": dict(outcomes),
        "components_resurrected": resurrected,
        "broken": lost + wrong + failed + outcomes["both_or_neither"] + resurrected + len(_problems(work)),
    }


def _registration_ms(base: Path, count: int = 200) -> float:
    """Median time of one Python API component registration (target: within 2 ms)."""
    from stackyard import Repository
    from stackyard.enums import StackComponentType as T

    os.environ["STACKYARD_CONFIG_PATH"] = str(base / "timing-config")
    repo = Repository()
    flavor = repo.get_flavor(T.ARTIFACT_STORE, "local").implementation
    times = []
    for n in range(count):
        component = flavor.from_config(f"t{n}", {"path": str(base / "t")})
        started = time.perf_counter()
        repo.register_stack_component(component)
        times.append(time.perf_counter() - started)
    return round(sorted(times)[len(times) // 2] * 1000, 3)


def run(scale: int = 100, only: str | None = None) -> dict[str, Any]:
    """Kill and concurrency figures: ``scale`` kills per kind of operation, max(24, scale // 4) processes.

    ``only`` names one kind of operation to kill (then no concurrency run).
    """
    rng = random.Random(scale)
    cwd, env = os.getcwd(), dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="stackyard-reliability-") as tmp:
        base = Path(tmp)
        try:
            kills = _kill_loops(scale, base, rng, only)
            if only:
                return {"by_operation": kills}
            concurrency = _concurrency(max(24, scale // 4), base)
            registration = _registration_ms(base)
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
    return {
        "kills": sum(f["kills"] for f in kills.values()),
        "operations_committed": sum(f["committed"] for f in kills.values()) + concurrency["commands"] - concurrency["commands_failed"],
        "states_found_broken": sum(f["broken"] for f in kills.values()) + concurrency["broken"],
        "by_operation": kills,
        "concurrency": concurrency,
        "api_registration_median_ms": registration,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--only", help="one kind of operation, e.g. active_stack_renames")
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.scale, arguments.only), indent=2))
