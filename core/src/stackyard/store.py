"""The ``local`` profile store: one TOML file per stack, component and custom flavor.

Layout under the store's folder::

    stacks/<stack>.toml
    components/<type>/<component>.toml
    flavors/<type>/<flavor>.toml

A registration writes one small file, so the store never rewrites itself as
it grows. Mutations hold the folder's lock and every write is atomic.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from stackyard.enums import StackComponentType
from stackyard.exceptions import (
    InvalidNameError,
    StackComponentExistsError,
    StackComponentNotFoundError,
    StackExistsError,
    StackNotFoundError,
)
from stackyard.files import locked, read_toml, remove_file, write_toml
from stackyard.folder_index import read_folder
from stackyard.names import validate_name
from stackyard.records import ComponentRecord, CustomFlavorRecord, StackRecord

_SUFFIX = ".toml"


def _names(folder: Path) -> list[str]:
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(e[: -len(_SUFFIX)] for e in entries if e.endswith(_SUFFIX) and not e.startswith("."))


def case_twin(name: str, existing: list[str]) -> str | None:
    """An existing name equal to ``name`` but for letter case (the same file on macOS and Windows)."""
    lowered = name.lower()
    return next((other for other in existing if other.lower() == lowered and other != name), None)


def not_found_hint(name: str, candidates: list[str]) -> str:
    """`` Did you mean 'x'?`` when a close match exists, else the empty string."""
    import difflib

    close = difflib.get_close_matches(name, candidates, n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


class LocalStore:
    """Stacks, components and custom flavors of one profile, as TOML files in ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialize a read-modify-write against other processes."""
        with locked(self.root):
            yield

    # -- paths ----------------------------------------------------------
    # Every name becomes a file name: it is checked to be a name, and the file
    # to lie in the store's own folder, before anything is read or written.

    def _file(self, kind: str, folder: Path, name: str) -> Path:
        validate_name(kind, name)
        path = folder / f"{name}{_SUFFIX}"
        if os.path.dirname(os.path.abspath(path)) != os.path.abspath(folder):
            raise InvalidNameError(f"The {kind} name '{name}' does not name a file in {folder}.")
        return path

    def _stack_path(self, name: str) -> Path:
        return self._file("stack", self.root / "stacks", name)

    def _component_dir(self, component_type: StackComponentType) -> Path:
        return self.root / "components" / component_type.value

    def _component_path(self, component_type: StackComponentType, name: str) -> Path:
        return self._file("stack component", self._component_dir(component_type), name)

    def _flavor_path(self, component_type: StackComponentType, name: str) -> Path:
        return self._file("flavor", self.root / "flavors" / component_type.value, name)

    # -- stacks ---------------------------------------------------------

    def stack_names(self) -> list[str]:
        """Names of all stacks, sorted."""
        return _names(self.root / "stacks")

    def has_stack(self, name: str) -> bool:
        """Whether a stack of that name exists."""
        return self._stack_path(name).is_file()

    def get_stack(self, name: str) -> StackRecord:
        """The stack ``name`` (:class:`StackNotFoundError` if missing)."""
        path = self._stack_path(name)
        try:
            data = read_toml(path)
        except FileNotFoundError:
            hint = not_found_hint(name, self.stack_names())
            raise StackNotFoundError(f"No stack named '{name}'.{hint}") from None
        record = StackRecord.from_dict(data, path)
        record.name = name
        return record

    def stacks(self) -> list[StackRecord]:
        """All stacks, sorted by name."""
        result = []
        for name, (path, data) in read_folder(self.root / "stacks").items():
            record = StackRecord.from_dict(data, path)
            record.name = name
            result.append(record)
        return result

    def create_stack(self, record: StackRecord) -> None:
        """Store a new stack (:class:`StackExistsError` if the name is taken)."""
        with self.lock():
            if self.has_stack(record.name):
                raise StackExistsError(f"A stack named '{record.name}' already exists.")
            twin = case_twin(record.name, self.stack_names())
            if twin:
                raise StackExistsError(
                    f"A stack named '{twin}' already exists; names differing only in case are not allowed."
                )
            write_toml(self._stack_path(record.name), record.to_dict())

    def update_stack(self, record: StackRecord) -> None:
        """Replace an existing stack."""
        with self.lock():
            self.get_stack(record.name)
            write_toml(self._stack_path(record.name), record.to_dict())

    def delete_stack(self, name: str) -> None:
        """Delete a stack."""
        with self.lock():
            if not self.has_stack(name):
                self.get_stack(name)  # raises not-found with a suggestion
            remove_file(self._stack_path(name))

    def stacks_using(self, component_type: StackComponentType, name: str) -> list[str]:
        """Names of the stacks that use a component."""
        return [s.name for s in self.stacks() if s.components.get(component_type) == name]

    # -- components -----------------------------------------------------

    def component_names(self, component_type: StackComponentType) -> list[str]:
        """Names of the components of a type, sorted."""
        return _names(self._component_dir(component_type))

    def has_component(self, component_type: StackComponentType, name: str) -> bool:
        """Whether a component of that type and name exists."""
        return self._component_path(component_type, name).is_file()

    def get_component(self, component_type: StackComponentType, name: str) -> ComponentRecord:
        """The component (:class:`StackComponentNotFoundError` if missing)."""
        path = self._component_path(component_type, name)
        try:
            data = read_toml(path)
        except FileNotFoundError:
            hint = not_found_hint(name, self.component_names(component_type))
            raise StackComponentNotFoundError(
                f"No {component_type.display_name} named '{name}'.{hint}"
            ) from None
        record = ComponentRecord.from_dict(data, path)
        record.name = name
        return record

    def components(self, component_type: StackComponentType) -> list[ComponentRecord]:
        """All components of a type, sorted by name."""
        result = []
        for name, (path, data) in read_folder(self._component_dir(component_type)).items():
            record = ComponentRecord.from_dict(data, path)
            record.name = name
            result.append(record)
        return result

    def create_component(self, record: ComponentRecord) -> None:
        """Store a new component (:class:`StackComponentExistsError` if the name is taken)."""
        with self.lock():
            if self.has_component(record.type, record.name):
                raise StackComponentExistsError(
                    f"{record.type.with_article.capitalize()} named '{record.name}' already exists."
                )
            twin = case_twin(record.name, self.component_names(record.type))
            if twin:
                raise StackComponentExistsError(
                    f"{record.type.with_article.capitalize()} named '{twin}' already exists; "
                    "names differing only in case are not allowed."
                )
            write_toml(self._component_path(record.type, record.name), record.to_dict())

    def update_component(self, record: ComponentRecord) -> None:
        """Replace an existing component."""
        with self.lock():
            self.get_component(record.type, record.name)
            write_toml(self._component_path(record.type, record.name), record.to_dict())

    def delete_component(self, component_type: StackComponentType, name: str) -> None:
        """Delete a component (callers check that no stack uses it)."""
        with self.lock():
            if not self.has_component(component_type, name):
                self.get_component(component_type, name)  # raises not-found with a suggestion
            remove_file(self._component_path(component_type, name))

    # -- custom flavors -------------------------------------------------

    def custom_flavors(self, component_type: StackComponentType) -> dict[str, CustomFlavorRecord]:
        """Custom flavors of a type, by name."""
        folder = self.root / "flavors" / component_type.value
        result = {}
        for name in _names(folder):
            data = read_toml(folder / f"{name}{_SUFFIX}")
            source, root = data.get("source"), data.get("root")
            if isinstance(source, str):
                result[name] = CustomFlavorRecord(component_type, name, source, root if isinstance(root, str) else None)
        return result

    def save_custom_flavor(
        self, component_type: StackComponentType, name: str, source: str, root: str | None = None
    ) -> None:
        """Record a custom flavor's import path and the folder it imports from (``None``: installed)."""
        with self.lock():
            record = CustomFlavorRecord(component_type, name, source, root)
            write_toml(self._flavor_path(component_type, name), record.to_dict())

    def delete_custom_flavor(self, component_type: StackComponentType, name: str) -> None:
        """Forget a custom flavor."""
        with self.lock():
            remove_file(self._flavor_path(component_type, name))
