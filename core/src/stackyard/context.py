"""Where the active profile and stack come from: environment, then repository, then global settings.

A repository is a folder with ``.stackyard/config.toml`` naming an active
profile and stack for the project; it is found from the working directory
upwards, or at ``STACKYARD_REPOSITORY_PATH``. ``STACKYARD_PROFILE`` and
``STACKYARD_STACK`` override it for one process. Every name read from these
sources is validated before it is used, because names become file paths.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackyard.enums import ProfileSource
from stackyard.exceptions import (
    ConfigFileError,
    InUseError,
    InvalidNameError,
    ProfileNotFoundError,
    RepositoryExistsError,
    StackNotFoundError,
    StackyardError,
)
from stackyard.files import is_temp_file, locked, read_settings, remove_temp_files, write_toml
from stackyard.names import validate_name

if TYPE_CHECKING:
    from stackyard.profiles import GlobalConfig, Profile
    from stackyard.store import LocalStore

logger = logging.getLogger("stackyard")

REPOSITORY_DIR = ".stackyard"
REPOSITORY_PATH_ENV = "STACKYARD_REPOSITORY_PATH"
PROFILE_ENV = "STACKYARD_PROFILE"
STACK_ENV = "STACKYARD_STACK"
_LOCAL_KEYS = {"active_profile_name": "profile", "active_stack_name": "stack"}
_EMPTY_FIX = (
    'write active_profile_name = "NAME" and active_stack_name = "NAME" into it, '
    "or delete it and run stackyard init to pin the settings in force"
)
_swept: set[str] = set()  # repository folders whose temporary files this process has deleted


def repository_config_file(root: Path) -> Path:
    """The settings file of the repository at ``root``."""
    return root / REPOSITORY_DIR / "config.toml"


def find_repository(path: str | Path | None = None) -> Path | None:
    """The repository root at or above ``path`` (default: ``STACKYARD_REPOSITORY_PATH`` or the cwd)."""
    if path is None:
        env = os.environ.get(REPOSITORY_PATH_ENV)
        if env:
            candidate = Path(env).expanduser().resolve()
            return candidate if repository_config_file(candidate).is_file() else None
        path = Path.cwd()
    current = Path(path).expanduser().resolve()
    for folder in (current, *current.parents):
        if repository_config_file(folder).is_file():
            return folder
    return None


def read_repository_config(root: Path) -> dict[str, Any]:
    """A repository's settings, each active name checked to be a name (a clone may hold anything)."""
    path = repository_config_file(root)
    data = read_settings(path, _EMPTY_FIX)
    for key, kind in _LOCAL_KEYS.items():
        value = data.get(key)
        if value is None:
            continue
        try:
            validate_name(kind, value)
        except InvalidNameError as exc:
            raise ConfigFileError(path, f"{key}: {exc}") from None
    return data


def _env_name(variable: str, kind: str) -> str | None:
    value = os.environ.get(variable)
    if not value:
        return None
    try:
        return validate_name(kind, value)
    except InvalidNameError as exc:
        raise InvalidNameError(f"{variable}: {exc}") from None


class Context:
    """The active profile and stack as chosen by the environment, a repository or the global settings."""

    def __init__(self, root: Path | None, global_config: GlobalConfig) -> None:
        self.root = root
        self.global_config = global_config
        self.local: dict[str, Any] = read_repository_config(root) if root else {}

    # -- profile ----------------------------------------------------------

    @property
    def profile_source(self) -> ProfileSource:
        """Which source chose the active profile."""
        if os.environ.get(PROFILE_ENV):
            return ProfileSource.ENVIRONMENT
        if self.root and self.local.get("active_profile_name"):
            return ProfileSource.LOCAL
        return ProfileSource.GLOBAL

    @property
    def profile_name(self) -> str:
        """Name of the active profile."""
        source = self.profile_source
        if source is ProfileSource.ENVIRONMENT:
            return _env_name(PROFILE_ENV, "profile") or ""
        if source is ProfileSource.LOCAL:
            return str(self.local["active_profile_name"])
        return self.global_config.active_profile_name

    @property
    def profile(self) -> Profile:
        """The active profile; an error says which source named a missing one."""
        name = self.profile_name
        try:
            return self.global_config.get_profile(name)
        except ProfileNotFoundError as exc:
            source = self.profile_source
            if source is ProfileSource.GLOBAL:
                raise
            where = f"{PROFILE_ENV} names" if source is ProfileSource.ENVIRONMENT else f"The repository at {self.root} uses"
            raise ProfileNotFoundError(
                f"{where} the profile '{name}', which does not exist: {exc} "
                "Create it (stackyard profile create) or choose another (stackyard profile set)."
            ) from None

    # -- stack --------------------------------------------------------------

    def stack_name(self, store: LocalStore) -> str:
        """Name of the active stack (:class:`StackNotFoundError` naming where a vanished one was chosen)."""
        try:
            return self._stack_name(store)
        except StackNotFoundError:
            # Maybe a rename in another process moved it between our two reads:
            # once it has finished (it holds the lock), read the choice again.
            with store.lock():
                self.reload()
                return self._stack_name(store)

    def _stack_name(self, store: LocalStore) -> str:
        env = _env_name(STACK_ENV, "stack")
        if env:
            return self._existing(store, env, f"{STACK_ENV} names", "unset it or name an existing stack")
        if self.profile_source is ProfileSource.LOCAL and self.local.get("active_stack_name"):
            return self._existing(
                store,
                str(self.local["active_stack_name"]),
                f"The repository at {self.root} uses",
                "activate another one there (stackyard stack set NAME)",
            )
        profile = self.profile
        if not profile.active_stack_name:
            raise StackyardError(f"Profile '{profile.name}' has no active stack; set one with stackyard stack set NAME.")
        return self._existing(
            store,
            profile.active_stack_name,
            f"Profile '{profile.name}' has as active",
            "activate another one globally (stackyard stack set NAME)",
        )

    def _existing(self, store: LocalStore, name: str, where: str, fix: str) -> str:
        if not store.has_stack(name):
            from stackyard.store import not_found_hint

            hint = not_found_hint(name, store.stack_names())
            raise StackNotFoundError(
                f"{where} the stack '{name}', which does not exist in profile '{self.profile_name}'; {fix}.{hint}"
            )
        return name

    def stack_in_use(self, name: str) -> InUseError | None:
        """The error to raise if stack ``name`` is active in the environment, this repository or its profile."""
        profile = self.profile
        if os.environ.get(STACK_ENV) == name:
            where, fix, scope = f"through {STACK_ENV}", "unset it first", "environment"
        elif self._local_stack(profile.name) == name:
            where, fix, scope = f"in the repository at {self.root}", "activate another one there", "repository"
        elif profile.active_stack_name == name:
            where, fix, scope = f"globally in profile '{profile.name}'", "activate another one", "global"
        else:
            return None
        return InUseError(
            f"Stack '{name}' is active {where} and cannot be deleted; {fix}.",
            kind="stack",
            name=name,
            scope=scope,
            repository=self.root,
        )

    def _local_stack(self, profile_name: str) -> str | None:
        if self.root and self.local.get("active_profile_name") == profile_name:
            value = self.local.get("active_stack_name")
            return str(value) if value else None
        return None

    # -- changing the choice -----------------------------------------------

    def write_local(self, **values: str) -> None:
        """Change the repository's settings."""
        assert self.root is not None
        folder = self.root / REPOSITORY_DIR
        with locked(folder):
            if str(folder) not in _swept:  # once per process: temporary files of killed writes
                remove_temp_files(folder, keep=lambda name: not is_temp_file(name, "config.toml"))
                _swept.add(str(folder))
            data = dict(read_repository_config(self.root))
            data.pop("schema_version", None)
            data.update(values)
            write_toml(repository_config_file(self.root), data)
            self.local = data

    def activate_profile(self, profile: Profile, *, globally: bool) -> None:
        """Activate a profile in the repository (if inside one and not ``globally``), else globally."""
        if self.root and not globally:
            self.write_local(active_profile_name=profile.name, active_stack_name=profile.active_stack_name or "default")
        else:
            self.global_config.set_active_profile(profile.name)

    def activate_stack(self, name: str, *, globally: bool) -> None:
        """Activate a stack where the profile was chosen: the repository (unless ``globally``) or the profile."""
        if self.profile_source is ProfileSource.LOCAL and not globally:
            self.write_local(active_stack_name=name)
            return
        profile = self.profile
        profile.active_stack_name = name
        self.global_config.save_profile(profile)

    def reload(self) -> None:
        """Read the repository's settings again (another process may have changed them)."""
        if self.root:
            self.local = read_repository_config(self.root)

    def active_settings_naming(self, stack: str) -> list[tuple[Path, Path, str | None]]:
        """The settings files naming ``stack`` active in the active profile, as ``(file, lock folder, profile)``.

        The profile's own file, and this repository's if it chooses that
        profile; a stack rename moves them with it.
        """
        profile = self.profile
        found: list[tuple[Path, Path, str | None]] = []
        if profile.active_stack_name == stack:
            found.append((self.global_config.profile_file(profile.name), self.global_config.path, None))
        self.reload()
        if self.root and self._local_stack(profile.name) == stack:
            found.append((repository_config_file(self.root), self.root / REPOSITORY_DIR, profile.name))
        return found

    def check_profile_deletable(self, name: str) -> None:
        """Refuse to delete a profile active in this repository or through the environment."""
        if self.root and self.local.get("active_profile_name") == name:
            raise InUseError(
                f"Profile '{name}' is active in the repository at {self.root}; activate "
                "another one there first (stackyard profile set OTHER).",
                kind="profile",
                name=name,
                scope="repository",
            )
        if os.environ.get(PROFILE_ENV) == name:
            raise InUseError(
                f"Profile '{name}' is active through {PROFILE_ENV}; unset it first.",
                kind="profile",
                name=name,
                scope="environment",
            )


def initialize_repository(target: Path, global_config: GlobalConfig) -> None:
    """Make ``target`` a repository pinned to the profile and stack in force there."""
    if repository_config_file(target).is_file():
        raise RepositoryExistsError(
            f"A Stackyard repository already exists at {target}; "
            "remove its .stackyard folder to start over (stackyard clean)."
        )
    outer = find_repository(target)
    if outer is not None:
        logger.warning(
            "Creating a repository inside the one at %s; in %s and below the new one's settings apply.", outer, target
        )
    outside = Context(outer, global_config)  # the settings in force here
    profile = outside.profile
    stack = outside.stack_name(profile.store())
    target.mkdir(parents=True, exist_ok=True)
    write_toml(repository_config_file(target), {"active_profile_name": profile.name, "active_stack_name": stack})
