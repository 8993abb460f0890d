"""Sharing a stack as a TOML file: every component's flavor, package and configuration.

``export_stack`` writes what ``import_stack`` reads back, in this or another
profile. On import, a component identical to one already registered (same
type, name, flavor and configuration) is reused; one whose name is taken by a
different component is registered under a new name, which the result reports.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import ConfigFileError, FlavorNotFoundError, StackExistsError
from stackyard.files import SCHEMA_VERSION, drop_none
from stackyard.names import validate_name
from stackyard.records import ComponentRecord, same_component

if TYPE_CHECKING:
    from stackyard.repository import Repository
    from stackyard.stack.stack_component import StackComponent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REUSED = "reused"
NEW = "new"
RENAMED = "renamed"


class ImportedComponent:
    """What became of one component of an imported stack."""

    __slots__ = ("type", "exported_name", "name", "status")

    def __init__(self, type: StackComponentType, exported_name: str, name: str, status: str) -> None:
        self.type = type
        self.exported_name = exported_name
        self.name = name
        self.status = status  # REUSED, NEW or RENAMED

    def __repr__(self) -> str:
        return f"ImportedComponent({self.type.value}/{self.exported_name} -> {self.name}: {self.status})"


def export_stack(repo: Repository, name: str) -> dict[str, Any]:
    """A stack of the active profile as plain data: its name and each component in full
    (secret references as they are; a plain value of a sensitive parameter masked)."""
    from stackyard.secrets import masked_config, sensitive_parameters

    configuration = repo.get_stack_configuration(name)
    components: dict[str, Any] = {}
    for component_type in StackComponentType:
        component_name = configuration.get(component_type)
        if component_name is not None:
            entry = repo.get_component_record(component_type, component_name).to_dict()
            sensitive = sensitive_parameters(repo, component_type, entry["flavor"])
            entry["config"] = masked_config(entry.get("config", {}), sensitive)  # references are kept
            del entry["type"]  # the table's key says it
            components[component_type.value] = entry
    return {"stack": {"name": name}, "components": components}


def export_stack_toml(repo: Repository, name: str) -> str:
    """:func:`export_stack` as TOML text (with the schema version)."""
    import tomli_w

    return tomli_w.dumps({"schema_version": SCHEMA_VERSION, **drop_none(export_stack(repo, name))})


def import_stack_toml(repo: Repository, name: str, text: str, source: str = "<text>") -> list[ImportedComponent]:
    """Import a stack from TOML text written by :func:`export_stack_toml`; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(source, f"not valid TOML ({exc})") from None
    return import_stack(repo, name, data, source)


def import_stack(
    repo: Repository, name: str, data: Mapping[str, Any], source: str = "<data>"
) -> list[ImportedComponent]:
    """Register the exported stack ``data`` as ``name``; nothing is written if anything is wrong."""
    from stackyard.stack.stack import Stack

    validate_name("stack", name)
    specs = _component_specs(data, source)
    store = repo._store  # noqa: SLF001 - one lock around resolving and registering
    with store.lock():
        if store.has_stack(name):
            raise StackExistsError(f"A stack named '{name}' already exists.", kind="stack", name=name)
        report: list[ImportedComponent] = []
        components: dict[StackComponentType, StackComponent] = {}
        for component_type, spec in specs.items():
            component, outcome = _resolve(repo, component_type, spec)
            components[component_type] = component
            report.append(outcome)
        repo.register_stack(Stack.from_components(name, components))
    return report


def _component_specs(data: Mapping[str, Any], source: str) -> dict[StackComponentType, dict[str, Any]]:
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ConfigFileError(source, f"unsupported schema_version {version!r}; upgrade stackyard-core")
    raw = data.get("components")
    if not isinstance(raw, dict) or not raw:
        raise ConfigFileError(source, "no [components] table; export a stack with stackyard stack export")
    specs: dict[StackComponentType, dict[str, Any]] = {}
    for key, spec in raw.items():
        try:
            component_type = StackComponentType.parse(key)
        except ValueError as exc:
            raise ConfigFileError(source, str(exc)) from None
        if not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) for k in ("name", "flavor")):
            raise ConfigFileError(source, f"[components.{key}] needs a 'name' and a 'flavor'")
        if not isinstance(spec.get("config", {}), dict):
            raise ConfigFileError(source, f"[components.{key}.config] must be a table")
        specs[component_type] = spec
    return dict(sorted(specs.items(), key=lambda item: list(StackComponentType).index(item[0])))


def _identical(records: list[ComponentRecord], candidate: StackComponent) -> str | None:
    """The name of a registered component with the candidate's flavor and configuration, if any."""
    for record in records:
        if same_component(record, candidate, same_uuid=False):
            return record.name
    return None


def _resolve(
    repo: Repository, component_type: StackComponentType, spec: Mapping[str, Any]
) -> tuple[StackComponent, ImportedComponent]:
    """The component to use for one exported component, and what was done about it."""
    store = repo._store  # noqa: SLF001
    exported = spec["name"]
    flavor = _flavor(repo, component_type, spec)
    candidate = flavor.implementation.from_config(exported, spec.get("config", {}))
    if store.has_component(component_type, exported):
        existing = store.get_component(component_type, exported)
        if same_component(existing, candidate, same_uuid=False):
            component = repo.load_stack_component(component_type, exported)
            return component, ImportedComponent(component_type, exported, exported, REUSED)
        twin = _identical(store.components(component_type), candidate)
        if twin is not None:  # imported before under a new name: reuse that one
            component = repo.load_stack_component(component_type, twin)
            return component, ImportedComponent(component_type, exported, twin, REUSED)
        new_name = _free_name(repo, component_type, exported)
        component = flavor.implementation.from_config(new_name, candidate.config)
        return component, ImportedComponent(component_type, exported, new_name, RENAMED)
    uuid = spec.get("uuid")
    if isinstance(uuid, str) and any(c.uuid == uuid for c in store.components(component_type)):
        uuid = None  # that uuid belongs to another component here
    component = flavor.implementation.from_config(exported, candidate.config, uuid=uuid)
    return component, ImportedComponent(component_type, exported, exported, NEW)


def _flavor(repo: Repository, component_type: StackComponentType, spec: Mapping[str, Any]) -> Any:
    try:
        return repo.get_flavor(component_type, spec["flavor"])
    except FlavorNotFoundError as exc:
        package = spec.get("package")
        if isinstance(package, str) and package != "custom" and package not in str(exc):
            raise FlavorNotFoundError(
                f"{exc} The exported stack got it from the package '{package}': pip install {package}."
            ) from None
        raise


def _free_name(repo: Repository, component_type: StackComponentType, name: str) -> str:
    existing = set(repo.component_names(component_type))
    number = 1
    while f"{name}-{number}" in existing:
        number += 1
    return f"{name}-{number}"
