"""The ``local`` profile store: one TOML file per stack, component and custom flavor.

Layout under the store's folder::

    stacks/<stack>.toml
    components/<type>/<component>.toml
    flavors/<type>/<flavor>.toml

A registration writes one small file, so the store never rewrites itself as
it grows. Mutations hold the folder's lock and every write is atomic; a
change of several files goes through the store's journal
(:mod:`stackyard.journal`), which the next process replays if one was killed
during it. The first time a process takes the lock, it deletes the
temporary files that killed writes left behind.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from stackyard.enums import StackComponentType
from stackyard.exceptions import (
    InvalidNameError,
    StackComponentExistsError,
    StackComponentNotFoundError,
    StackExistsError,
    StackNotFoundError,
)
from stackyard.files import gc_paused, locked, read_toml, remove_file, remove_temp_files, write_toml
from stackyard.folder_index import INDEX_NAME, read_folder
from stackyard.journal import Change, pending, replay
from stackyard.names import validate_name
from stackyard.records import ComponentRecord, CustomFlavorRecord, StackRecord

_SUFFIX = ".toml"
_INDEX_TEMP_AGE = 300.0
"""Index files are written without the lock: only older temporary files of theirs are deleted."""

_swept: set[str] = set()  # store folders whose temporary files this process has deleted
_depth = threading.local()  # how deeply this thread holds each store's lock


def _names(folder: Path) -> list[str]:
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(e[: -len(_SUFFIX)] for e in entries if e.endswith(_SUFFIX) and not e.startswith("."))


def _young_index_temp(path: Path, cutoff: float) -> bool:
    """Whether ``path`` is a temporary index file written after ``cutoff`` (maybe still being written)."""
    if not path.name.startswith(f".{INDEX_NAME}."):
        return False
    try:
        return path.stat().st_mtime > cutoff
    except OSError:
        return True


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
        if pending(self.root):  # a process was killed mid-change: finish it before reading
            with self.lock():
                pass

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialize a read-modify-write against other processes.

        On taking it (not when re-entering it), an interrupted change is
        replayed, and once per process stale temporary files are deleted.
        """
        key = str(self.root)
        with locked(self.root):
            held = getattr(_depth, "held", None)
            if held is None:
                held = _depth.held = {}
            outermost = not held.get(key)
            held[key] = held.get(key, 0) + 1
            try:
                if outermost:
                    if key not in _swept:
                        self.remove_temp_files()
                        _swept.add(key)
                    if pending(self.root):
                        replay(self.root)
                yield
            finally:
                held[key] -= 1

    def remove_temp_files(self) -> list[Path]:
        """Delete the temporary files killed writes left in the store (the caller holds the lock)."""
        folders = [self.root, self.root / "stacks"]
        for parent in (self.root / "components", self.root / "flavors"):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                folders += [parent / name for name in os.listdir(parent) if not name.startswith(".")]
        cutoff = time.time() - _INDEX_TEMP_AGE
        removed: list[Path] = []
        for folder in folders:
            removed += remove_temp_files(folder, keep=lambda name, f=folder: _young_index_temp(f / name, cutoff))
        return removed

    def change(self, description: str) -> Change:
        """A change of several files of this store, all-or-nothing across a crash (see :mod:`stackyard.journal`)."""
        return Change(self.root, description)

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
        with gc_paused():
            for name, (path, data) in read_folder(self.root / "stacks").items():
                record = StackRecord.from_dict(data, path)
                record.name = name
                result.append(record)
        return result

    def create_stack(self, record: StackRecord, new_components: Iterable[ComponentRecord] = ()) -> None:
        """Store a new stack (:class:`StackExistsError` if the name is taken), with its new components.

        The stack and its new components are stored all together or not at all.
        """
        with self.lock():
            self.check_new_stack(record.name)
            change = self.change(f"registration of the stack '{record.name}'")
            for component in new_components:
                self._check_new_component(component.type, component.name)
                change.write(self._component_path(component.type, component.name), component.to_dict())
            change.write(self._stack_path(record.name), record.to_dict())
            change.commit()

    def check_new_stack(self, name: str) -> None:
        """Raise :class:`StackExistsError` unless ``name`` is free (also of case twins)."""
        if self.has_stack(name):
            raise StackExistsError(f"A stack named '{name}' already exists.", kind="stack", name=name)
        twin = case_twin(name, self.stack_names())
        if twin:
            raise StackExistsError(
                f"A stack named '{twin}' already exists; names differing only in case are not allowed.",
                kind="stack",
                name=name,
            )

    def rename_stack(self, old: str, new: str, pointers: Iterable[tuple[Path, Path, str | None]] = ()) -> None:
        """Rename a stack, moving the settings that name it active (``(file, lock folder, profile)`` each)."""
        with self.lock():
            record = self.get_stack(old)
            self.check_new_stack(new)
            change = self.change(f"rename of the stack '{old}' to '{new}'")
            change.write(self._stack_path(new), StackRecord(new, record.components).to_dict())
            for settings, lock, profile in pointers:
                change.repoint(settings, lock, old, new, profile)
            change.delete(self._stack_path(old))
            change.commit()

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
        with gc_paused():
            for name, (path, data) in read_folder(self._component_dir(component_type)).items():
                record = ComponentRecord.from_dict(data, path)
                record.name = name
                result.append(record)
        return result

    def create_component(self, record: ComponentRecord) -> None:
        """Store a new component (:class:`StackComponentExistsError` if the name is taken)."""
        with self.lock():
            self._check_new_component(record.type, record.name)
            write_toml(self._component_path(record.type, record.name), record.to_dict())

    def create_components(self, records: Iterable[ComponentRecord]) -> None:
        """Store many new components at once: all of them or, across a crash, none.

        Each name is checked against the store and the batch before anything
        is written. The batch goes through the journal, whose one durable
        write makes it all-or-nothing; the files themselves are synced once
        at the end (see :func:`stackyard.files.sync_files`) instead of one by
        one, which is what makes a bulk registration fast.
        """
        records = list(records)
        with self.lock():
            taken: dict[StackComponentType, dict[str, str]] = {}
            change = self.change(f"registration of {len(records)} stack components")
            for record in records:
                names = taken.get(record.type)
                if names is None:
                    names = taken[record.type] = {n.lower(): n for n in self.component_names(record.type)}
                path = self._component_path(record.type, record.name)
                other = names.get(record.name.lower())
                if other is not None:
                    raise _component_exists(record.type, record.name, other)
                names[record.name.lower()] = record.name
                change.write(path, record.to_dict())
            change.commit(batch=True)

    def _check_new_component(self, component_type: StackComponentType, name: str) -> None:
        if self.has_component(component_type, name):
            raise _component_exists(component_type, name, name)
        twin = case_twin(name, self.component_names(component_type))
        if twin:
            raise _component_exists(component_type, name, twin)

    def rename_component(self, component_type: StackComponentType, old: str, new: str) -> None:
        """Rename a component and the references of every stack using it, all at once."""
        with self.lock():
            record = self.get_component(component_type, old)
            self._check_new_component(component_type, new)
            record.name = new
            change = self.change(f"rename of the {component_type.display_name} '{old}' to '{new}'")
            change.write(self._component_path(component_type, new), record.to_dict())
            for stack in self.stacks():
                if stack.components.get(component_type) == old:
                    stack.components[component_type] = new
                    change.write(self._stack_path(stack.name), stack.to_dict())
            change.delete(self._component_path(component_type, old))
            change.commit()

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


def _component_exists(component_type: StackComponentType, name: str, other: str) -> StackComponentExistsError:
    """``name`` is taken by the component ``other`` (the same name, or one differing only in case)."""
    case = "" if other == name else "; names differing only in case are not allowed"
    return StackComponentExistsError(
        f"{component_type.with_article.capitalize()} named '{other}' already exists{case}.",
        kind=component_type.display_name,
        name=name,
    )
