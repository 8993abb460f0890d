"""The ``encrypted`` secrets manager: the local secrets file, encrypted at rest with Fernet.

The whole file — secret names, keys and values — is one Fernet token
(AES-128-CBC with an HMAC-SHA256), so a copied config folder leaks nothing
without the key. The key is never stored beside the file: it comes from an
environment variable (``STACKYARD_SECRETS_KEY`` unless ``key_env`` names
another), else from the OS keyring if the optional ``keyring`` package finds
one (a key is made and kept there on first use). Headless machines usually
have no keyring: set the variable there.

The variable may hold several keys separated by commas: the first encrypts,
every one decrypts. To rotate, put the new key first and the old one after
it, call :meth:`EncryptedSecretsManager.rotate_key` (every secret is
re-encrypted with the new key), then drop the old key.

Needs ``pip install 'stackyard-local[encrypted]'`` (``cryptography``), which
is imported only when secrets are read or written.
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

from stackyard.exceptions import StackyardError
from stackyard_local.secrets_manager import LocalSecretsManager

DEFAULT_KEY_ENV = "STACKYARD_SECRETS_KEY"
FORMAT = "fernet"
KEYRING_SERVICE = "stackyard"


class SecretsKeyError(StackyardError):
    """The key of an encrypted secrets manager is missing, malformed or not the one its file was encrypted with."""


def generate_key() -> str:
    """A new random Fernet key, as text to put in ``STACKYARD_SECRETS_KEY``."""
    return _fernet_module().Fernet.generate_key().decode("ascii")


def _fernet_module() -> Any:
    try:
        from cryptography import fernet
    except ImportError:
        raise StackyardError(
            "The encrypted secrets manager needs the cryptography package: pip install 'stackyard-local[encrypted]'"
        ) from None
    return fernet


class EncryptedSecretsManager(LocalSecretsManager):
    """Keeps secrets in a file on this machine, encrypted with a key from the environment or the OS keyring."""

    FLAVOR: ClassVar[str] = "encrypted"

    key_env: str = DEFAULT_KEY_ENV
    """Environment variable holding the key (several, comma-separated, while rotating: the first encrypts)."""

    # -- the key -------------------------------------------------------------------------

    def _make_key_hint(self) -> str:
        return (f"python -c \"from stackyard_local.encrypted_secrets_manager import generate_key; "
                f"print(generate_key())\"")

    def _keys(self, *, create: bool) -> list[str]:
        """The keys, first the one that encrypts; a key is made in the keyring if ``create`` and none exists."""
        text = os.environ.get(self.key_env, "").strip()
        if text:
            return [k.strip() for k in text.split(",") if k.strip()]
        stored = self._keyring_key(create=create)
        if stored:
            return [stored]
        raise SecretsKeyError(
            f"Secrets manager '{self.name}' needs its key: set {self.key_env} (no OS keyring was found); "
            f"make a key with: {self._make_key_hint()}",
            variable=self.key_env,
        )

    def _keyring_key(self, *, create: bool) -> str | None:
        """This manager's key in the OS keyring, if the ``keyring`` package finds a usable one."""
        try:
            import keyring
            from keyring.backends import fail
        except ImportError:
            return None
        try:
            if isinstance(keyring.get_keyring(), fail.Keyring):
                return None
            user = f"secrets-manager-{self.uuid}"
            key = keyring.get_password(KEYRING_SERVICE, user)
            if key is None and create:
                key = generate_key()
                keyring.set_password(KEYRING_SERVICE, user, key)
            return key
        except Exception:  # noqa: BLE001 - a keyring that fails is no keyring
            return None

    def _fernet(self, *, create: bool = False) -> Any:
        fernet = _fernet_module()
        keys = self._keys(create=create)
        try:
            return fernet.MultiFernet([fernet.Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, UnicodeError):
            raise SecretsKeyError(
                f"{self.key_env} does not hold a Fernet key (32 url-safe base64-encoded bytes); make one with: "
                f"{self._make_key_hint()}",
                variable=self.key_env,
            ) from None

    # -- the file: one token ---------------------------------------------------------------

    def _read(self) -> dict[str, dict[str, str]]:
        envelope: dict[str, Any] = super()._read()
        if not envelope:
            return {}
        if envelope.get("format") != FORMAT or not isinstance(envelope.get("data"), str):
            raise SecretsKeyError(f"The secrets file {self.path} of secrets manager '{self.name}' is not an "
                                  "encrypted secrets file; it was left untouched.")
        fernet = _fernet_module()
        try:
            plain = self._fernet().decrypt(envelope["data"].encode("ascii"))
        except fernet.InvalidToken:
            raise SecretsKeyError(
                f"Cannot decrypt the secrets of secrets manager '{self.name}' ({self.path}): the key in "
                f"{self.key_env} is not the one they were encrypted with.",
                variable=self.key_env,
            ) from None
        return dict(json.loads(plain))

    def _write(self, secrets: dict[str, dict[str, str]]) -> None:
        token = self._fernet(create=True).encrypt(json.dumps(secrets, sort_keys=True).encode("utf-8"))
        super()._write({"format": FORMAT, "data": token.decode("ascii")})  # type: ignore[dict-item]

    def rotate_key(self) -> None:
        """Re-encrypt every secret with the first key (after putting a new key first in ``key_env``)."""
        with self._locked():
            self._write(self._read())
