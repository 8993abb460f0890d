"""The ``encrypted`` secrets manager: nothing readable on disk, the key from the environment, one clear line without it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stackyard.testing import SecretsManagerConformance
from stackyard_local.encrypted_secrets_manager import EncryptedSecretsManager, SecretsKeyError, generate_key

VALUE = "pä$$ wörd-7f3a9c"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_key()
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", value)
    return value


@pytest.fixture
def manager(tmp_path: Path, key: str) -> EncryptedSecretsManager:
    return EncryptedSecretsManager(name="vault", path=str(tmp_path / "vault" / "secrets.json"))


class TestEncryptedSecretsManager(SecretsManagerConformance):
    @pytest.fixture
    def secrets_manager(self, manager: EncryptedSecretsManager) -> EncryptedSecretsManager:
        return manager


def every_file_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_no_name_key_or_value_is_on_disk_in_plain_text(manager: EncryptedSecretsManager, tmp_path: Path) -> None:
    manager.register_secret("warehouse", {"password": VALUE})
    manager.update_secret("warehouse", {"password": VALUE, "user": "analyst"})
    on_disk = every_file_under(tmp_path)
    for plain in (VALUE, "warehouse", "password", "analyst"):
        assert plain.encode() not in on_disk and plain.encode("unicode_escape") not in on_disk
    assert manager.get_secret("warehouse") == {"password": VALUE, "user": "analyst"}


def test_a_copied_folder_is_unreadable_without_the_key(
    manager: EncryptedSecretsManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager.register_secret("db", {"password": VALUE})
    shutil.copytree(tmp_path / "vault", tmp_path / "copy")
    copy = EncryptedSecretsManager(name="copy", path=str(tmp_path / "copy" / "secrets.json"))
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", generate_key())
    with pytest.raises(SecretsKeyError) as wrong:
        copy.get_secret("db")
    assert str(wrong.value) == (
        f"Cannot decrypt the secrets of secrets manager 'copy' ({copy.path}): the key in STACKYARD_SECRETS_KEY "
        "is not the one they were encrypted with."
    )
    monkeypatch.delenv("STACKYARD_SECRETS_KEY")
    with pytest.raises(SecretsKeyError, match="^Secrets manager 'copy' needs its key: set STACKYARD_SECRETS_KEY"):
        copy.get_secret("db")
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", "not-a-key")
    with pytest.raises(SecretsKeyError, match="STACKYARD_SECRETS_KEY does not hold a Fernet key"):
        copy.register_secret("other", {"k": "v"})
    before = (tmp_path / "copy" / "secrets.json").read_bytes()
    assert (tmp_path / "vault" / "secrets.json").read_bytes() == before  # nothing changed


def test_key_rotation(manager: EncryptedSecretsManager, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    manager.register_secret("db", {"password": VALUE})
    new = generate_key()
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", f"{new},{key}")  # the new key first, the old one still reads
    assert manager.get_secret("db") == {"password": VALUE}
    manager.rotate_key()
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", new)  # the old key dropped
    assert manager.get_secret("db") == {"password": VALUE}
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", key)
    with pytest.raises(SecretsKeyError):
        manager.get_secret("db")


def test_the_cli_says_one_line_without_the_key(stackyard_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STACKYARD_SECRETS_KEY", raising=False)
    path = tmp_path / "encrypted.json"
    assert stackyard_cli("secrets-manager", "register", "vault", "--flavor", "encrypted", f"--path={path}").exit_code == 0
    assert stackyard_cli("stack", "update", "default", "-x", "vault").exit_code == 0
    result = stackyard_cli("secret", "register", "db", f"--password={VALUE}")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith(
        "Error: Secrets manager 'vault' needs its key: set STACKYARD_SECRETS_KEY (no OS keyring was found)"
    )
    assert not path.exists()
    monkeypatch.setenv("STACKYARD_SECRETS_KEY", generate_key())
    assert stackyard_cli("secret", "register", "db", f"--password={VALUE}").exit_code == 0
    assert VALUE.encode() not in path.read_bytes()


def test_importing_the_flavor_does_not_import_cryptography() -> None:
    code = ("import sys, stackyard_local.plugin as p; p.stackyard_secrets_manager_flavors(); "
            "print('cryptography' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_without_the_variable_the_key_lives_in_the_os_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a keyring backend (here keyring's API on an in-memory store), a key is made there on first use."""
    import os

    if os.environ.get("STACKYARD_REQUIRE_KEYRING") == "1":
        import keyring
    else:
        keyring = pytest.importorskip("keyring", reason="the optional keyring package is not installed")
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    monkeypatch.delenv("STACKYARD_SECRETS_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        manager = EncryptedSecretsManager(name="vault", path=str(tmp_path / "secrets.json"))
        manager.register_secret("db", {"password": VALUE})
        assert list(MemoryKeyring.store) == [("stackyard", f"secrets-manager-{manager.uuid}")]
        again = EncryptedSecretsManager(name="vault", path=manager.path, uuid=manager.uuid)
        assert again.get_secret("db") == {"password": VALUE}
        assert VALUE.encode() not in (tmp_path / "secrets.json").read_bytes()
        other = EncryptedSecretsManager(name="other", path=manager.path)  # another manager's key: not this one
        with pytest.raises(SecretsKeyError, match="needs its key"):
            other.get_secret("db")
    finally:
        keyring.set_keyring(previous)
