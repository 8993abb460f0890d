"""The ``local`` step operator: marked steps in their own process, another venv, own environment, resource limits."""

from __future__ import annotations

import os
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Any

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import ComponentConfigError, PipelineRunFailedError, StackValidationError
from stackyard.stack.stack import Stack
from stackyard.testing import StepOperatorConformance
from stackyard_local.secrets_manager import LocalSecretsManager
from stackyard_local.step_operator import LocalStepOperator, StepResourceLimitError, parse_size


@step(step_operator="isolated")
def where_am_i() -> dict:
    return {
        "pid": os.getpid(),
        "prefix": sys.prefix,
        "executable": sys.executable,
        "greeting": os.environ.get("GREETING"),
        "token": os.environ.get("API_TOKEN"),
    }


@step(step_operator="isolated")
def greedy() -> int:
    hog = bytearray(2 * 1024**3)  # 2 GiB, well past the limit
    return len(hog)


@step(step_operator="isolated")
def spin() -> int:
    n = 0
    while True:  # only the CPU time limit stops it
        n += 1


@pipeline
def report():
    where_am_i()


@pipeline
def hungry():
    greedy()


@pipeline
def busy():
    spin()


def with_operator(stack: Stack, operator: LocalStepOperator, **extra: Any) -> Stack:
    return Stack("isolated", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                 metadata_store=stack.metadata_store, step_operator=operator, **extra)


@pytest.fixture(scope="session")
def other_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another virtual environment (no pip: fast) that sees this one's packages through a .pth file."""
    folder = tmp_path_factory.mktemp("other") / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(folder)
    here = sysconfig.get_paths()["purelib"]
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    import subprocess

    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "parent_venv.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    return folder


def test_a_step_runs_in_another_venv_with_its_own_environment(stack: Stack, other_venv: Path) -> None:
    repo = Repository()
    manager = LocalSecretsManager(name="vault", path=str(Path.cwd() / "secrets.json"))
    manager.register_secret("api", {"token": "s3cr3t"})
    operator = LocalStepOperator(name="isolated", python=str(other_venv),
                                 environment={"GREETING": "hello", "API_TOKEN": "{{api.token}}"})
    run = report().run(stack=with_operator(stack, operator, secrets_manager=manager), run_name="venv")
    seen = repo.get_run("venv").get_step("where_am_i").output.read()
    assert run.status.value == "completed"
    assert seen["pid"] != os.getpid()
    assert Path(seen["prefix"]).resolve() == other_venv.resolve()
    assert seen["greeting"] == "hello" and seen["token"] == "s3cr3t"
    stored = repo.get_run("venv").get_step("where_am_i")
    assert "s3cr3t" not in str(operator.config) and "{{api.token}}" in str(operator.config)
    assert stored.status.value == "completed"


def test_a_missing_interpreter_is_refused_before_the_run(stack: Stack, tmp_path: Path) -> None:
    operator = LocalStepOperator(name="isolated", python=str(tmp_path / "no-such-venv"))
    with pytest.raises(StackValidationError, match="python '.*no-such-venv' is not an executable interpreter") as caught:
        report().run(stack=with_operator(stack, operator), run_name="refused")
    assert str(caught.value).count("step operator 'isolated'") == 1  # named once, by the stack
    assert Repository().get_pipelines() == []


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX only (refused on Windows)")
def test_a_greedy_step_fails_with_a_clear_error_at_its_memory_limit(stack: Stack) -> None:
    operator = LocalStepOperator(name="isolated", memory_limit="1G")
    with pytest.raises(PipelineRunFailedError) as caught:
        hungry().run(stack=with_operator(stack, operator), run_name="hungry")
    cause = caught.value.__cause__
    assert isinstance(cause, StepResourceLimitError)
    assert str(cause) == (
        "Step 'greedy' ran out of memory: step operator 'isolated' limits it to 1G (memory_limit); "
        "raise it with: stackyard step-operator update isolated --memory_limit=SIZE"
    )
    assert Repository().get_run("hungry").get_step("greedy").status.value == "failed"


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX only (refused on Windows)")
def test_a_step_past_its_cpu_time_limit_is_stopped_with_a_clear_error(stack: Stack) -> None:
    operator = LocalStepOperator(name="isolated", cpu_time_limit=1)
    with pytest.raises(PipelineRunFailedError) as caught:
        busy().run(stack=with_operator(stack, operator), run_name="busy")
    assert isinstance(caught.value.__cause__, StepResourceLimitError)
    assert "used more than 1 s of CPU time, the cpu_time_limit of step operator 'isolated'" in str(caught.value.__cause__)


def test_bad_limits_are_refused_at_registration(stackyard_cli: Any) -> None:
    result = stackyard_cli("step-operator", "register", "x", "--flavor", "local", "--memory_limit=lots")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "memory_limit: 'lots' is not a size; write it like 512M or 2G" in result.output
    with pytest.raises((ComponentConfigError, ValueError)):
        LocalStepOperator(name="x", cpu_time_limit=0)
    assert Repository().component_names("step_operator") == []
    assert stackyard_cli("step-operator", "register", "x", "--flavor", "local", "--memory_limit=512M").exit_code == 0


def test_sizes() -> None:
    assert parse_size("512M") == 512 * 1024**2 and parse_size("2GiB") == 2 * 1024**3 and parse_size("1024") == 1024
    for bad in ("", "-1M", "0", "12X"):
        with pytest.raises(ValueError):
            parse_size(bad)


class TestLocalStepOperator(StepOperatorConformance):
    @pytest.fixture
    def step_operator(self) -> LocalStepOperator:
        return LocalStepOperator(name="local-operator")


def test_an_interpreter_without_stackyard_fails_with_a_clear_error(stack: Stack, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(bare)  # sees none of this venv's packages
    operator = LocalStepOperator(name="isolated", python=str(bare))
    with pytest.raises(PipelineRunFailedError) as caught:
        report().run(stack=with_operator(stack, operator), run_name="bare")
    message = str(caught.value.__cause__)
    # the project's folders reach it through PYTHONPATH (here: the editable sources), its dependencies do not
    assert message.startswith(f"Step 'where_am_i' could not run: python '{bare}' of step operator 'isolated' "
                              "cannot import Stackyard (ModuleNotFoundError: No module named '")
    assert message.endswith("-m pip install stackyard-core")
