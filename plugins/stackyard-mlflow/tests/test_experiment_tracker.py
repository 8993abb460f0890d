"""The mlflow experiment tracker on a real SQLite tracking store (one per session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard import Repository, get_step_context, pipeline, step
from stackyard.exceptions import ComponentConfigError, PipelineRunFailedError
from stackyard.testing import ExperimentTrackerConformance
from stackyard.testing.assertions import modules_imported_by
from stackyard_mlflow.experiment_tracker import MLflowExperimentTracker, MLflowTrackerError


class TestMLflowConformance(ExperimentTrackerConformance):
    @pytest.fixture
    def experiment_tracker(self, tracking_uri: str) -> MLflowExperimentTracker:
        return MLflowExperimentTracker(name="mlflow", tracking_uri=tracking_uri)


def runs_of(client, stackyard_run: str) -> dict:
    """The MLflow runs a Stackyard run made, by step name ('' for the pipeline's own run)."""
    found = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string=f"tags.`stackyard.run` = '{stackyard_run}'",
    )
    return {run.data.tags.get("stackyard.step", ""): run for run in found}


@step
def load() -> list:
    return [0.5, 0.25, 0.125]


@step
def train(data: list, lr: float) -> float:
    import mlflow

    mlflow.log_param("lr", lr)  # plain MLflow: the step's run is active
    for epoch, loss in enumerate(data):
        mlflow.log_metric("loss", loss, step=epoch)
    get_step_context().stack.experiment_tracker.log_metrics({"final_loss": data[-1]})
    return data[-1]


@step
def evaluate(loss: float) -> float:
    if loss > 0.2:
        raise ValueError(f"loss {loss} too high")
    get_step_context().stack.experiment_tracker.log_params({"checked": "yes"})
    return 1 - loss


@pipeline
def training(lr: float = 0.01):
    evaluate(train(load(), lr=lr))


@pytest.fixture
def tracked_repo(stackyard_repository: Repository, stackyard_cli, tracking_uri: str) -> Repository:
    for args in (
        ("experiment-tracker", "register", "mlflow", "--flavor=mlflow", f"--tracking_uri={tracking_uri}"),
        ("stack", "update", "default", "-e", "mlflow"),
    ):
        result = stackyard_cli(*args)
        assert result.exit_code == 0, result.output
    return stackyard_repository


def test_a_pipeline_run_is_an_mlflow_run_with_a_nested_run_per_step(tracked_repo, client, stackyard_cli) -> None:
    training(lr=0.05).run(run_name="nightly-1")

    runs = runs_of(client, "nightly-1")
    assert sorted(runs) == ["", "evaluate", "load", "train"]
    parent = runs[""]
    assert parent.info.run_name == "nightly-1" and parent.info.status == "FINISHED"
    assert parent.data.tags["stackyard.pipeline"] == "training"
    assert client.get_experiment(parent.info.experiment_id).name == "training"
    for name in ("load", "train", "evaluate"):
        child = runs[name]
        assert child.info.run_name == name and child.info.status == "FINISHED"
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tags["stackyard.pipeline"] == "training"
    assert runs["train"].data.params == {"lr": "0.05"}
    assert [m.value for m in client.get_metric_history(runs["train"].info.run_id, "loss")] == [0.5, 0.25, 0.125]
    assert runs["train"].data.metrics["final_loss"] == 0.125
    assert runs["evaluate"].data.params == {"checked": "yes"}

    run = Repository().get_run("nightly-1")
    assert run.metadata["mlflow_run_id"] == parent.info.run_id
    assert run.get_step("train").metadata["mlflow_run_id"] == runs["train"].info.run_id
    result = stackyard_cli("pipeline", "run-describe", "nightly-1")
    assert result.exit_code == 0, result.output
    assert f"train: mlflow_run_id='{runs['train'].info.run_id}'" in result.output
    data = json.loads(stackyard_cli("pipeline", "run-describe", "nightly-1", "--output", "json").stdout)
    assert data["metadata"]["mlflow_run_id"] == parent.info.run_id


def test_a_failed_run_ends_failed_in_mlflow_and_the_next_run_is_fine(tracked_repo, client) -> None:
    with pytest.raises(PipelineRunFailedError, match="loss 0.5 too high"):
        failing_training().run(run_name="nightly-bad")
    runs = runs_of(client, "nightly-bad")
    assert runs[""].info.status == "FAILED"
    assert runs["evaluate"].info.status == "FAILED"
    assert runs["train"].info.status == "FINISHED"

    training().run(run_name="nightly-good")
    assert runs_of(client, "nightly-good")[""].info.status == "FINISHED"


@step
def early() -> list:
    return [0.5]


@pipeline
def failing_training():
    evaluate(train(early(), lr=0.1))


def test_the_experiment_comes_from_the_runtime_option_then_the_parameter(tracked_repo, client) -> None:
    training().run(run_name="opt-run", experiment_name="digits-v2")
    parent = runs_of(client, "opt-run")[""]
    assert client.get_experiment(parent.info.experiment_id).name == "digits-v2"


def test_without_tracking_uri_runs_go_to_a_sqlite_file_in_the_profile_folder(
    stackyard_repository: Repository, stackyard_cli
) -> None:
    from mlflow.tracking import MlflowClient

    for args in (
        ("experiment-tracker", "register", "mlflow", "--flavor=mlflow"),
        ("stack", "update", "default", "-e", "mlflow"),
    ):
        assert stackyard_cli(*args).exit_code == 0
    training().run(run_name="local-default")

    database = Path(stackyard_repository.active_profile.store_path) / "mlflow" / "mlflow.db"
    assert database.is_file()
    client = MlflowClient(tracking_uri=f"sqlite:///{database}")
    assert runs_of(client, "local-default")[""].info.status == "FINISHED"
    assert not (Path.cwd() / "mlruns").exists(), "MLflow wrote into the working directory"


def test_logging_outside_a_run_is_one_clear_error(tracking_uri: str) -> None:
    tracker = MLflowExperimentTracker(name="mlflow", tracking_uri=tracking_uri)
    with pytest.raises(MLflowTrackerError, match="has no MLflow run here: log from a step"):
        tracker.log_metrics({"loss": 1.0})


def test_a_bad_tracking_uri_is_refused_with_one_line(stackyard_cli) -> None:
    result = stackyard_cli("experiment-tracker", "register", "t", "--flavor=mlflow", "--tracking_uri=ftp://x/db")
    assert result.exit_code != 0
    assert "tracking_uri: has 'ftp://'; use sqlite:///path/to/mlflow.db" in result.output
    assert "Traceback" not in result.output
    assert stackyard_cli("experiment-tracker", "list").output.count("│ t ") == 0


def test_the_token_takes_only_a_secret_reference(stackyard_cli) -> None:
    with pytest.raises(ComponentConfigError, match="tracking_token: is sensitive"):
        MLflowExperimentTracker(name="t", tracking_uri="https://mlflow.example", tracking_token="abc123")
    result = stackyard_cli(
        "experiment-tracker", "register", "t", "--flavor=mlflow", "--tracking_uri=https://mlflow.example",
        "--tracking_token={{mlflow.token}}",
    )
    assert result.exit_code == 0, result.output


def test_importing_the_plugin_does_not_import_mlflow(stackyard_config: Path) -> None:
    loaded = modules_imported_by(
        "import stackyard_mlflow.plugin\n"
        "from stackyard import Repository\n"
        "assert 'mlflow' in [f.name for f in Repository().get_flavors('experiment_tracker')]\n"
    )
    assert "mlflow" not in loaded and "sqlalchemy" not in loaded


@step
def branch(seed: int) -> int:
    import os

    import mlflow

    mlflow.log_metric("seed", seed)
    mlflow.set_tag("pid", str(os.getpid()))
    return seed


@step
def join(a: int, b: int) -> int:
    return a + b


@pipeline
def branches():
    join(a=branch(seed=1), b=branch(seed=2))


def test_steps_in_forked_worker_processes_each_get_their_run(tracked_repo, client) -> None:
    import os

    branches().run(run_name="parallel-1", max_workers=2)
    runs = runs_of(client, "parallel-1")
    assert sorted(runs) == ["", "branch", "branch_2", "join"]
    seeds = sorted(r.data.metrics["seed"] for r in runs.values() if "seed" in r.data.metrics)
    assert seeds == [1.0, 2.0]
    assert all(r.info.status == "FINISHED" for r in runs.values())
    assert any(r.data.tags.get("pid") != str(os.getpid()) for r in runs.values() if "pid" in r.data.tags)


@pytest.fixture
def refusing_server():
    """A tracking 'server' on loopback that answers 401 to everything and keeps the Authorization headers."""
    import http.server
    import threading

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = b'{"error_code": "UNAUTHENTICATED", "message": "bad token"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _refuse

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_refusing_tracking_server_fails_the_run_with_one_line_and_the_token_stays_secret(
    stackyard_repository: Repository, stackyard_cli, refusing_server, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    url, seen = refusing_server
    token = "tok-5e2a8b91-secret"
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    for args in (
        ("secrets-manager", "register", "vault", "--flavor=local", f"--path={tmp_path / 'secrets.json'}"),
        ("stack", "update", "default", "-x", "vault"),
        ("secret", "register", "mlflow", f"--token={token}"),
        ("experiment-tracker", "register", "remote", "--flavor=mlflow", f"--tracking_uri={url}",
         "--tracking_token={{mlflow.token}}"),
        ("stack", "update", "default", "-e", "remote"),
    ):
        result = stackyard_cli(*args)
        assert result.exit_code == 0, result.output

    with pytest.raises(PipelineRunFailedError) as caught:
        training().run(run_name="refused")
    message = str(caught.value)
    assert f"Experiment tracker 'remote' could not start a run in its MLflow tracking store {url}: RestException: UNAUTHENTICATED: bad token" in message
    assert isinstance(caught.value.__cause__, MLflowTrackerError)
    assert seen and seen[0] == f"Bearer {token}", "the token did not reach the server"
    assert token not in message and token not in caplog.text
    assert "MLFLOW_TRACKING_TOKEN" not in __import__("os").environ, "the token was left in the environment"
    described = stackyard_cli("experiment-tracker", "describe", "remote").output
    assert "{{mlflow.token}}" in described and token not in described


def test_a_run_the_caller_has_active_is_left_alone(tracked_repo, client, tracking_uri: str) -> None:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with mlflow.start_run(run_name="notebook") as mine:
        training().run(run_name="inside-notebook")
        assert mlflow.active_run().info.run_id == mine.info.run_id
        mlflow.log_metric("after", 1.0)
    runs = runs_of(client, "inside-notebook")
    assert runs["train"].data.tags["mlflow.parentRunId"] == runs[""].info.run_id
    theirs = client.get_run(mine.info.run_id)
    assert theirs.info.status == "FINISHED" and theirs.data.metrics == {"after": 1.0}
