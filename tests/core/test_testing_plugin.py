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
    result.assert_outcomes(passed=9, failed=4)
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
