"""A secrets manager keeping secrets in a file readable only by the current user.

Every change rewrites the file through a temporary file in the same folder,
created readable only by the user (mode 0600). A process killed mid-write
can leave one behind, holding every secret as they were then; the next use
of the secrets manager deletes such files under the folder's lock (no write
is in progress while it is held), so a deleted secret survives nowhere.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from stackyard.exceptions import SecretExistsError, SecretNotFoundError
from stackyard.files import is_temp_file, locked, remove_temp_files, write_text_atomic
from stackyard.names import validate_name
from stackyard.secrets_managers import BaseSecretsManager


class LocalSecretsManager(BaseSecretsManager):
    """Keeps secrets in a JSON file on this machine (mode 0600); for development, not production."""

    FLAVOR: ClassVar[str] = "local"
    IS_LOCAL: ClassVar[bool] = True  # on this machine's disk: remote workers cannot reach it

    path: str
    """The JSON file holding the secrets (created with mode 0600)."""

    @classmethod
    def create_default(cls, name: str, local_stores_path: str) -> LocalSecretsManager:
        from uuid import uuid4

        uuid = uuid4()
        return cls(name=name, uuid=uuid, path=str(Path(local_stores_path) / str(uuid) / "secrets.json"))

    def _read(self) -> dict[str, dict[str, str]]:
        path = Path(self.path)
        if self._leftovers(path):
            with self._locked():  # deletes them
                pass
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)  # type: ignore[no-any-return]
        except FileNotFoundError:
            return {}

    @staticmethod
    def _leftovers(path: Path) -> bool:
        try:
            return any(is_temp_file(name, path.name) for name in os.listdir(path.parent))
        except FileNotFoundError:
            return False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The secrets file's lock; temporary files of killed writes are deleted on taking it."""
        path = Path(self.path)
        folder = path.parent
        if not folder.is_dir():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(folder):
            remove_temp_files(folder, keep=lambda name: not is_temp_file(name, path.name))
            yield

    def _write(self, secrets: dict[str, dict[str, str]]) -> None:
        # the temporary file is created with mode 0600 (tempfile.mkstemp), so the file is too
        write_text_atomic(Path(self.path), json.dumps(secrets, indent=2, sort_keys=True))
        os.chmod(self.path, 0o600)

    def _missing(self, name: str) -> SecretNotFoundError:
        return SecretNotFoundError(f"No secret named '{name}' in secrets manager '{self.name}'.")

    def register_secret(self, name: str, values: Mapping[str, str]) -> None:
        validate_name("secret", name)
        with self._locked():
            secrets = self._read()
            if name in secrets:
                raise SecretExistsError(f"A secret named '{name}' already exists in '{self.name}'.")
            secrets[name] = {str(k): str(v) for k, v in values.items()}
            self._write(secrets)

    def get_secret(self, name: str) -> dict[str, str]:
        secrets = self._read()
        if name not in secrets:
            raise self._missing(name)
        return dict(secrets[name])

    def get_all_secret_keys(self) -> list[str]:
        return sorted(self._read())

    def update_secret(self, name: str, values: Mapping[str, str]) -> None:
        with self._locked():
            secrets = self._read()
            if name not in secrets:
                raise self._missing(name)
            secrets[name] = {str(k): str(v) for k, v in values.items()}
            self._write(secrets)

    def delete_secret(self, name: str) -> None:
        with self._locked():
            secrets = self._read()
            if secrets.pop(name, None) is None:
                raise self._missing(name)
            self._write(secrets)
