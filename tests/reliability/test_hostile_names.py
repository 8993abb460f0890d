"""A cloned project cannot make Stackyard run its code or write outside the config dir.

Each test builds the hostile folder an attacker could ship in a repository,
runs the real ``stackyard`` command in it, and checks that nothing shipped was
imported, nothing outside the config dir changed, and the user got one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MARKER = "IMPORTED-FROM-CLONE"


def stackyard(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("stackyard")), *args],  # the console script, as users run it
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A repository whose config names a profile file shipped in the clone, with a custom flavor module."""
    root = tmp_path / "clone"
    (root / ".stackyard").mkdir(parents=True)
    (root / "evil.py").write_text(
        f"import pathlib\npathlib.Path(__file__).with_name('{MARKER}').write_text('ran')\n"
        "from stackyard_local import SQLiteMetadataStore\n"
        "class Evil(SQLiteMetadataStore):\n    FLAVOR = 'evil'\n"
    )
    store = root / "shipped" / "store"
    (store / "flavors" / "metadata_store").mkdir(parents=True)
    (store / "flavors" / "metadata_store" / "evil.toml").write_text('name = "evil"\nsource = "evil.Evil"\n')
    (root / "shipped" / "profile.toml").write_text(
        f'name = "x"\nstore_type = "local"\nurl = "{store.as_uri()}"\nactive_stack_name = "default"\n'
    )
    return root


@pytest.mark.parametrize("hostile", ["ABSOLUTE", "../../clone/shipped/profile", "..", "a/b"])
@pytest.mark.parametrize(
    "command",
    [("pipeline", "runs"), ("pipeline", "list"), ("metadata-store", "flavor", "list"), ("stack", "set", "default", "--global")],
)
def test_a_repository_cannot_name_a_profile_outside_the_config_dir(
    clone: Path, config_dir: Path, hostile: str, command: tuple[str, ...]
) -> None:
    name = str(clone / "shipped" / "profile") if hostile == "ABSOLUTE" else hostile
    config = clone / ".stackyard" / "config.toml"
    config.write_text(f'active_profile_name = "{name}"\nactive_stack_name = "default"\n')
    before = files_under(clone)
    result = stackyard(*command, cwd=clone)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not (clone / MARKER).exists()
    assert files_under(clone) == before
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"Error: Cannot read configuration file {config}: active_profile_name:"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_repository_cannot_name_a_stack_outside_the_store(clone: Path, config_dir: Path) -> None:
    stackyard("stack", "list", cwd=clone.parent)  # creates the default profile
    outside = config_dir / "profiles" / "default" / "escaped.toml"
    outside.write_text('name = "escaped"\n[components]\norchestrator = "default"\n')
    (clone / ".stackyard" / "config.toml").write_text('active_profile_name = "default"\nactive_stack_name = "../escaped"\n')
    result = stackyard("stack", "describe", cwd=clone)
    assert result.returncode == 1
    assert "active_stack_name" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("variable", ["STACKYARD_PROFILE", "STACKYARD_STACK"])
def test_environment_names_are_checked_too(clone: Path, config_dir: Path, variable: str) -> None:
    result = stackyard("stack", "describe", cwd=clone.parent, env={variable: str(clone / "shipped" / "profile")})
    assert result.returncode == 1
    assert f"Error: {variable}: Invalid" in result.stderr and "Traceback" not in result.stderr
    assert not (clone / MARKER).exists()


def test_profile_delete_cannot_reach_outside_the_config_dir(tmp_path: Path, config_dir: Path) -> None:
    victim = tmp_path / "somewhere"
    (victim / "x").mkdir(parents=True)
    (victim / "x.toml").write_text("keep = true\n")
    (victim / "x" / "data.txt").write_text("keep")
    work = tmp_path / "work"
    relative = os.path.relpath(victim / "x", config_dir / "profiles")
    for name in (relative, str(victim / "x")):
        result = stackyard("profile", "delete", name, cwd=work)
        assert result.returncode == 1, result.stderr
        assert "Invalid profile name" in result.stderr and "Traceback" not in result.stderr
    assert (victim / "x.toml").read_text() == "keep = true\n"
    assert (victim / "x" / "data.txt").read_text() == "keep"


@pytest.mark.parametrize(
    "args",
    [
        ("stack", "describe", "../x"),
        ("stack", "delete", "/etc/passwd", "-y"),
        ("artifact-store", "describe", "../../x"),
        ("artifact-store", "delete", "../../../config"),
        ("profile", "set", "../profiles/default"),
        ("stack", "rename", "default", "../../outside"),
    ],
)
def test_hostile_names_in_arguments_are_refused_before_any_path_is_built(
    tmp_path: Path, config_dir: Path, args: tuple[str, ...]
) -> None:
    work = tmp_path / "work"
    stackyard("stack", "list", cwd=work)
    before = files_under(tmp_path)
    result = stackyard(*args, cwd=work)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert "Invalid" in result.stderr and "name" in result.stderr
    assert {k: v for k, v in files_under(tmp_path).items() if ".index" not in k} == {
        k: v for k, v in before.items() if ".index" not in k
    }


def test_a_custom_flavor_imports_only_from_the_folder_it_was_registered_from(tmp_path: Path, config_dir: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "my_stores.py").write_text(
        "from stackyard_local import LocalArtifactStore\n"
        "class Mine(LocalArtifactStore):\n    FLAVOR = 'mine'\n"
    )
    assert stackyard("init", cwd=project).returncode == 0
    registered = stackyard("artifact-store", "flavor", "register", "my_stores.Mine", cwd=project)
    assert registered.returncode == 0, registered.stderr
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "my_stores.py").write_text(
        f"import pathlib\npathlib.Path(__file__).with_name('{MARKER}').write_text('ran')\n"
        "from stackyard_local import LocalArtifactStore\n"
        "class Mine(LocalArtifactStore):\n    FLAVOR = 'mine'\n"
    )
    listed = stackyard("artifact-store", "flavor", "list", cwd=clone)
    assert listed.returncode == 0, listed.stderr
    assert "mine" in listed.stdout
    assert not (clone / MARKER).exists()
