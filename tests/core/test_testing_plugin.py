"""The pytest plugin flavor authors get with stackyard-core: fixtures and conformance suites."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_fixtures_isolate_config_and_repository(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        from stackyard import Repository

        def test_config(stackyard_config):
            assert os.environ["STACKYARD_CONFIG_PATH"] == str(stackyard_config)
            assert "STACKYARD_PROFILE" not in os.environ
            assert Repository().active_stack_name == "default"
            assert (stackyard_config / "profiles" / "default.toml").is_file()

        def test_repository(stackyard_repository):
            assert stackyard_repository.root == Repository().root
            assert (stackyard_repository.root / ".stackyard" / "config.toml").is_file()
            assert Repository().active_profile_source.value == "local"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_broken_flavor_fails_the_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from stackyard.testing import SecretsManagerConformance
        from stackyard_local import LocalSecretsManager

        class ForgetfulSecrets(LocalSecretsManager):
            FLAVOR = "forgetful"

            def delete_secret(self, name):
                pass  # never deletes, never complains

        class TestForgetful(SecretsManagerConformance):
            @pytest.fixture
            def secrets_manager(self, tmp_path):
                return ForgetfulSecrets(name="f", path=str(tmp_path / "s.json"))
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=10, failed=4)  # 10: joining a stack of local components is checked too
    result.stdout.fnmatch_lines(
        [
            "*FAILED*test_flavor_is_installed_through_its_entry_point*",
            "*FAILED*test_registers_and_loads_back*",
            "*FAILED*test_delete*",
            "*FAILED*test_missing_secrets_raise_not_found*",
        ]
    )
    result.stdout.fnmatch_lines(["*No secrets manager flavor named 'forgetful'*"])


def test_a_suite_without_its_fixture_says_what_to_define(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from stackyard.testing import ArtifactStoreConformance

        class TestNothing(ArtifactStoreConformance):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "round_trips")
    result.stdout.fnmatch_lines(["*Define an `artifact_store` fixture*"])


def test_a_broken_orchestrator_fails_its_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from stackyard.testing import OrchestratorConformance
        from stackyard_local import LocalOrchestrator

        class Backwards(LocalOrchestrator):
            FLAVOR = "backwards"

            def run_pipeline(self, deployment, stack, runtime_configuration):
                for name in reversed(deployment.steps):  # ignores dependencies
                    deployment.run_step(name)

        class TestBackwards(OrchestratorConformance):
            @pytest.fixture
            def orchestrator(self):
                return Backwards(name="b")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not installed and not registers")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 4, result.stdout.str()
    result.stdout.fnmatch_lines(["*FAILED*test_runs_every_step_once_in_dependency_order*"])
    result.stdout.fnmatch_lines(["*started a step before its upstream steps*"])


def test_a_broken_artifact_store_fails_its_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from stackyard.testing import ArtifactStoreConformance
        from stackyard_local import LocalArtifactStore

        class Careless(LocalArtifactStore):
            FLAVOR = "careless"

            def rename(self, src, dst, overwrite=False):
                super().rename(src, dst, overwrite=True)  # overwrites without being asked

            def listdir(self, path):
                return list(reversed(super().listdir(path)))  # unsorted

        class TestCareless(ArtifactStoreConformance):
            @pytest.fixture
            def artifact_store(self, tmp_path):
                return Careless(name="c", path=str(tmp_path))
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not installed and not registers")
    result.stdout.fnmatch_lines(["*FAILED*test_rename_refuses_to_overwrite_unless_asked*"])
    result.stdout.fnmatch_lines(["*FAILED*test_listdir_gives_sorted_names*"])
    assert result.parseoutcomes()["failed"] == 2


def test_a_broken_metadata_store_fails_its_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from stackyard.testing import MetadataStoreConformance
        from stackyard_local import SQLiteMetadataStore

        class Amnesiac(SQLiteMetadataStore):
            FLAVOR = "amnesiac"

            def get_runs(self, pipeline_name=None):
                return super().get_runs(pipeline_name)[-1:]  # forgets all but the newest run

        class TestAmnesiac(MetadataStoreConformance):
            @pytest.fixture
            def metadata_store(self, tmp_path):
                return Amnesiac(name="a", uri=str(tmp_path / "m.db"))
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not installed and not registers")
    result.stdout.fnmatch_lines(["*FAILED*test_runs_are_listed_oldest_first_by_pipeline*"])


def test_a_step_operator_that_runs_nothing_fails_its_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from stackyard.step_operators import BaseStepOperator
        from stackyard.testing import StepOperatorConformance

        class Idle(BaseStepOperator):
            FLAVOR = "idle"

            def launch(self, pipeline_name, run_name, step_name, entrypoint):
                pass  # never runs the step

        class TestIdle(StepOperatorConformance):
            @pytest.fixture
            def step_operator(self):
                return Idle(name="i")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not installed and not registers")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*FAILED*test_a_marked_step_runs_through_the_operator*"])
    result.stdout.fnmatch_lines(["*the step operator ran nothing*"])


def test_an_alerter_that_drops_the_failure_post_fails_its_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from stackyard.alerters import BaseAlerter
        from stackyard.testing import AlerterConformance

        class Forgetful(BaseAlerter):
            FLAVOR = "forgetful-alerter"

            def post(self, message):
                return True

            def ask(self, question):
                return False

            def cleanup_pipeline_run(self, info, outcome):
                pass  # does not call super(): post_on_failure never posts

        class TestForgetful(AlerterConformance):
            @pytest.fixture
            def alerter(self):
                return Forgetful(name="f")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not installed and not registers")
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_a_failed_run_posts_its_failure_when_asked*"])


def test_modules_imported_by_lists_a_fresh_process_and_fails_with_its_code() -> None:
    from stackyard.testing.assertions import modules_imported_by

    loaded = modules_imported_by("print('stackyard-modules: fake')\nimport json\n")  # output of its own is ignored
    assert "json" in loaded and "fake" not in loaded and "stackyard" not in loaded
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        modules_imported_by("1 / 0")
