"""The apprise alerter against a real HTTP server on loopback, through Apprise's ``json://`` scheme."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from stackyard import Repository, get_step_context, pipeline, step
from stackyard.exceptions import ComponentConfigError, PipelineRunFailedError
from stackyard.secrets import resolve_component
from stackyard.testing import AlerterConformance
from stackyard.testing.assertions import modules_imported_by
from stackyard_apprise.alerter import AppriseAlerter, AppriseURLError

PASSWORD = "pw-9d1f3c77-secret"
"""The credential in every URL (the ``inbox`` server's): it must arrive there and appear nowhere else."""



def resolved(urls: str, tmp_path: Path, **config: object) -> AppriseAlerter:
    """An alerter whose ``urls`` reference was resolved from a local secrets manager, as a run does it."""
    from stackyard_local.secrets_manager import LocalSecretsManager

    import uuid

    manager = LocalSecretsManager(name="vault", path=str(tmp_path / f"secrets-{uuid.uuid4().hex}.json"))
    manager.register_secret("alerts", {"urls": urls})
    return resolve_component(AppriseAlerter(name="chat", urls="{{alerts.urls}}", **config), manager)


class TestAppriseConformance(AlerterConformance):
    @pytest.fixture
    def alerter(self, empty_inbox, tmp_path: Path) -> AppriseAlerter:
        return resolved(empty_inbox.url(), tmp_path)


def test_post_delivers_title_and_message_with_the_credential(empty_inbox, tmp_path: Path) -> None:
    alerter = resolved(empty_inbox.url("hooks/ml"), tmp_path, title="Nightly")
    assert alerter.post("accuracy fell to 0.71") is True
    [request] = empty_inbox.take()
    assert request["path"] == "/hooks/ml"
    assert (request["user"], request["password"]) == ("alertbot", PASSWORD)
    assert request["body"]["title"] == "Nightly"
    assert request["body"]["message"] == "accuracy fell to 0.71"


def test_several_urls_each_get_the_message(empty_inbox, tmp_path: Path) -> None:
    alerter = resolved(f"{empty_inbox.url('a')}, {empty_inbox.url('b')}", tmp_path)
    assert alerter.post("to both") is True
    assert sorted(r["path"] for r in empty_inbox.take()) == ["/a", "/b"]


def test_a_refusing_service_makes_post_return_false(empty_inbox, tmp_path: Path) -> None:
    empty_inbox.status = 500
    assert resolved(empty_inbox.url(), tmp_path).post("lost") is False


def test_an_unknown_scheme_is_one_clear_error_without_the_url(tmp_path: Path) -> None:
    alerter = resolved(f"nosuchservice://{PASSWORD}@host", tmp_path)
    with pytest.raises(AppriseURLError) as caught:
        alerter.post("x")
    message = str(caught.value)
    assert "Alerter 'chat': urls: Apprise does not recognise 1 of its 1 URL(s)" in message
    assert PASSWORD not in message


def test_a_plain_url_is_refused_at_registration(stackyard_cli) -> None:
    result = stackyard_cli("alerter", "register", "chat", "--flavor=apprise", f"--urls=json://{PASSWORD}@h/x")
    assert result.exit_code != 0
    assert "urls: is sensitive, so it takes a secret reference" in result.output
    assert PASSWORD not in result.output
    with pytest.raises(ComponentConfigError):
        AppriseAlerter(name="chat", urls=f"json://{PASSWORD}@h/x")


def test_ask_is_refused_with_a_clear_message(empty_inbox, tmp_path: Path) -> None:
    with pytest.raises(NotImplementedError, match="only sends messages"):
        resolved(empty_inbox.url(), tmp_path).ask("deploy?")


@step
def report(accuracy: float) -> float:
    get_step_context().stack.alerter.post(f"trained: accuracy {accuracy}")
    return accuracy


@step
def crash() -> int:
    raise RuntimeError("disk full")


@pipeline
def reporting(accuracy: float = 0.93):
    report(accuracy=accuracy)


@pipeline
def crashing():
    crash()


def test_a_user_session_posts_from_a_step_and_on_failure_and_never_records_the_url(
    stackyard_cli, stackyard_repository: Repository, empty_inbox, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Register everything from the CLI, as the README shows, then run a good and a failing pipeline."""
    for args in (
        ("secrets-manager", "register", "vault", "--flavor=local", f"--path={tmp_path / 'secrets.json'}"),
        ("stack", "update", "default", "-x", "vault"),
        ("secret", "register", "alerts", f"--urls={empty_inbox.url('hooks/ml')}"),
        ("alerter", "register", "chat", "--flavor=apprise", "--urls={{alerts.urls}}", "--post_on_failure=true"),
        ("stack", "update", "default", "-al", "chat"),
    ):
        result = stackyard_cli(*args)
        assert result.exit_code == 0, result.output

    caplog.set_level(logging.DEBUG)
    reporting().run(run_name="good")
    with pytest.raises(PipelineRunFailedError):
        crashing().run(run_name="bad")

    messages = [r["body"]["message"] for r in empty_inbox.take()]
    assert messages == [
        "trained: accuracy 0.93",
        "Pipeline run 'bad' of pipeline 'crashing' failed: RuntimeError: disk full",
    ]
    assert PASSWORD not in caplog.text, "a credential of the URL reached the logs"
    for name in ("good", "bad"):
        assert PASSWORD not in repr(Repository().get_run(name).to_dict())
    described = stackyard_cli("alerter", "describe", "chat")
    assert "{{alerts.urls}}" in described.output and PASSWORD not in described.output
    config = Path(stackyard_repository.active_profile.store_path)
    for path in config.rglob("*"):
        if path.is_file() and path.suffix in (".toml", ".db", ".json", ".log"):
            assert PASSWORD.encode() not in path.read_bytes() or path.name == "secrets.json", path


def test_apprise_logs_never_show_the_urls_secret_parts(empty_inbox, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    alerter = resolved(empty_inbox.url("tok-4a7e19c2"), tmp_path)
    alerter.post("hello")
    with pytest.raises(AppriseURLError):
        resolved(f"nosuch://{PASSWORD}@x", tmp_path).post("x")
    assert "tok-4a7e19c2" not in caplog.text and PASSWORD not in caplog.text


def test_urls_joined_as_apprise_allows_are_redacted_as_apprise_splits_them(empty_inbox, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    urls = f"{empty_inbox.url('tok-1f2e3d4c')};{empty_inbox.url('tok-9a8b7c6d')}"  # ';' joins URLs for Apprise too
    resolved(urls, tmp_path).post("hello")
    assert len(empty_inbox.take()) == 2
    assert "tok-1f2e3d4c" not in caplog.text and "tok-9a8b7c6d" not in caplog.text


def test_importing_the_plugin_does_not_import_apprise(stackyard_config: Path) -> None:
    loaded = modules_imported_by(
        "import stackyard_apprise.plugin\n"
        "from stackyard import Repository\n"
        "assert 'apprise' in [f.name for f in Repository().get_flavors('alerter')]\n"
    )
    assert "apprise" not in loaded
