"""The ``local`` step operator: a step in its own process on this machine.

A step marked ``@step(step_operator="<name>")`` runs in a fresh process of
this Python, or of another interpreter or virtual environment (``python``),
with extra environment variables (``environment``; values may hold secret
references, resolved from the stack's secrets manager at launch) and resource
limits (``memory_limit``, ``cpu_time_limit``) set with ``setrlimit`` in the
child before the step's code starts. Resource limits need POSIX: on Windows a
step operator with limits is refused before the run starts.

The other interpreter needs ``stackyard-core`` (and whatever the step
imports) installed; the step's own code is found through ``PYTHONPATH``,
which gets the folders of this process's module search path that are not
part of its installation (the project, not its site-packages).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from stackyard.exceptions import StackyardError
from stackyard.step_operators import BaseStepOperator

if TYPE_CHECKING:
    from stackyard.stack import Stack

# Runs in the child: set the limits, then become the step's command (the limits survive exec).
_LIMITED = (
    "import os, resource, sys\n"
    "memory, cpu = int(sys.argv[1]), int(sys.argv[2])\n"
    "if memory: resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "if cpu: resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*\Z", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class StepResourceLimitError(StackyardError):
    """A step went past a resource limit of its step operator."""


def parse_size(text: str) -> int:
    """Bytes in ``512M``, ``2GiB``, ``1.5g`` or ``1048576`` (binary units); ``ValueError`` otherwise."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a size; write it like 512M or 2G")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size <= 0:
        raise ValueError(f"'{text}' is not a size above zero")
    return size


class LocalStepOperator(BaseStepOperator):
    """Runs marked steps in a separate process: another Python if asked, with its own environment and limits."""

    FLAVOR: ClassVar[str] = "local"

    python: str | None = None
    """Interpreter to run steps with, or a virtual environment's folder (default: this Python)."""

    environment: dict[str, str] = {}
    """Environment variables for the step's process; values may hold secret references ({{secret.key}})."""

    memory_limit: str | None = None
    """Most memory (address space) the step's process may use, e.g. 512M or 2G (POSIX only)."""

    cpu_time_limit: int | None = None
    """Most CPU seconds the step's process may use; past it the process is killed (POSIX only)."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.memory_limit is not None:
            try:
                parse_size(self.memory_limit)
            except ValueError as exc:
                raise ValueError(f"memory_limit: {exc}") from None
        if self.cpu_time_limit is not None and self.cpu_time_limit <= 0:
            raise ValueError("cpu_time_limit: give a number of CPU seconds above zero")

    # -- checks ------------------------------------------------------------------------

    def interpreter(self) -> str:
        """The interpreter steps run with (``python`` itself, or its ``bin/python`` if it is a folder)."""
        if not self.python:
            return sys.executable
        path = Path(self.python).expanduser()
        if path.is_dir():
            path = path / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
        return str(path)

    def problems(self) -> list[str]:
        """What keeps this step operator from running a step here (empty if nothing).

        Bare texts: ``Stack.problems()`` puts ``step operator '<name>': `` before each, and so does ``launch``.
        """
        found = []
        if self.python:
            path = self.interpreter()
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                found.append(f"python '{self.python}' is not an executable interpreter or virtual "
                             f"environment ({path} is missing or not executable); fix it with: stackyard "
                             f"step-operator update {self.name} --python=/path/to/venv")
        if (self.memory_limit or self.cpu_time_limit) and sys.platform == "win32":
            found.append("memory_limit and cpu_time_limit need POSIX resource limits, which Windows "
                         f"lacks; remove them with: stackyard step-operator remove-attribute {self.name} "
                         "memory_limit cpu_time_limit")
        for key in self.environment:
            if not key or "=" in key or "\0" in key:
                found.append(f"'{key}' cannot be an environment variable's name")
        return found

    def validate_stack(self, stack: Stack) -> list[str]:
        return self.problems()

    # -- running -----------------------------------------------------------------------

    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        import subprocess

        problems = self.problems()
        if problems:
            raise StackyardError(f"step operator '{self.name}': {problems[0]}")
        python = self.interpreter()
        command = [python, *entrypoint[1:]] if entrypoint and entrypoint[0] == sys.executable else list(entrypoint)
        memory = parse_size(self.memory_limit) if self.memory_limit else 0
        if memory or self.cpu_time_limit:
            command = [python, "-c", _LIMITED, str(memory), str(self.cpu_time_limit or 0), *command]
        try:
            environment = self._environment(python)  # once: the interpreter check after a failure uses it too
            process = subprocess.run(command, env=environment, check=False)
        except OSError as exc:
            raise StackyardError(f"Step operator '{self.name}' could not start {python}: {exc}") from None
        self._check_limits(step_name, process.returncode, entrypoint)
        if process.returncode != 0 and python != sys.executable:
            self._check_interpreter(python, step_name, environment)

    def _check_interpreter(self, python: str, step_name: str, environment: dict[str, str]) -> None:
        """After a failure in another interpreter: one clear error if it cannot import Stackyard at all."""
        import subprocess

        probe = subprocess.run([python, "-c", "import stackyard.pipelines.entrypoint"], env=environment,
                               capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            raise StackyardError(
                f"Step '{step_name}' could not run: python '{self.python}' of step operator '{self.name}' cannot "
                f"import Stackyard ({last}); install stackyard-core (and what the step imports) there: "
                f"{python} -m pip install stackyard-core"
            )

    def _environment(self, python: str) -> dict[str, str]:
        paths = _project_paths() if python != sys.executable else [p for p in sys.path if p]
        inherited = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths + ([inherited] if inherited else []))}
        env.update(self._resolved_environment())
        return env

    def _resolved_environment(self) -> dict[str, str]:
        """``environment`` with its secret references replaced by their values."""
        from stackyard.secrets import REFERENCE_PATTERN, find_references

        values = dict(self.environment)
        if not any(find_references(v) for v in values.values()):
            return values
        manager = _run_stack(self).secrets_manager
        if manager is None:
            raise StackyardError(
                f"Step operator '{self.name}': its environment references secrets, but the stack has no secrets "
                "manager; add one (stackyard stack update STACK -x SECRETS_MANAGER)."
            )

        def value(match: re.Match[str], key: str) -> str:
            secret, field = match.group(1), match.group(2)
            found = manager.get_secret(secret)  # SecretNotFoundError names the secret
            if field not in found:
                raise StackyardError(
                    f"Step operator '{self.name}': environment variable {key} references {{{{{secret}.{field}}}}}, "
                    f"but secret '{secret}' has no key '{field}'; add it with: stackyard secret update {secret} --{field}"
                )
            return found[field]

        return {k: REFERENCE_PATTERN.sub(lambda m, k=k: value(m, k), v) for k, v in values.items()}

    def _check_limits(self, step_name: str, returncode: int, entrypoint: Sequence[str]) -> None:
        """Turn a step that went past a limit into one clear error."""
        if returncode == 0 or not (self.memory_limit or self.cpu_time_limit):
            return
        import signal

        killed = -returncode if returncode < 0 else None
        if self.cpu_time_limit and killed in (getattr(signal, "SIGXCPU", None), signal.SIGKILL):
            raise StepResourceLimitError(
                f"Step '{step_name}' used more than {self.cpu_time_limit} s of CPU time, the cpu_time_limit of step "
                f"operator '{self.name}', and was stopped; raise it with: stackyard step-operator update "
                f"{self.name} --cpu_time_limit=SECONDS"
            )
        if self.memory_limit and _failed_with(entrypoint, self, "MemoryError"):
            raise StepResourceLimitError(
                f"Step '{step_name}' ran out of memory: step operator '{self.name}' limits it to "
                f"{self.memory_limit} (memory_limit); raise it with: stackyard step-operator update "
                f"{self.name} --memory_limit=SIZE"
            )


def _failed_with(entrypoint: Sequence[str], operator: LocalStepOperator, error_type: str) -> bool:
    """Whether the step's result (``result.json`` beside its payload) records an error of ``error_type``."""
    import json

    store = _run_stack(operator).artifact_store
    if store is None or "--payload" not in entrypoint:
        return False
    payload = entrypoint[list(entrypoint).index("--payload") + 1]
    path = f"{payload.rsplit('/', 1)[0]}/result.json"
    try:
        with store.open(path, "r") as file:
            return bool(json.loads(file.read()).get("error", {}).get("type_name") == error_type)
    except (OSError, ValueError):
        return False


def _run_stack(operator: LocalStepOperator) -> Stack:
    """The stack of the run this operator launches a step of."""
    if operator._stack is not None:
        return operator._stack  # type: ignore[no-any-return]
    from stackyard import get_run_context

    return get_run_context().stack


def _project_paths() -> list[str]:
    """The folders of ``sys.path`` outside this Python's installation (the project's code, not packages)."""
    import site
    import sysconfig

    installed = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), site.getusersitepackages()}
    installed |= {p for p in sysconfig.get_paths().values() if p}
    roots = [os.path.realpath(p) for p in installed if p]
    result = []
    for entry in sys.path:
        if not entry:
            continue
        real = os.path.realpath(entry)
        if not any(real == root or real.startswith(root + os.sep) for root in roots) and os.path.isdir(real):
            result.append(entry)
    return result
