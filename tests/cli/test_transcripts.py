"""The reference's transcripts, step by step, with ``stackyard`` in place of the old name."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.files import read_toml

from .conftest import dedent, table, table_headers, table_rows

OUTSIDE = "Running without an active repository root."
UNABLE = "Unable to find a Stackyard repository in your current working directory"

STACKS_DEFAULT = dedent(
    """
    ┏━━━━━━━━┯━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━┓
    ┃ ACTIVE │ STACK NAME │ ARTIFACT_STORE │ METADATA_STORE │ ORCHESTRATOR ┃
    ┠────────┼────────────┼────────────────┼────────────────┼──────────────┨
    ┃   👉   │ default    │ default        │ default        │ default      ┃
    ┗━━━━━━━━┷━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━┛
    """
)
STACKS_CUSTOM_ACTIVE = dedent(
    """
    ┏━━━━━━━━┯━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━┓
    ┃ ACTIVE │ STACK NAME │ ARTIFACT_STORE │ METADATA_STORE │ ORCHESTRATOR ┃
    ┠────────┼────────────┼────────────────┼────────────────┼──────────────┨
    ┃   👉   │ custom     │ default        │ default        │ default      ┃
    ┃        │ default    │ default        │ default        │ default      ┃
    ┗━━━━━━━━┷━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━┛
    """
)
STACKS_DEFAULT_ACTIVE = dedent(
    """
    ┏━━━━━━━━┯━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━┓
    ┃ ACTIVE │ STACK NAME │ ARTIFACT_STORE │ METADATA_STORE │ ORCHESTRATOR ┃
    ┠────────┼────────────┼────────────────┼────────────────┼──────────────┨
    ┃        │ custom     │ default        │ default        │ default      ┃
    ┃   👉   │ default    │ default        │ default        │ default      ┃
    ┗━━━━━━━━┷━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━┛
    """
)
PROFILE_HEADERS = ["ACTIVE", "PROFILE NAME", "STORE TYPE", "URL", "ACTIVE STACK"]


def profiles(output: str) -> list[list[str]]:
    """Profile rows without the URL (it names this test's temporary folder)."""
    assert table_headers(output) == PROFILE_HEADERS
    return [[active, name, store, stack] for active, name, store, _url, stack in table_rows(output)]


def lines(output: str) -> list[str]:
    return output.splitlines()


def test_first_command_creates_the_default_profile(ok, config_dir: Path) -> None:
    result = ok("profile", "list")
    assert lines(result.stderr) == [
        "Creating default profile...",
        "Initializing profile `default`...",
        "Initializing store...",
        "Registered stack component with type 'orchestrator' and name 'default'.",
        "Registered stack component with type 'metadata_store' and name 'default'.",
        "Registered stack component with type 'artifact_store' and name 'default'.",
        "Registered stack with name 'default'.",
        "Created and activated default profile.",
        lines(result.stderr)[8],
        OUTSIDE,
        "Running with active profile: 'default' (global)",
    ]
    assert lines(result.stderr)[8].startswith(UNABLE)
    assert profiles(result.output) == [["👉", "default", "local", "default"]]
    url = table_rows(result.output)[0][3]
    assert url == (config_dir / "profiles" / "default").as_uri()


def test_outside_a_repository_the_warning_says_how_to_get_one(ok, isolated: Path) -> None:
    ok("stack", "list")
    result = ok("stack", "list")
    assert lines(result.stderr) == [
        f"Unable to find a Stackyard repository in your current working directory ({isolated}) "
        "or any parent directories. If you want to use an existing repository which is in a "
        "different location, set the environment variable 'STACKYARD_REPOSITORY_PATH'. If you "
        "want to create a new repository, run stackyard init.",
        OUTSIDE,
        "Running with active profile: 'default' (global)",
    ]
    assert result.stdout.rstrip("\n") == STACKS_DEFAULT


def test_detailed_example_multiple_profiles(ok, config_dir: Path) -> None:
    """The reference's 'Detailed usage example of multiple profiles', step by step."""
    ok("profile", "list")  # first use, shown above

    result = ok("profile", "create", "zenml")
    assert lines(result.stderr)[1:] == [
        OUTSIDE,
        "Running with active profile: 'default' (global)",
        "Initializing profile `zenml`...",
        "Initializing store...",
        "Registered stack component with type 'orchestrator' and name 'default'.",
        "Registered stack component with type 'metadata_store' and name 'default'.",
        "Registered stack component with type 'artifact_store' and name 'default'.",
        "Registered stack with name 'default'.",
    ]
    assert result.stdout == "Profile 'zenml' successfully created.\n"

    result = ok("profile", "list")
    assert "Running with active profile: 'default' (global)" in result.stderr
    assert profiles(result.output) == [
        ["👉", "default", "local", "default"],
        ["", "zenml", "local", "default"],
    ]

    result = ok("profile", "set", "zenml")
    assert lines(result.output)[-2:] == [
        "Running with active profile: 'default' (global)",
        "Active profile changed to: 'zenml'",
    ]

    result = ok("profile", "list")
    assert "Running with active profile: 'zenml' (global)" in result.stderr
    assert profiles(result.output) == [
        ["", "default", "local", "default"],
        ["👉", "zenml", "local", "default"],
    ]

    result = ok("stack", "register", "custom", "-m", "default", "-a", "default", "-o", "default")
    assert lines(result.output)[-4:] == [
        OUTSIDE,
        "Running with active profile: 'zenml' (global)",
        "Registered stack with name 'custom'.",
        "Stack 'custom' successfully registered!",
    ]

    result = ok("stack", "set", "custom")
    assert lines(result.output)[-2:] == [
        "Running with active profile: 'zenml' (global)",
        "Active stack set to: 'custom'",
    ]

    result = ok("stack", "list")
    assert "Running with active profile: 'zenml' (global)" in result.stderr
    assert table(result.output) == STACKS_CUSTOM_ACTIVE

    result = ok("profile", "list")
    assert profiles(result.output) == [
        ["", "default", "local", "default"],
        ["👉", "zenml", "local", "custom"],
    ]

    result = ok("profile", "set", "default")
    assert lines(result.output)[-2:] == [
        "Running with active profile: 'zenml' (global)",
        "Active profile changed to: 'default'",
    ]

    result = ok("stack", "list")
    assert "Running with active profile: 'default' (global)" in result.stderr
    assert table(result.output) == STACKS_DEFAULT  # the default profile is unaffected


def test_detailed_example_local_profile_and_stack(ok, isolated: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference's 'Detailed usage example of local stacks and profiles', step by step."""
    # The state the example starts from: the previous example's profiles.
    ok("profile", "create", "zenml")
    ok("profile", "set", "zenml")
    ok("stack", "register", "custom", "-m", "default", "-a", "default", "-o", "default")
    ok("stack", "set", "custom")
    ok("profile", "set", "default")
    global_before = read_toml(config_dir / "config.toml")
    zenml_before = read_toml(config_dir / "profiles" / "zenml.toml")

    project = isolated / "zenml"
    project.mkdir()
    monkeypatch.chdir(project)

    result = ok("profile", "list")
    assert lines(result.stderr)[-2:] == [OUTSIDE, "Running with active profile: 'default' (global)"]
    assert profiles(result.output) == [
        ["👉", "default", "local", "default"],
        ["", "zenml", "local", "custom"],
    ]

    result = ok("init")
    assert lines(result.output)[0] == f"Stackyard repository initialized at {project}."
    assert "The local active profile was initialized to 'default' and the local active stack to 'default'." in result.output
    assert read_toml(project / ".stackyard" / "config.toml") == {
        "schema_version": 1,
        "active_profile_name": "default",
        "active_stack_name": "default",
    }

    result = ok("profile", "list")
    assert lines(result.stderr) == ["Running with active profile: 'default' (local)"]
    assert profiles(result.output) == [
        ["👉", "default", "local", "default"],
        ["", "zenml", "local", "custom"],
    ]

    result = ok("profile", "set", "zenml")
    assert lines(result.output) == [
        "Running with active profile: 'default' (local)",
        "Active profile changed to: 'zenml'",
    ]

    result = ok("stack", "list")
    assert lines(result.stderr) == ["Running with active profile: 'zenml' (local)"]
    assert table(result.output) == STACKS_CUSTOM_ACTIVE

    result = ok("stack", "set", "default")
    assert lines(result.output) == [
        "Running with active profile: 'zenml' (local)",
        "Active stack set to: 'default'",
    ]

    result = ok("stack", "list")
    assert lines(result.stderr) == ["Running with active profile: 'zenml' (local)"]
    assert table(result.output) == STACKS_DEFAULT_ACTIVE

    # The global settings are untouched.
    assert read_toml(config_dir / "config.toml") == global_before
    assert read_toml(config_dir / "profiles" / "zenml.toml") == zenml_before

    monkeypatch.chdir(isolated)  # cd ..
    result = ok("profile", "list")
    assert lines(result.stderr)[-2:] == [OUTSIDE, "Running with active profile: 'default' (global)"]
    assert profiles(result.output) == [
        ["👉", "default", "local", "default"],
        ["", "zenml", "local", "custom"],
    ]

    monkeypatch.chdir(project)  # cd zenml
    result = ok("stack", "list")
    assert lines(result.stderr) == ["Running with active profile: 'zenml' (local)"]
    assert table(result.output) == STACKS_DEFAULT_ACTIVE

    sub = project / "src" / "models"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)  # subfolders use the repository's settings too
    result = ok("stack", "list")
    assert lines(result.stderr) == ["Running with active profile: 'zenml' (local)"]
    assert table(result.output) == STACKS_DEFAULT_ACTIVE

    elsewhere = isolated / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # STACKYARD_REPOSITORY_PATH points at the repository from anywhere
    result = ok("stack", "list", env={"STACKYARD_REPOSITORY_PATH": str(project)})
    assert lines(result.stderr) == ["Running with active profile: 'zenml' (local)"]
    assert table(result.output) == STACKS_DEFAULT_ACTIVE
