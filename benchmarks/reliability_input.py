"""Reliability at large counts: bad input, and plugins that end the process while loading.

Run: ``.venv/bin/python benchmarks/reliability_input.py [--scale N]`` (default 100).

Three parts, each in temporary config directories:

1. **Bad values through the Python API**: ``scale * 40`` random parameter
   values (text with surrogates and control characters, integers up to
   10**30, NaN/inf, ``None`` inside lists and tables, lists nested up to
   3,000 deep, empty text) given to a flavor with every kind of parameter.
   Broken: any exception but a ``StackyardError``, a refusal that changed a
   stored file, or an accepted value that does not read back the same.
2. **The issue's bad values through the real ``stackyard`` program**, with
   real undecodable argv bytes (``--path=\\xff``): each must exit 1 with one
   ``Error:`` line naming the parameter and change no file.
3. **Plugins that call ``os._exit`` at import**, in rounds of 24 concurrent
   ``stackyard plugin list`` processes: a plugin ``slowpoke`` (sleeps while
   importing) is discovered first, then ``zzz-killer`` ends the process. Each
   round changes the killer's file (so it is tried again). Every process must
   exit 0 (it skipped the killer) or with the killer's code (a kill); after
   the round, one command must show the killer failed "ended the process"
   and ``slowpoke`` loaded — a live discovery's marker is never blamed — and
   no marker of a dead process may be left. Broken: anything else.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

STACKYARD = str(Path(sys.executable).with_name("stackyard"))
KILL_CODE = 9
PROCESSES = 24

FLAVOR = '''
from typing import Any, ClassVar, Optional

from stackyard import hookimpl
from stackyard.alerters import BaseAlerter


class EchoAlerter(BaseAlerter):
    """Prints alerts."""

    FLAVOR: ClassVar[str] = "echo"

    webhook: str
    channel: str = "general"
    retries: int = 3
    ratio: float = 0.5
    loud: bool = False
    tags: list[str] = []
    limits: dict[str, int] = {}
    extra: dict[str, Any] = {}
    note: Optional[str] = None

    def post(self, message):
        return True

    def ask(self, question):
        return True


@hookimpl
def stackyard_alerter_flavors():
    return [EchoAlerter]
'''


def _install(site: Path, module: str, code: str, entry_point: str | None = None) -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(code))
    info = site / f"{module}-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: stackyard-{module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[stackyard.plugins]\n{entry_point or module} = {module}\n")


def _files(config: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(config.rglob("*")) if p.is_file() and "cache" not in p.parts}


def _env(config: Path, site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_")}
    return {**env, "STACKYARD_CONFIG_PATH": str(config), "PYTHONPATH": str(site), "NO_COLOR": "1"}


# -- 1. the Python API -----------------------------------------------------------------


def _random_text(rng: random.Random) -> str:
    pools = [
        lambda: chr(rng.randint(0x20, 0x7E)),
        lambda: chr(rng.randint(0xDC80, 0xDCFF)),
        lambda: chr(rng.randint(0, 0x1F)),
        lambda: chr(rng.randint(0xA0, 0x10FFFF)) if rng.random() < 0.5 else "é",
    ]
    return "".join(rng.choice(pools)() for _ in range(rng.randint(0, 12)))


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([0, 1, -1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, rng.randint(-(10**25), 10**25)])
    if kind == 2:
        return rng.choice([0.5, math.nan, math.inf, -math.inf, 1e308])
    if kind == 3:
        return rng.choice(["", " ", "\t"])
    if kind == 4:
        nested: Any = []
        for _ in range(rng.choice([10, 64, 65, 500, 3000])):
            nested = [nested]
        return nested
    if kind in (5, 6) and depth < 3:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == 7 and depth < 3:
        return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if kind == 8:
        try:
            return json.dumps(_random_value(rng, depth + 1), allow_nan=True)
        except RecursionError:  # the 3,000-deep list: as JSON text
            return "[" * 3000 + "]" * 3000
    return _random_text(rng)


def api_values(count: int, seed: int = 0) -> dict[str, int]:
    """Random values through ``Flavor.create`` and ``register_stack_component``."""
    from stackyard import Repository
    from stackyard.enums import StackComponentType
    from stackyard.exceptions import StackyardError
    from stackyard.plugins import reset_registry

    rng = random.Random(seed)
    figures = {"api_values": count, "api_accepted": 0, "api_refused": 0, "api_broken": 0}
    with tempfile.TemporaryDirectory() as tmp:
        config, site = Path(tmp, "config"), Path(tmp, "site")
        site.mkdir()
        _install(site, "bench_echo", FLAVOR, "echo")
        os.environ["STACKYARD_CONFIG_PATH"] = str(config)
        sys.path.insert(0, str(site))
        reset_registry()
        try:
            repo = Repository()
            flavor = repo.get_flavor(StackComponentType.ALERTER, "echo")
            parameters = ["webhook", "retries", "ratio", "tags", "limits", "extra", "note"]
            for index in range(count):
                parameter = rng.choice(parameters)
                value = _random_value(rng)
                before = _files(config)
                name = f"c{index}"
                try:
                    component = flavor.create(name, {"webhook": "w", parameter: value})
                    repo.register_stack_component(component)
                except StackyardError:
                    figures["api_refused"] += 1
                    figures["api_broken"] += _files(config) != before
                    continue
                except Exception:  # noqa: BLE001 - anything else is a bug to count
                    figures["api_broken"] += 1
                    continue
                figures["api_accepted"] += 1
                read = repo.get_stack_component(StackComponentType.ALERTER, name)
                figures["api_broken"] += read.config != component.config
                repo.deregister_stack_component(StackComponentType.ALERTER, name)
        finally:
            sys.path.remove(str(site))
            os.environ.pop("STACKYARD_CONFIG_PATH", None)
            reset_registry()
    return figures


# -- 2. the real program with real bytes ----------------------------------------------------


CLI_CASES: list[tuple[list[bytes], str]] = [
    ([b"artifact-store", b"register", b"a", b"--flavor=local", b"--path="], "path: must not be empty"),
    ([b"artifact-store", b"register", b"a", b"--flavor=local", b"--path=\xff\xfe"], "path: '\\udcff\\udcfe' is not valid text"),
    ([b"metadata-store", b"register", b"m", b"--flavor=sqlite", b"--uri="], "uri: must not be empty"),
    ([b"alerter", b"register", b"e", b"--flavor=echo", b"--webhook=w", b'--limits={"a": [1, null]}'], "limits: null is not allowed"),
    ([b"alerter", b"register", b"e", b"--flavor=echo", b"--webhook=w", b'--extra={"a": null}'], "extra: null is not allowed"),
    ([b"alerter", b"register", b"e", b"--flavor=echo", b"--webhook=w", b"--tags=" + b"[" * 500 + b"]" * 500], "tags: nested deeper than 64"),
    ([b"orchestrator", b"register", b"o", b"--flavor=local", b"--max_workers=" + str(10**30).encode()], "max_workers: 1000000000000000000000000000000 is too large"),
    ([b"alerter", b"register", b"e", b"--flavor=echo", b"--webhook=w", b"--ratio=nan"], "ratio: nan is not allowed"),
    ([b"alerter", b"register", b"e", b"--flavor=echo", b"--webhook=w", b"--retries=" + b"7" * 3000], "retries: 777777"),
]


def cli_values() -> dict[str, int]:
    """The issue's cases through the console script, with real undecodable argv bytes."""
    figures = {"cli_cases": len(CLI_CASES), "cli_broken": 0}
    with tempfile.TemporaryDirectory() as tmp:
        config, site = Path(tmp, "config"), Path(tmp, "site")
        site.mkdir()
        _install(site, "bench_echo", FLAVOR, "echo")
        env = _env(config, site)
        subprocess.run([STACKYARD, "stack", "list"], env=env, capture_output=True, check=True, cwd=tmp)
        for args, message in CLI_CASES:
            before = _files(config)
            result = subprocess.run([STACKYARD.encode(), *args], env=env, capture_output=True, cwd=tmp, timeout=120)
            stderr = result.stderr.decode("utf-8", "replace")
            errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
            good = (
                result.returncode == 1
                and len(errors) == 1
                and message in errors[0]
                and len(errors[0]) < 1000
                and "Traceback" not in stderr
                and _files(config) == before
            )
            if not good:
                figures["cli_broken"] += 1
                print(f"broken: {args[:4]!r}: {result.returncode}: {stderr[-300:]}", file=sys.stderr)
    return figures


# -- 3. plugins that end the process -------------------------------------------------------


def crashing_plugins(rounds: int, processes: int = PROCESSES) -> dict[str, int]:
    """Rounds of concurrent discoveries, each with a plugin that calls ``os._exit`` at import."""
    figures = {"crash_rounds": rounds, "crash_processes": 0, "kills": 0, "crash_commands_ok": 0, "crash_broken": 0}
    with tempfile.TemporaryDirectory() as tmp:
        config, site = Path(tmp, "config"), Path(tmp, "site")
        site.mkdir()
        env = _env(config, site)
        env["STACKYARD_PLUGIN_CACHE"] = "0"  # every command discovers
        subprocess.run([STACKYARD, "stack", "list"], env=env, capture_output=True, check=True, cwd=tmp)
        _install(site, "slowpoke", "import time\ntime.sleep(0.05)\n", "aaa-slowpoke")
        for round_ in range(rounds):
            _install(site, "killer", f"import os\nROUND = {round_}\nos._exit({KILL_CODE})\n", "zzz-killer")
            time.sleep(0.002)  # a new mtime for the changed file

            def one(_: int) -> subprocess.CompletedProcess[str]:
                return subprocess.run(
                    [STACKYARD, "plugin", "list", "--output", "json"], env=env, capture_output=True, text=True, cwd=tmp, timeout=300
                )

            with ThreadPoolExecutor(processes) as pool:
                results = list(pool.map(one, range(processes)))
            for result in results:
                figures["crash_processes"] += 1
                if result.returncode == KILL_CODE:
                    figures["kills"] += 1
                elif result.returncode == 0 and "Traceback" not in result.stderr:
                    figures["crash_commands_ok"] += 1
                    plugins = {p["name"]: p for p in json.loads(result.stdout)}
                    if plugins["aaa-slowpoke"]["status"] != "loaded":
                        figures["crash_broken"] += 1  # a live discovery's marker was blamed
                else:
                    figures["crash_broken"] += 1
            check = one(0)
            plugins = {p["name"]: p for p in json.loads(check.stdout)} if check.returncode == 0 else {}
            killer, slow = plugins.get("zzz-killer", {}), plugins.get("aaa-slowpoke", {})
            leftovers = [p for p in (config / "cache").iterdir() if p.name.startswith("discovering-") or p.name.endswith(".claim")]
            if (
                killer.get("status") != "failed"
                or "ended the process" not in str(killer.get("error"))
                or slow.get("status") != "loaded"
                or leftovers
            ):
                figures["crash_broken"] += 1
                print(f"round {round_} broken: {check.returncode} {killer} {slow} {leftovers}", file=sys.stderr)
    return figures


def run(scale: int = 100) -> dict[str, Any]:
    """Every part at ``scale``: ``scale * 40`` API values, ``ceil(scale / 10)`` crash rounds of 24 processes."""
    started = time.perf_counter()
    figures: dict[str, Any] = {}
    figures.update(api_values(scale * 40))
    figures.update(cli_values())
    figures.update(crashing_plugins(max(1, math.ceil(scale / 10))))
    figures["operations_committed"] = figures["api_accepted"]
    figures["states_found_broken"] = figures["api_broken"] + figures["cli_broken"] + figures["crash_broken"]
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    for key, value in run(parser.parse_args().scale).items():
        print(f"{key}: {value}")
