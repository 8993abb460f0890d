"""examples/full_stack runs in one command, twice, and leaves no model server behind.

The script needs every plugin package of the example installed (stackyard-serve,
-mlflow, -apprise, -feast and stackyard-local[encrypted]); it starts its own
alert receiver and model server on 127.0.0.1 and stops both.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stackyard import Repository

RUN = Path(__file__).resolve().parents[2] / "examples" / "full_stack" / "run.py"
STEPS = ["training_set", "split", "train", "evaluate", "deploy_model", "notify"]


def run_example() -> str:
    result = subprocess.run([sys.executable, str(RUN)], capture_output=True, text=True, env=os.environ, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def step_statuses(output: str) -> dict[str, str]:
    return dict(re.findall(rf"^  ({'|'.join(STEPS)}) +(completed|cached|failed)$", output, re.MULTILINE))


def assert_stopped(prediction_url: str) -> None:
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(prediction_url, data=b'{"instances": [[1, 2.0, 3]]}', timeout=5)


@pytest.mark.slow
def test_full_stack_example_runs_twice_and_cleans_up(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_example()

    assert re.search(r"^Pipeline run '[^']+': completed$", first, re.MULTILINE)
    assert step_statuses(first) == dict.fromkeys(STEPS, "completed")
    for component in ("feast", "mlflow", "apprise", "stackyard-serve", "step_operator"):
        assert component in first
    assert re.search(r"^  train +FINISHED +\{'n_estimators': '50'", first, re.MULTILINE)  # logged in the operator's process
    assert re.search(r"^  evaluate +FINISHED +\{'accuracy': 0\.\d+\}$", first, re.MULTILINE)
    url = re.search(r"^Deployed model server \w{8} at (http://127\.0\.0\.1:\d+/predict)$", first, re.MULTILINE)[1]
    predictions = re.findall(r"^  customer (\d+) \[.*\] -> churn prediction ([01])$", first, re.MULTILINE)
    assert [customer for customer, _ in predictions] == ["1001", "1002", "1003"]
    assert re.search(r"^Model server \w{8} stopped \(status: stopped\)$", first, re.MULTILINE)
    alerts = first.split("Alerts received on 127.0.0.1:")[1]
    assert re.search(rf"Stackyard \| churn_pipeline-\S+: churn model accuracy 0\.\d+, deployed at {re.escape(url)}", alerts)
    assert_stopped(url)

    second = run_example()

    assert step_statuses(second) == {**dict.fromkeys(STEPS[:4], "cached"), "deploy_model": "completed", "notify": "completed"}
    new_url = re.search(r"^Deployed model server \w{8} at (http://\S+)$", second, re.MULTILINE)[1]
    assert re.search(r"^  replacing server \w{8} of run 'churn_pipeline-\S+' \(stopped\), now forgotten$", second, re.MULTILINE)
    assert f"deployed at {new_url}" in second.split("Alerts received on")[1]
    assert_stopped(new_url)

    # What is left: one server record, stopped, in the example's own profile; the user's profile untouched.
    assert Repository().active_profile_name == "default"
    monkeypatch.setenv("STACKYARD_PROFILE", "full_stack")
    deployer = Repository().active_stack.model_deployer
    servers = deployer.find_model_server(pipeline_name="churn_pipeline")
    assert [(s["prediction_url"], s["status"]) for s in servers] == [(new_url, "stopped")]
    assert len(Repository().get_pipeline("churn_pipeline").runs) == 2
