"""The ``Repository``: Stackyard's Python API for profiles, stacks, components, flavors and runs.

A thin facade: where the active profile and stack come from is
:mod:`stackyard.context`, stacks and components over the store are
:mod:`stackyard.catalog`, finding flavors is :mod:`stackyard.flavor_resolver`,
and reading runs back is :mod:`stackyard.post_execution`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackyard.context import (
    PROFILE_ENV,
    REPOSITORY_DIR,
    REPOSITORY_PATH_ENV,
    STACK_ENV,
    Context,
    find_repository,
    initialize_repository,
)
from stackyard.enums import ProfileSource, StackComponentType
from stackyard.exceptions import StackyardError
from stackyard.names import normalized_package_name
from stackyard.profiles import GlobalConfig, Profile

if TYPE_CHECKING:
    from stackyard.catalog import Catalog
    from stackyard.flavor_resolver import FlavorResolver
    from stackyard.metadata_stores.copy import CopyReport
    from stackyard.plugins import CliCommand, Flavor, FlavorConflict, PluginInfo, PluginRegistry
    from stackyard.post_execution import PipelineRunView, PipelineView
    from stackyard.records import ComponentRecord
    from stackyard.stack.stack import Stack
    from stackyard.stack.stack_component import StackComponent
    from stackyard.store import LocalStore

__all__ = ["PROFILE_ENV", "REPOSITORY_DIR", "REPOSITORY_PATH_ENV", "STACK_ENV", "Repository"]

ComponentTypeLike = StackComponentType | str


class Repository:
    """Stackyard's Python API, bound to the repository around the working directory (if any)."""

    def __init__(self, root: str | Path | None = None, *, global_config: GlobalConfig | None = None) -> None:
        self._global = global_config or GlobalConfig()
        self._context = Context(find_repository(root), self._global)

    # -- finding and creating repositories ------------------------------

    @staticmethod
    def find_repository(path: str | Path | None = None) -> Path | None:
        """The repository root at or above ``path`` (default: ``STACKYARD_REPOSITORY_PATH`` or the cwd)."""
        return find_repository(path)

    @classmethod
    def initialize(cls, root: str | Path | None = None) -> Repository:
        """Make ``root`` (default: the cwd) a repository pinned to the current profile and stack."""
        target = Path(root or Path.cwd()).expanduser().resolve()
        initialize_repository(target, GlobalConfig())
        return cls(target)

    @property
    def root(self) -> Path | None:
        """The repository's root folder, or ``None`` outside a repository."""
        return self._context.root

    @property
    def config_directory(self) -> Path:
        """The global config directory."""
        return self._global.path

    # -- the parts this facade delegates to --------------------------------

    @property
    def _store(self) -> LocalStore:
        return self._context.profile.store()

    def _plugins(self) -> PluginRegistry:
        from stackyard.plugins import get_registry

        return get_registry(self._global.path / "cache")

    def _flavors(self, store: LocalStore | None = None) -> FlavorResolver:
        from stackyard.flavor_resolver import FlavorResolver

        return FlavorResolver(store or self._store, self._global.path / "cache", self.root)

    def _catalog(self) -> Catalog:
        from stackyard.catalog import Catalog

        store = self._store
        return Catalog(store, self._flavors(store))

    # -- active profile and stack ---------------------------------------

    @property
    def active_profile_source(self) -> ProfileSource:
        """Whether the active profile comes from the environment, the repository or the global config."""
        return self._context.profile_source

    @property
    def active_profile_name(self) -> str:
        """Name of the active profile."""
        return self._context.profile_name

    @property
    def active_profile(self) -> Profile:
        """The active profile (created on first use if it is the default)."""
        return self._context.profile

    @property
    def active_stack_name(self) -> str:
        """Name of the active stack of the active profile (:class:`StackNotFoundError` if it is gone)."""
        return self._context.stack_name(self._store)

    # -- profiles ----------------------------------------------------------

    def get_profiles(self) -> list[Profile]:
        """All profiles, sorted by name."""
        return self._global.profiles()

    def get_profile(self, name: str) -> Profile:
        """A profile by name."""
        return self._global.get_profile(name)

    def create_profile(self, name: str, store_type: str = "local", url: str | None = None) -> Profile:
        """Create a profile (with its own ``default`` stack)."""
        return self._global.create_profile(name, store_type, url)

    def activate_profile(self, name: str, *, globally: bool = False) -> None:
        """Activate a profile: in the repository if inside one (unless ``globally``), else globally."""
        self._context.activate_profile(self._global.get_profile(name), globally=globally)

    def delete_profile(self, name: str) -> None:
        """Delete a profile that is not active globally, in this repository or in the environment."""
        self._global.get_profile(name)
        self._context.check_profile_deletable(name)
        self._global.delete_profile(name)

    # -- stacks ------------------------------------------------------------

    @property
    def stack_configurations(self) -> dict[str, dict[StackComponentType, str]]:
        """Every stack of the active profile as the names of its components, by type."""
        return {record.name: record.components for record in self._store.stacks()}

    @property
    def stacks(self) -> list[Stack]:
        """Every stack of the active profile, with live components."""
        catalog = self._catalog()
        return [catalog.stack(name) for name in catalog.store.stack_names()]

    @property
    def active_stack(self) -> Stack:
        """The active stack, with live components."""
        return self.get_stack(self.active_stack_name)

    def get_stack(self, name: str) -> Stack:
        """A stack by name, its components loaded through their flavors."""
        return self._catalog().stack(name)

    def register_stack(self, stack: Stack) -> None:
        """Register a valid stack; its components are registered too if they are new.

        Components built in code are registered with it (all or nothing); a
        component read from the store must still be registered, unchanged.
        """
        self._catalog().register_stack(stack)

    def register_stack_from_names(self, name: str, components: Mapping[ComponentTypeLike, str]) -> None:
        """Register a stack of registered components named by type; never registers a component.

        Existence is checked under the store's lock: a component deleted
        meanwhile is refused (:class:`StackComponentNotFoundError`).
        """
        self._catalog().register_stack_from_names(
            name, {StackComponentType.parse(k): v for k, v in components.items()}
        )

    def update_stack(self, name: str, components: Mapping[ComponentTypeLike, str | None]) -> None:
        """Change a stack's components by type; ``None`` removes an optional one."""
        self._catalog().update_stack(name, {StackComponentType.parse(k): v for k, v in components.items()})

    def copy_stack(self, source: str, target: str) -> None:
        """Register ``target`` with the same components as ``source``."""
        self._catalog().copy_stack(source, target)

    def rename_stack(self, old: str, new: str) -> None:
        """Rename a stack; it stays active where it was active (one all-or-nothing change)."""
        catalog = self._catalog()
        with catalog.store.lock():
            catalog.rename_stack(old, new, self._context.active_settings_naming(old))
            self._context.reload()

    def deregister_stack(self, name: str) -> None:
        """Delete a stack that is not active (globally, in this repository or the environment)."""
        import logging

        store = self._store
        with store.lock():
            if not store.has_stack(name):
                store.get_stack(name)  # raises not-found with a suggestion
            self._context.reload()
            self.check_stack_deletable(name)
            store.delete_stack(name)
        logging.getLogger("stackyard").info("Deregistered stack with name '%s'.", name)

    def check_stack_deletable(self, name: str) -> None:
        """Raise :class:`InUseError`, saying where, if stack ``name`` is active in the environment,
        this repository or its profile."""
        error = self._context.stack_in_use(name)
        if error is not None:
            raise error

    def activate_stack(self, name: str, *, globally: bool = False) -> None:
        """Activate a stack: in the repository if the profile is chosen there (unless ``globally``)."""
        store = self._store
        with store.lock():  # a rename or delete cannot slip between the check and the write
            store.get_stack(name)
            self._context.activate_stack(name, globally=globally)

    # -- stack components ----------------------------------------------

    def get_stack_components(self, component_type: ComponentTypeLike) -> list[StackComponent]:
        """Every component of a type as an instance of its flavor, sorted by name.

        A component whose flavor is not installed comes back as an
        :class:`~stackyard.stack.unavailable.UnavailableComponent`, which
        lists and describes but refuses to run.
        """
        catalog = self._catalog()
        records = catalog.store.components(StackComponentType.parse(component_type))
        return [catalog.load_or_unavailable(r) for r in records]

    def get_stack_component(self, component_type: ComponentTypeLike, name: str) -> StackComponent:
        """One component as an instance of its flavor (an ``UnavailableComponent`` if it is missing)."""
        catalog = self._catalog()
        return catalog.load_or_unavailable(catalog.store.get_component(StackComponentType.parse(component_type), name))  # type: ignore[no-any-return]

    def load_stack_component(self, component_type: ComponentTypeLike, name: str) -> StackComponent:
        """One component as an instance of its flavor; :class:`FlavorNotFoundError` if it is not installed."""
        return self._catalog().component(StackComponentType.parse(component_type), name)

    def build_component(self, data: Mapping[str, Any]) -> StackComponent:
        """A component from its stored form as plain data (``ComponentRecord.to_dict()``, a run's recorded
        stack), built through its flavor; it need not be registered. ``FlavorNotFoundError`` if it is gone."""
        from stackyard.records import ComponentRecord

        record = ComponentRecord.from_dict(data)
        return self._flavors().for_record(record).implementation.from_record(record)

    def register_stack_component(self, component: StackComponent) -> None:
        """Register a component; its flavor must be installed or registered in this profile.

        Durable when it returns: the component's file is synced before it is
        renamed into place, and its folder after.
        """
        self._catalog().register_component(component)

    def register_stack_components(self, components: Iterable[StackComponent]) -> None:
        """Register many components at once, all or none: a taken name or unknown flavor raises
        (``StackComponentExistsError``, ``FlavorNotFoundError``, ...) before anything is written.

        Far faster than one call per component: the store is locked once and
        the files are synced together at the end instead of one by one. Durable
        when it returns, like :meth:`register_stack_component`. A process killed
        during the call leaves all of them or none registered: the change is
        first recorded whole in the store's journal, from which the next
        process to open the store finishes it.
        """
        self._catalog().register_components(components)

    def register_stack_component_from_config(
        self, component_type: ComponentTypeLike, name: str, flavor: str, config: Mapping[str, Any] | None = None
    ) -> StackComponent:
        """Register component ``name`` of ``flavor`` from plain configuration (strings are converted,
        as the CLI's ``--key=value``); returns it."""
        return self._catalog().register_from_config(StackComponentType.parse(component_type), name, flavor, config or {})

    def update_stack_component(
        self,
        component_type: ComponentTypeLike,
        name: str,
        config: Mapping[str, Any] | None = None,
        *,
        remove: Iterable[str] = (),
    ) -> StackComponent:
        """Change parameters of a component (strings are converted); ``remove`` unsets optional ones."""
        return self._catalog().update_component(StackComponentType.parse(component_type), name, config or {}, remove)

    def rename_stack_component(self, component_type: ComponentTypeLike, old: str, new: str) -> None:
        """Rename a component; the stacks that use it follow."""
        self._catalog().rename_component(StackComponentType.parse(component_type), old, new)

    def deregister_stack_component(self, component_type: ComponentTypeLike, name: str) -> None:
        """Delete a component that no stack uses."""
        self._catalog().deregister_component(StackComponentType.parse(component_type), name)

    # -- flavors -----------------------------------------------------------

    def get_flavors(self, component_type: ComponentTypeLike) -> list[Flavor]:
        """Installed flavors of a type plus the custom ones of the active profile, by name."""
        return self._flavors().flavors(StackComponentType.parse(component_type))

    def get_flavor(self, component_type: ComponentTypeLike, name: str) -> Flavor:
        """One flavor by type and name (:class:`FlavorNotFoundError` naming the package if known)."""
        return self._flavors().get(StackComponentType.parse(component_type), name)

    def register_flavor(self, source: str, component_type: ComponentTypeLike | None = None) -> Flavor:
        """Register a flavor class by import path (``pkg.module.Class``) in the active profile.

        With ``component_type``, a class of another type is refused.
        """
        expected = StackComponentType.parse(component_type) if component_type is not None else None
        return self._flavors().register(source, expected)

    def deregister_flavor(self, component_type: ComponentTypeLike, name: str) -> None:
        """Forget a custom flavor of the active profile; refused while components use it."""
        self._flavors().deregister(StackComponentType.parse(component_type), name)

    # -- queries for tools (the CLI builds its views from these) -----------

    def stack_names(self) -> list[str]:
        """Names of the stacks of the active profile, sorted."""
        return self._store.stack_names()

    def get_stack_configuration(self, name: str) -> dict[StackComponentType, str]:
        """The names of a stack's components by type (:class:`StackNotFoundError` if missing)."""
        return self._store.get_stack(name).components

    def component_names(self, component_type: ComponentTypeLike) -> list[str]:
        """Names of the components of a type, sorted."""
        return self._store.component_names(StackComponentType.parse(component_type))

    def get_component_records(self, component_type: ComponentTypeLike) -> list[ComponentRecord]:
        """Stored records of every component of a type (readable without their flavor's package)."""
        return self._store.components(StackComponentType.parse(component_type))

    def get_component_record(self, component_type: ComponentTypeLike, name: str) -> ComponentRecord:
        """The stored record of one component (readable without its flavor's package)."""
        return self._store.get_component(StackComponentType.parse(component_type), name)

    def stacks_using(self, component_type: ComponentTypeLike, name: str) -> list[str]:
        """Names of the stacks that use a component."""
        return self._store.stacks_using(StackComponentType.parse(component_type), name)

    def active_component_name(self, component_type: ComponentTypeLike) -> str | None:
        """The name of the active stack's component of a type, or ``None`` (also without an active stack)."""
        try:
            return self.get_stack_configuration(self.active_stack_name).get(StackComponentType.parse(component_type))
        except StackyardError:
            return None

    def flavor_note(self, record: ComponentRecord) -> str | None:
        """``None`` if a stored component's flavor can be used, else why not (missing or disabled)."""
        return self._flavors().note(record)

    def get_plugins(self, package: str | None = None) -> list[PluginInfo]:
        """Every installed plugin entry point, with its status, hooks, flavors and errors; with ``package``,
        those of that distribution (its name compared as pip compares names: ``Stackyard_S3`` is ``stackyard-s3``)."""
        plugins = self._plugins().plugins
        if package is None:
            return list(plugins)
        wanted = normalized_package_name(package)
        return [p for p in plugins if normalized_package_name(p.package) == wanted]

    def get_flavor_conflicts(self) -> list[FlavorConflict]:
        """Flavors of one type and name provided by more than one package (the first one wins)."""
        return list(self._plugins().conflicts)

    def get_plugin_commands(self) -> dict[str, CliCommand]:
        """The command groups plugins add to the ``stackyard`` command, by name."""
        return self._plugins().commands()

    def reload_plugins(self) -> None:
        """Discover the installed plugins again (after installing or removing packages)."""
        from stackyard.plugins import reset_registry

        reset_registry()

    def components_using_plugins(self, plugins: Iterable[PluginInfo]) -> list[tuple[str, ComponentRecord]]:
        """``(profile name, record)`` of every component, in every profile, whose flavor these plugins provide."""
        plugins = list(plugins)
        flavors = {(t, name) for p in plugins for t, name in p.flavors}
        packages = {normalized_package_name(p.package) for p in plugins}
        users = []
        for profile in self.get_profiles():
            store = profile.store()
            for component_type in StackComponentType:
                for record in store.components(component_type):
                    if (component_type, record.flavor) in flavors and (
                        record.package is None or normalized_package_name(record.package) in packages
                    ):
                        users.append((profile.name, record))
        return users

    def __repr__(self) -> str:
        return f"Repository(root={self.root}, profile={self.active_profile_name!r})"

    # -- pipeline runs (post-execution) -----------------------------------
    # Without a stack these read the active stack's metadata store, loading
    # its artifact store only when an artifact is read: listing runs must
    # not need every component's flavor installed.

    def get_pipelines(self, stack: Stack | None = None) -> list[PipelineView]:
        """Every pipeline with runs in the metadata store of ``stack`` (default: the active stack)."""
        from stackyard import post_execution

        return post_execution.get_pipelines(stack or post_execution.active_context(self))

    def get_pipeline(self, name: str, stack: Stack | None = None) -> PipelineView:
        """A pipeline by name, with its ``runs`` (oldest first); ``PipelineNotFoundError`` if it never ran."""
        from stackyard import post_execution

        return post_execution.get_pipeline(stack or post_execution.active_context(self), name)

    def get_runs(self, pipeline_name: str | None = None, stack: Stack | None = None) -> list[PipelineRunView]:
        """Runs of one pipeline, or of all, oldest first."""
        from stackyard import post_execution

        return post_execution.get_runs(stack or post_execution.active_context(self), pipeline_name)

    def get_run(self, name_or_id: str, stack: Stack | None = None) -> PipelineRunView:
        """A pipeline run by name or id; ``RunNotFoundError`` if there is none."""
        from stackyard import post_execution

        return post_execution.get_run(stack or post_execution.active_context(self), name_or_id)

    def get_latest_runs(
        self, pipeline_name: str | None = None, limit: int = 50, stack: Stack | None = None
    ) -> list[PipelineRunView]:
        """The ``limit`` newest runs of one pipeline, or of all, newest first (only those are read)."""
        from stackyard import post_execution

        return post_execution.get_latest_runs(stack or post_execution.active_context(self), pipeline_name, limit)

    def copy_metadata(self, source: str, target: str) -> CopyReport:
        """Copy every run recorded by metadata store ``source`` into metadata store ``target`` (component names).

        Idempotent: runs already in ``target`` are skipped. See :mod:`stackyard.metadata_stores.copy`.
        """
        from stackyard.metadata_stores.copy import copy_between

        return copy_between(self, source, target)
