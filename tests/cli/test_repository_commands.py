"""``stackyard init [PATH]`` and ``stackyard clean``."""

from __future__ import annotations

from pathlib import Path

from stackyard.files import read_toml


def test_init_pins_the_current_profile_and_stack(ok, isolated: Path) -> None:
    ok("profile", "create", "team")
    ok("profile", "set", "team")
    result = ok("init")
    assert result.stdout.splitlines()[0] == f"Stackyard repository initialized at {isolated}."
    assert "The local active profile was initialized to 'team' and the local active stack to 'default'." in result.stdout
    config = read_toml(isolated / ".stackyard" / "config.toml")
    assert (config["active_profile_name"], config["active_stack_name"]) == ("team", "default")
    assert ok("stack", "list").stderr == "Running with active profile: 'team' (local)\n"


def test_init_a_path(ok, isolated: Path) -> None:
    target = isolated / "projects" / "new"
    result = ok("init", str(target))
    assert f"Stackyard repository initialized at {target}." in result.stdout
    assert (target / ".stackyard" / "config.toml").is_file()
    assert not (isolated / ".stackyard").exists()


def test_init_refuses_to_reinitialize_and_says_where(ok, fails, isolated: Path) -> None:
    ok("init")
    result = fails("init")
    assert f"Error: A Stackyard repository already exists at {isolated}" in result.stderr
    sub = isolated / "sub"
    sub.mkdir()
    result = ok("init", str(sub))  # a nested project is allowed, with a warning
    assert f"inside the one at {isolated}" in result.stderr
    assert (sub / ".stackyard" / "config.toml").is_file()


def test_clean_asks_then_removes_the_repository(ok, run, fails, isolated: Path, config_dir: Path) -> None:
    ok("init")
    result = run("clean", input="n\n")
    assert result.exit_code == 1
    assert f"Remove the Stackyard repository at {isolated} (its .stackyard folder)? [y/N]: n" in result.output
    assert (isolated / ".stackyard").is_dir()
    result = ok("clean", input="y\n")
    assert result.output.endswith(f"Removed the Stackyard repository at {isolated}.\n")
    assert not (isolated / ".stackyard").exists()
    assert (config_dir / "profiles" / "default.toml").is_file()  # profiles and stacks stay
    assert "No Stackyard repository in the current folder" in fails("clean", "--yes").stderr


def test_clean_from_a_subfolder(ok, isolated: Path, monkeypatch) -> None:
    ok("init")
    sub = isolated / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    ok("clean", "--yes")
    assert not (isolated / ".stackyard").exists()


def test_an_empty_repository_config_is_an_error_not_the_defaults(ok, fails, isolated: Path) -> None:
    ok("init")
    config = isolated / ".stackyard" / "config.toml"
    for content in ("", "  \n\t\n"):
        config.write_text(content)
        result = fails("stack", "list")
        assert result.stderr.splitlines()[-1] == (
            f"Error: Cannot read configuration file {config}: the file is empty; write "
            'active_profile_name = "NAME" and active_stack_name = "NAME" into it, or delete it and run '
            "stackyard init to pin the settings in force"
        )
        assert config.read_text() == content  # nothing rewritten


def test_an_empty_global_config_is_an_error_not_the_defaults(ok, fails, config_dir: Path) -> None:
    ok("profile", "create", "team")
    ok("profile", "set", "team")
    config = config_dir / "config.toml"
    for content in ("", "\n  \n"):
        config.write_text(content)
        for command in (("stack", "list"), ("profile", "set", "default")):
            result = fails(*command)
            assert result.stderr.splitlines()[-1] == (
                f"Error: Cannot read configuration file {config}: the file is empty; write "
                'active_profile_name = "default" into it, or delete it to start over with the default profile'
            )
        assert config.read_text() == content
