"""The ``Repository``: the Python API for profiles, stacks, components and flavors.

A repository is a project folder with a ``.stackyard/config.toml`` that pins
the active profile and stack for that project. ``Repository()`` finds it from
the working directory upwards (or at ``STACKYARD_REPOSITORY_PATH``) and works
without one too, on the global settings. ``STACKYARD_PROFILE`` and
``STACKYARD_STACK`` override both for one process.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackyard.enums import ProfileSource, StackComponentType
from stackyard.exceptions import (
    ComponentConfigError,
    FlavorExistsError,
    FlavorNotFoundError,
    InUseError,
    InvalidFlavorError,
    RepositoryExistsError,
    StackComponentExistsError,
    StackyardError,
)
from stackyard.files import locked, read_toml, write_toml
from stackyard.names import validate_name
from stackyard.profiles import GlobalConfig, Profile
from stackyard.records import ComponentRecord, StackRecord

if TYPE_CHECKING:
    from stackyard.plugins import Flavor, PluginRegistry
    from stackyard.post_execution import PipelineRunView, PipelineView
    from stackyard.stack.stack import Stack
    from stackyard.stack.stack_component import StackComponent
    from stackyard.store import LocalStore

logger = logging.getLogger("stackyard")

REPOSITORY_DIR = ".stackyard"
REPOSITORY_PATH_ENV = "STACKYARD_REPOSITORY_PATH"
PROFILE_ENV = "STACKYARD_PROFILE"
STACK_ENV = "STACKYARD_STACK"

ComponentTypeLike = StackComponentType | str


def _config_file(root: Path) -> Path:
    return root / REPOSITORY_DIR / "config.toml"


class Repository:
    """Stackyard's Python API, bound to the repository around the working directory (if any)."""

    def __init__(self, root: str | Path | None = None, *, global_config: GlobalConfig | None = None) -> None:
        self._root = self.find_repository(root)
        self._global = global_config or GlobalConfig()
        self._local: dict[str, Any] = read_toml(_config_file(self._root)) if self._root else {}

    # -- finding and creating repositories ------------------------------

    @staticmethod
    def find_repository(path: str | Path | None = None) -> Path | None:
        """The repository root at or above ``path`` (default: ``STACKYARD_REPOSITORY_PATH`` or the cwd)."""
        if path is None:
            env = os.environ.get(REPOSITORY_PATH_ENV)
            if env:
                candidate = Path(env).expanduser().resolve()
                return candidate if _config_file(candidate).is_file() else None
            path = Path.cwd()
        current = Path(path).expanduser().resolve()
        for folder in (current, *current.parents):
            if _config_file(folder).is_file():
                return folder
        return None

    @classmethod
    def initialize(cls, root: str | Path | None = None) -> Repository:
        """Make ``root`` (default: the cwd) a repository pinned to the current profile and stack."""
        target = Path(root or Path.cwd()).expanduser().resolve()
        if _config_file(target).is_file():
            raise RepositoryExistsError(
                f"A Stackyard repository already exists at {target}; "
                "remove its .stackyard folder to start over (stackyard clean)."
            )
        outer = cls.find_repository(target)
        if outer is not None:
            logger.warning(
                "Creating a repository inside the one at %s; in %s and below the new one's settings apply.",
                outer,
                target,
            )
        outside = cls(target)  # not a repository yet: the settings in force here apply
        target.mkdir(parents=True, exist_ok=True)
        write_toml(
            _config_file(target),
            {
                "active_profile_name": outside.active_profile_name,
                "active_stack_name": outside.active_stack_name,
            },
        )
        return cls(target)

    @property
    def root(self) -> Path | None:
        """The repository's root folder, or ``None`` outside a repository."""
        return self._root

    @property
    def config_directory(self) -> Path:
        """The global config directory."""
        return self._global.path

    # -- active profile and stack ---------------------------------------

    @property
    def active_profile_source(self) -> ProfileSource:
        """Whether the active profile comes from the environment, the repository or the global config."""
        if os.environ.get(PROFILE_ENV):
            return ProfileSource.ENVIRONMENT
        if self._root and self._local.get("active_profile_name"):
            return ProfileSource.LOCAL
        return ProfileSource.GLOBAL

    @property
    def active_profile_name(self) -> str:
        """Name of the active profile."""
        source = self.active_profile_source
        if source is ProfileSource.ENVIRONMENT:
            return os.environ[PROFILE_ENV]
        if source is ProfileSource.LOCAL:
            return str(self._local["active_profile_name"])
        return self._global.active_profile_name

    @property
    def active_profile(self) -> Profile:
        """The active profile (created on first use if it is the default)."""
        from stackyard.exceptions import ProfileNotFoundError

        name = self.active_profile_name
        try:
            return self._global.get_profile(name)
        except ProfileNotFoundError as exc:
            source = self.active_profile_source
            if source is ProfileSource.GLOBAL:
                raise
            where = (
                f"{PROFILE_ENV} names"
                if source is ProfileSource.ENVIRONMENT
                else f"The repository at {self._root} uses"
            )
            raise ProfileNotFoundError(
                f"{where} the profile '{name}', which does not exist: {exc} "
                "Create it (stackyard profile create) or choose another (stackyard profile set)."
            ) from None

    @property
    def active_stack_name(self) -> str:
        """Name of the active stack of the active profile (:class:`StackNotFoundError` if it is gone)."""
        env = os.environ.get(STACK_ENV)
        if env:
            return self._existing_stack(env, f"{STACK_ENV} names", "unset it or name an existing stack")
        if self.active_profile_source is ProfileSource.LOCAL and self._local.get("active_stack_name"):
            return self._existing_stack(
                str(self._local["active_stack_name"]),
                f"The repository at {self._root} uses",
                "activate another one there (stackyard stack set NAME)",
            )
        profile = self.active_profile
        if not profile.active_stack_name:
            raise StackyardError(
                f"Profile '{profile.name}' has no active stack; set one with stackyard stack set NAME."
            )
        return self._existing_stack(
            profile.active_stack_name,
            f"Profile '{profile.name}' has as active",
            "activate another one (stackyard stack set NAME --global)",
        )

    def _existing_stack(self, name: str, where: str, fix: str) -> str:
        store = self.store
        if not store.has_stack(name):
            from stackyard.exceptions import StackNotFoundError
            from stackyard.store import not_found_hint

            hint = not_found_hint(name, store.stack_names())
            raise StackNotFoundError(
                f"{where} the stack '{name}', which does not exist in profile '{self.active_profile_name}';"
                f" {fix}.{hint}"
            )
        return name

    @property
    def store(self) -> LocalStore:
        """The store of the active profile."""
        return self.active_profile.store()

    def _write_local(self, **values: str) -> None:
        assert self._root is not None
        with locked(self._root / REPOSITORY_DIR):
            data = dict(read_toml(_config_file(self._root)))
            data.pop("schema_version", None)
            data.update(values)
            write_toml(_config_file(self._root), data)
            self._local = data

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
        profile = self._global.get_profile(name)
        if self._root and not globally:
            self._write_local(active_profile_name=name, active_stack_name=profile.active_stack_name or "default")
        else:
            self._global.set_active_profile(name)

    def delete_profile(self, name: str) -> None:
        """Delete a profile that is not active globally, in this repository or in the environment."""
        self._global.get_profile(name)
        if self._root and self._local.get("active_profile_name") == name:
            raise InUseError(
                f"Profile '{name}' is active in the repository at {self._root}; activate "
                "another one there first (stackyard profile set OTHER)."
            )
        if os.environ.get(PROFILE_ENV) == name:
            raise InUseError(f"Profile '{name}' is active through {PROFILE_ENV}; unset it first.")
        self._global.delete_profile(name)

    # -- stacks ------------------------------------------------------------

    @property
    def stack_configurations(self) -> dict[str, dict[StackComponentType, str]]:
        """Every stack of the active profile as the names of its components, by type."""
        return {record.name: record.components for record in self.store.stacks()}

    @property
    def stacks(self) -> list[Stack]:
        """Every stack of the active profile, with live components."""
        return [self.get_stack(name) for name in self.store.stack_names()]

    @property
    def active_stack(self) -> Stack:
        """The active stack, with live components."""
        return self.get_stack(self.active_stack_name)

    def get_stack(self, name: str) -> Stack:
        """A stack by name, its components loaded through their flavors."""
        from stackyard.stack.stack import Stack

        record = self.store.get_stack(name)
        components = {t: self.load_stack_component(t, n) for t, n in record.components.items()}
        return Stack.from_components(record.name, components)

    def register_stack(self, stack: Stack) -> None:
        """Register a valid stack; its components are registered too if they are new."""
        store = self.store
        validate_name("stack", stack.name)
        stack.validate()
        with store.lock():
            if store.has_stack(stack.name):
                from stackyard.exceptions import StackExistsError

                raise StackExistsError(f"A stack named '{stack.name}' already exists.")
            for component in stack:
                if store.has_component(component.TYPE, component.name):
                    existing = store.get_component(component.TYPE, component.name)
                    if existing.uuid != str(component.uuid) or existing.config != component.config:
                        raise StackComponentExistsError(
                            f"A different {component.TYPE.display_name} named '{component.name}' "
                            "is already registered; rename one of them."
                        )
                else:
                    self.register_stack_component(component)
            store.create_stack(StackRecord(stack.name, {c.TYPE: c.name for c in stack}))
        logger.info("Registered stack with name '%s'.", stack.name)

    def update_stack(self, name: str, components: Mapping[ComponentTypeLike, str | None]) -> None:
        """Change a stack's components by type; ``None`` removes an optional one."""
        store = self.store
        with store.lock():
            record = store.get_stack(name)
            for key, component_name in components.items():
                component_type = StackComponentType.parse(key)
                if component_name is None:
                    if component_type.is_required:
                        raise InUseError(
                            f"The {component_type.display_name} is required; a stack cannot be without one."
                        )
                    record.components.pop(component_type, None)
                else:
                    store.get_component(component_type, component_name)
                    record.components[component_type] = component_name
            self._validated(record)
            store.update_stack(record)

    def _validated(self, record: StackRecord) -> Stack:
        from stackyard.stack.stack import Stack

        components = {t: self.load_stack_component(t, n) for t, n in record.components.items()}
        stack = Stack.from_components(record.name, components)
        stack.validate()
        return stack

    def copy_stack(self, source: str, target: str) -> None:
        """Register ``target`` with the same components as ``source``."""
        validate_name("stack", target)
        store = self.store
        with store.lock():
            record = store.get_stack(source)
            store.create_stack(StackRecord(target, record.components))

    def rename_stack(self, old: str, new: str) -> None:
        """Rename a stack; it stays active where it was active."""
        validate_name("stack", new)
        store = self.store
        profile = self.active_profile
        with store.lock():
            record = store.get_stack(old)
            store.create_stack(StackRecord(new, record.components))
            store.delete_stack(old)
        if profile.active_stack_name == old:
            profile.active_stack_name = new
            self._global.save_profile(profile)
        if self._root and self._local.get("active_profile_name") == profile.name and self._local.get("active_stack_name") == old:
            self._write_local(active_stack_name=new)

    def deregister_stack(self, name: str) -> None:
        """Delete a stack that is not active (globally, in this repository or the environment)."""
        store = self.store
        with store.lock():
            if not store.has_stack(name):
                store.get_stack(name)  # raises not-found with a suggestion
            self.check_stack_deletable(name)
            store.delete_stack(name)
        logger.info("Deregistered stack with name '%s'.", name)

    def check_stack_deletable(self, name: str) -> None:
        """Raise :class:`InUseError`, saying where, if stack ``name`` is active in the environment,
        this repository or its profile."""
        profile = self.active_profile
        if os.environ.get(STACK_ENV) == name:
            where, fix = f"through {STACK_ENV}", "unset it first"
        elif self._root and self._local.get("active_profile_name") == profile.name and self._local.get(
            "active_stack_name"
        ) == name:
            where, fix = f"in the repository at {self._root}", "activate another one there (stackyard stack set OTHER)"
        elif profile.active_stack_name == name:
            flag = " --global" if self._root else ""
            where, fix = f"globally in profile '{profile.name}'", f"activate another one (stackyard stack set OTHER{flag})"
        else:
            return
        raise InUseError(f"Stack '{name}' is active {where} and cannot be deleted; {fix}.")

    def activate_stack(self, name: str, *, globally: bool = False) -> None:
        """Activate a stack: in the repository if the profile is chosen there (unless ``globally``)."""
        self.store.get_stack(name)
        if self.active_profile_source is ProfileSource.LOCAL and not globally:
            self._write_local(active_stack_name=name)
            return
        profile = self.active_profile
        profile.active_stack_name = name
        self._global.save_profile(profile)

    # -- stack components ----------------------------------------------

    def get_stack_components(self, component_type: ComponentTypeLike) -> list[ComponentRecord]:
        """Stored records of every component of a type (loadable without their flavor)."""
        return self.store.components(StackComponentType.parse(component_type))

    def get_stack_component(self, component_type: ComponentTypeLike, name: str) -> ComponentRecord:
        """The stored record of one component."""
        return self.store.get_component(StackComponentType.parse(component_type), name)

    def load_stack_component(self, component_type: ComponentTypeLike, name: str) -> StackComponent:
        """One component as an instance of its flavor class."""
        record = self.get_stack_component(component_type, name)
        flavor = self._flavor_for_record(record)
        return flavor.implementation.from_config(record.name, record.config, uuid=record.uuid)

    def _flavor_for_record(self, record: ComponentRecord) -> Flavor:
        try:
            return self.get_flavor(record.type, record.flavor)
        except FlavorNotFoundError:
            from stackyard.plugins import unavailable_flavor_note

            raise FlavorNotFoundError(
                f"The {record.type.display_name} '{record.name}' uses the flavor '{record.flavor}': "
                f"{unavailable_flavor_note(record)}."
            ) from None

    def register_stack_component(self, component: StackComponent) -> None:
        """Register a component; its flavor must be installed or registered in this profile."""
        flavor = self.get_flavor(component.TYPE, component.FLAVOR)
        if type(component) is not flavor.implementation:
            raise InvalidFlavorError(
                f"{type(component).__qualname__} is not the registered {component.TYPE.display_name} "
                f"flavor '{component.FLAVOR}' ({flavor.source}); register it with "
                "Repository().register_flavor('package.module.Class') under another FLAVOR name."
            )
        record = ComponentRecord(
            component.TYPE,
            component.FLAVOR,
            validate_name("stack component", component.name),
            str(component.uuid),
            component.config,
            None if flavor.is_custom else flavor.package,
        )
        self.store.create_component(record)
        logger.info(
            "Registered stack component with type '%s' and name '%s'.", record.type.value, record.name
        )

    def update_stack_component(
        self,
        component_type: ComponentTypeLike,
        name: str,
        config: Mapping[str, Any] | None = None,
        *,
        remove: Iterable[str] = (),
    ) -> StackComponent:
        """Change parameters of a component (strings are converted); ``remove`` unsets optional ones."""
        store = self.store
        with store.lock():
            record = self.get_stack_component(component_type, name)
            flavor = self._flavor_for_record(record)
            params = flavor.parameters
            merged = dict(record.config)
            merged.update(config or {})
            valid = [p.describe() for p in params.values()]
            for key in remove:
                if key not in params:
                    raise ComponentConfigError(record.flavor, [f"unknown parameter {key}"], valid)
                if params[key].required:
                    raise ComponentConfigError(
                        record.flavor, [f"{key} is required and cannot be removed; set another value instead"], valid
                    )
                merged.pop(key, None)
            component = flavor.implementation.from_config(record.name, merged, uuid=record.uuid)
            self._check_stacks_with(component)
            record.config = component.config
            store.update_component(record)
        return component

    def _check_stacks_with(self, component: StackComponent) -> None:
        """Validate every stack using ``component``'s name as if it had this configuration."""
        from stackyard.stack.stack import Stack

        for stack_name in self.store.stacks_using(component.TYPE, component.name):
            record = self.store.get_stack(stack_name)
            parts = {
                t: component if t is component.TYPE else self.load_stack_component(t, n)
                for t, n in record.components.items()
            }
            Stack.from_components(stack_name, parts).validate()

    def rename_stack_component(self, component_type: ComponentTypeLike, old: str, new: str) -> None:
        """Rename a component; the stacks that use it follow."""
        component_type = StackComponentType.parse(component_type)
        validate_name("stack component", new)
        store = self.store
        with store.lock():
            record = store.get_component(component_type, old)
            if store.has_component(component_type, new):
                raise StackComponentExistsError(
                    f"{component_type.with_article.capitalize()} named '{new}' already exists."
                )
            record.name = new
            store.create_component(record)
            for stack in store.stacks():
                if stack.components.get(component_type) == old:
                    stack.components[component_type] = new
                    store.update_stack(stack)
            store.delete_component(component_type, old)

    def deregister_stack_component(self, component_type: ComponentTypeLike, name: str) -> None:
        """Delete a component that no stack uses."""
        component_type = StackComponentType.parse(component_type)
        store = self.store
        with store.lock():
            if not store.has_component(component_type, name):
                store.get_component(component_type, name)  # raises not-found with a suggestion
            users = store.stacks_using(component_type, name)
            if users:
                raise InUseError(
                    f"The {component_type.display_name} '{name}' is used by stack"
                    f"{'s' if len(users) > 1 else ''} {', '.join(repr(u) for u in users)}; "
                    "remove it from them first."
                )
            store.delete_component(component_type, name)
        logger.info("Deregistered stack component with type '%s' and name '%s'.", component_type.value, name)

    # -- flavors -----------------------------------------------------------

    def get_flavors(self, component_type: ComponentTypeLike) -> list[Flavor]:
        """Installed flavors of a type plus the custom ones of the active profile, by name."""
        component_type = StackComponentType.parse(component_type)
        installed = self._plugins().flavors(component_type)
        known = {f.name for f in installed}
        custom = [f for f in self._custom_flavors(component_type) if f.name not in known]
        return sorted(installed + custom, key=lambda f: f.name)

    def get_flavor(self, component_type: ComponentTypeLike, name: str) -> Flavor:
        """One flavor by type and name (:class:`FlavorNotFoundError` naming the package if known)."""
        from stackyard.plugins import missing_flavor_message

        component_type = StackComponentType.parse(component_type)
        flavor = self._plugins().find(component_type, name)
        if flavor is not None:
            return flavor
        store = self.store
        source = store.custom_flavors(component_type).get(name)
        if source is not None:
            return self._load_custom(component_type, name, source)
        # components registered before the package was uninstalled remember where the flavor came from
        package = next((r.package for r in store.components(component_type) if r.flavor == name and r.package), None)
        raise FlavorNotFoundError(
            missing_flavor_message(component_type, name, self.get_flavors(component_type), package)
        )

    def _plugins(self) -> PluginRegistry:
        """The installed plugins, discovery cached under this configuration's folder."""
        from stackyard.plugins import get_registry

        return get_registry(self._global.path / "cache")

    def _custom_flavors(self, component_type: StackComponentType) -> list[Flavor]:
        result = []
        for name, source in self.store.custom_flavors(component_type).items():
            try:
                result.append(self._load_custom(component_type, name, source))
            except StackyardError as exc:
                logger.warning("Custom %s flavor '%s' is unavailable: %s", component_type.display_name, name, exc)
        return result

    def _load_custom(self, component_type: StackComponentType, name: str, source: str) -> Flavor:
        from stackyard.plugins import CUSTOM_PACKAGE, Flavor, check_flavor_class, import_object

        self._make_importable()
        cls = check_flavor_class(import_object(source), component_type)
        return Flavor(component_type, name, cls, source, CUSTOM_PACKAGE)

    def _make_importable(self) -> None:
        folder = str(self._root or Path.cwd())
        if folder not in sys.path:
            sys.path.insert(0, folder)

    def register_flavor(self, source: str, component_type: ComponentTypeLike | None = None) -> Flavor:
        """Register a flavor class by import path (``pkg.module.Class``) in the active profile.

        With ``component_type``, a class of another type is refused.
        """
        from stackyard.plugins import CUSTOM_PACKAGE, Flavor, check_flavor_class, import_object

        self._make_importable()
        expected = StackComponentType.parse(component_type) if component_type is not None else None
        cls = check_flavor_class(import_object(source), expected)
        component_type = cls.TYPE
        installed = self._plugins().find(component_type, cls.FLAVOR)
        if installed is not None:
            raise FlavorExistsError(
                f"The {component_type.display_name} flavor '{cls.FLAVOR}' is already provided by "
                f"{installed.package_label}; choose another FLAVOR name."
            )
        store = self.store
        with store.lock():
            existing = store.custom_flavors(component_type).get(cls.FLAVOR)
            if existing is not None and existing != source:
                raise FlavorExistsError(
                    f"The {component_type.display_name} flavor '{cls.FLAVOR}' is already registered "
                    f"from {existing}; choose another FLAVOR name."
                )
            store.save_custom_flavor(component_type, cls.FLAVOR, source)
        return Flavor(component_type, cls.FLAVOR, cls, source, CUSTOM_PACKAGE)

    def deregister_flavor(self, component_type: ComponentTypeLike, name: str) -> None:
        """Forget a custom flavor of the active profile; refused while components use it."""
        component_type = StackComponentType.parse(component_type)
        store = self.store
        with store.lock():
            if name not in store.custom_flavors(component_type):
                installed = self._plugins().find(component_type, name)
                if installed is not None:
                    raise InUseError(
                        f"The {component_type.display_name} flavor '{name}' comes from the installed package "
                        f"{installed.package_label}; uninstall the package to remove it."
                    )
                raise FlavorNotFoundError(f"No custom {component_type.display_name} flavor named '{name}'.")
            users = [r.name for r in store.components(component_type) if r.flavor == name]
            if users:
                raise InUseError(
                    f"The {component_type.display_name} flavor '{name}' is used by "
                    + ", ".join(repr(u) for u in users)
                    + "; delete those components first."
                )
            store.delete_custom_flavor(component_type, name)

    def __repr__(self) -> str:
        return f"Repository(root={self._root}, profile={self.active_profile_name!r})"

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
