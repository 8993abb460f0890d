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
