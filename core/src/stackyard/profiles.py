"""The global configuration: where it lives, the profiles it holds, the active one.

Layout of the global config directory (``STACKYARD_CONFIG_PATH``, else the
platform's user config dir)::

    config.toml                 active_profile_name
    profiles/<name>.toml        store_type, url, active_stack_name
    profiles/<name>/            the profile's local store (default location)
    local_stores/<uuid>/        data of local components (artifacts, metadata)
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any
from pathlib import Path
from urllib.parse import unquote, urlparse

from stackyard.exceptions import (
    InUseError,
    InvalidNameError,
    ProfileExistsError,
    ProfileNotFoundError,
    StackyardError,
)
from stackyard.files import (
    is_temp_file,
    locked,
    read_settings,
    read_toml,
    remove_file,
    remove_temp_files,
    write_toml,
)
from stackyard.names import validate_name

logger = logging.getLogger("stackyard")

CONFIG_PATH_ENV = "STACKYARD_CONFIG_PATH"
DEFAULT_NAME = "default"
STORE_TYPES = ("local",)
_EMPTY_FIX = 'write active_profile_name = "default" into it, or delete it to start over with the default profile'
_DELETING = ".deleting.toml"  # marks a profile's store folder whose deletion has begun
_swept: set[str] = set()  # config folders whose temporary files this process has deleted


def config_dir() -> Path:
    """The global config directory."""
    env = os.environ.get(CONFIG_PATH_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_config_dir("stackyard", appauthor=False))


def path_to_url(path: Path) -> str:
    """``file://`` URL of a local folder."""
    return Path(path).resolve().as_uri()


def url_to_path(url: str) -> Path:
    """Local folder of a ``file://`` URL (plain paths are accepted too)."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path if parsed.scheme else url)).expanduser()
    raise StackyardError(f"The local store needs a file:// URL or a folder, not '{url}'.")


class Profile:
    """A named, isolated set of stacks, components and custom flavors."""

    __slots__ = ("name", "store_type", "url", "active_stack_name")

    def __init__(self, name: str, store_type: str, url: str, active_stack_name: str | None) -> None:
        self.name = name
        self.store_type = store_type
        self.url = url
        self.active_stack_name = active_stack_name

    @property
    def store_path(self) -> Path:
        """Folder of the profile's local store."""
        return url_to_path(self.url)

    def store(self):  # -> LocalStore, imported lazily
        """The profile's store."""
        from stackyard.store import LocalStore

        return LocalStore(self.store_path)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {
            "name": self.name,
            "store_type": self.store_type,
            "url": self.url,
            "active_stack_name": self.active_stack_name,
        }

    def __repr__(self) -> str:
        return f"Profile({self.name!r}, store_type={self.store_type!r}, url={self.url!r})"


class GlobalConfig:
    """Reads and writes the global configuration; creates the default profile on first use."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else config_dir()
        self._data: dict[str, object] | None = None
        self._profiles: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}

    @property
    def config_file(self) -> Path:
        return self.path / "config.toml"

    @property
    def local_stores_path(self) -> Path:
        """Where local components keep their data by default."""
        return self.path / "local_stores"

    def profile_file(self, name: str) -> Path:
        """The settings file of profile ``name``; the name is checked first, since it becomes a path."""
        validate_name("profile", name)
        return self.path / "profiles" / f"{name}.toml"

    def _read(self) -> dict[str, object]:
        if self._data is None:
            if not self.config_file.is_file():
                self.initialize()
            self._data = read_settings(self.config_file, _EMPTY_FIX)
        return self._data

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """The global config's lock; the first time in a process, killed writes' temporary files go."""
        with locked(self.path):
            key = str(self.path)
            if key not in _swept:
                remove_temp_files(self.path, keep=lambda name: not is_temp_file(name, "config.toml"))
                remove_temp_files(self.path / "profiles")
                self._remove_deleted_stores()
                _swept.add(key)
            yield

    def initialize(self) -> None:
        """Create the config directory with the ``default`` profile, once."""
        with self._lock():
            if self.config_file.is_file():
                return
            logger.info("Creating default profile...")
            if not self.profile_file(DEFAULT_NAME).is_file():
                self._create_profile(DEFAULT_NAME, "local", None)
            write_toml(self.config_file, {"active_profile_name": DEFAULT_NAME})
            logger.info("Created and activated default profile.")

    # -- active profile -------------------------------------------------

    @property
    def active_profile_name(self) -> str:
        """The globally active profile."""
        name = self._read().get("active_profile_name", DEFAULT_NAME)
        if not isinstance(name, str):
            return DEFAULT_NAME
        try:
            return validate_name("profile", name)
        except InvalidNameError as exc:
            from stackyard.exceptions import ConfigFileError

            raise ConfigFileError(self.config_file, f"active_profile_name: {exc}") from None

    def set_active_profile(self, name: str) -> None:
        """Make ``name`` the globally active profile."""
        self.get_profile(name)
        with self._lock():
            data = dict(read_toml(self.config_file))
            data.pop("schema_version", None)
            data["active_profile_name"] = name
            write_toml(self.config_file, data)
            self._data = None

    # -- profiles -------------------------------------------------------

    def profile_names(self) -> list[str]:
        """Names of all profiles, sorted."""
        self._read()
        folder = self.path / "profiles"
        return sorted(
            e[:-5] for e in os.listdir(folder) if e.endswith(".toml") and not e.startswith(".")
        ) if folder.is_dir() else []

    def get_profile(self, name: str) -> Profile:
        """The profile ``name`` (:class:`ProfileNotFoundError` if missing)."""
        self._read()
        path = self.profile_file(name)
        try:
            data = self._profile_data(path)
        except FileNotFoundError:
            from stackyard.store import not_found_hint

            hint = not_found_hint(name, self.profile_names())
            raise ProfileNotFoundError(f"No profile named '{name}'.{hint}") from None
        url = data.get("url")
        if not isinstance(url, str):
            from stackyard.exceptions import ConfigFileError

            raise ConfigFileError(path, "missing 'url' of the profile's store")
        active = data.get("active_stack_name")
        profile = Profile(name, str(data.get("store_type", "local")), url, active if isinstance(active, str) else None)
        from stackyard.journal import pending

        if pending(profile.store_path):  # a change killed mid-way may move this profile's active stack
            profile.store()  # opening the store finishes it
            return self.get_profile(name)
        return profile

    def _profile_data(self, path: Path) -> dict[str, Any]:
        """A profile file's content, parsed again only when the file changed (every write renames a new
        file into place, so its inode, size or modification time differs): one command asks for the
        active profile several times."""
        info = os.stat(path)
        identity = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._profiles.get(path)
        if cached is not None and cached[0] == identity:
            return cached[1]
        data = read_toml(path)
        self._profiles[path] = (identity, data)
        return data

    def profiles(self) -> list[Profile]:
        """All profiles, sorted by name."""
        return [self.get_profile(n) for n in self.profile_names()]

    def create_profile(self, name: str, store_type: str = "local", url: str | None = None) -> Profile:
        """Create a profile with its own store and a ``default`` stack."""
        validate_name("profile", name)
        self._read()
        with self._lock():
            if self.profile_file(name).is_file():
                raise ProfileExistsError(f"A profile named '{name}' already exists.")
            from stackyard.store import case_twin

            twin = case_twin(name, self.profile_names())
            if twin:
                raise ProfileExistsError(
                    f"A profile named '{twin}' already exists; names differing only in case are not allowed."
                )
            return self._create_profile(name, store_type, url)

    def _create_profile(self, name: str, store_type: str, url: str | None) -> Profile:
        if store_type not in STORE_TYPES:
            raise StackyardError(
                f"Unknown store type '{store_type}'; available: {', '.join(STORE_TYPES)}."
            )
        default_store = self.path / "profiles" / name
        if (default_store / _DELETING).is_file():  # a deletion killed before it removed the folder
            _remove_tree(default_store)
        store_url = path_to_url(url_to_path(url).resolve() if url else default_store)
        for other in self.profiles() if self.config_file.is_file() else []:
            if other.store_path.resolve() == url_to_path(store_url).resolve():
                raise StackyardError(
                    f"Profile '{other.name}' already keeps its stacks at {store_url}; "
                    "profiles must not share a store; choose another URL.",
                    kind="profile",
                    name=name,
                    reason="store_shared",
                )
        logger.info("Initializing profile `%s`...", name)
        profile = Profile(name, store_type, store_url, DEFAULT_NAME)
        from stackyard.defaults import create_default_stack

        create_default_stack(profile.store(), self.local_stores_path, self.path / "cache")
        write_toml(self.profile_file(name), profile.to_dict())
        return profile

    def save_profile(self, profile: Profile) -> None:
        """Write a profile's settings (e.g. its active stack)."""
        with self._lock():
            write_toml(self.profile_file(profile.name), profile.to_dict())

    def delete_profile(self, name: str) -> None:
        """Delete a profile; its store folder too when it is in the default location.

        All or nothing across a crash: the store folder is marked as being
        deleted, then the profile file goes (the profile is gone), then the
        folder. A folder a killed deletion leaves is removed the next time
        the global config is written, never revived as the store of a new
        profile of the same name.
        """
        profile = self.get_profile(name)
        with self._lock():
            self._data = None
            if name == self.active_profile_name:
                raise InUseError(
                    f"Profile '{name}' is the globally active profile; activate another one first.",
                    kind="profile",
                    name=name,
                    scope="global",
                )
            default_store = self.path / "profiles" / name
            owned = profile.store_path.resolve() == default_store.resolve() and default_store.is_dir()
            if owned:
                write_toml(default_store / _DELETING, {"profile": name})
            remove_file(self.profile_file(name))
            if owned:
                _remove_tree(default_store)

    def _remove_deleted_stores(self) -> None:
        """Finish deletions of profile stores that a killed process left (the caller holds the lock)."""
        folder = self.path / "profiles"
        try:
            entries = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            path = folder / entry
            if entry.startswith(".") and ".deleted-" in entry:
                _remove_tree(path, aside=False)
            elif (path / _DELETING).is_file() and not (folder / f"{entry}.toml").exists():
                _remove_tree(path)


def _remove_tree(folder: Path, *, aside: bool = True) -> None:
    """Delete a store folder: first renamed aside (one atomic step), then removed."""
    import shutil  # imported here: listing profiles should not pay for it
    from uuid import uuid4

    if not folder.exists():
        return
    trash = folder.with_name(f".{folder.name}.deleted-{uuid4().hex}") if aside else folder
    try:
        os.replace(folder, trash)
    except OSError:
        trash = folder
    shutil.rmtree(trash, ignore_errors=True)
