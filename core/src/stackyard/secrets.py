"""Secret references: ``{{secret_name.key}}`` in a component's parameters.

A parameter holding a reference is stored, listed, described and exported as
the reference. Only where a component is *used* — a pipeline run, reading a
run's artifacts back — is the stack resolved: :func:`resolve_stack_secrets`
returns copies of its components with every reference replaced by the value
from the stack's secrets manager. A resolved copy still reports the references
as its :attr:`~stackyard.stack.StackComponent.config`, so whatever records,
exports or prints it sees the references, never the values.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from stackyard.enums import StackComponentType
from stackyard.exceptions import SecretNotFoundError, SecretReferenceError

if TYPE_CHECKING:
    from stackyard.repository import Repository
    from stackyard.secrets_managers import BaseSecretsManager
    from stackyard.stack.stack import Stack
    from stackyard.stack.stack_component import StackComponent

MASK = "********"
"""What a secret value shows as wherever it would otherwise be printed."""

KEY_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*\Z")
"""A secret's key: letters, digits, ``_`` and ``-`` (no dots: the last dot of a reference splits name and key)."""

REFERENCE_PATTERN = re.compile(r"\{\{\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)\.([A-Za-z0-9_][A-Za-z0-9_\-]*)\s*\}\}")
"""``{{secret_name.key}}``; the secret's name may hold dots, the key may not."""

REFERENCES_ATTRIBUTE = "_secret_references"
"""Instance attribute of a resolved copy: parameter name → the value it had before resolution."""


class SecretReference(NamedTuple):
    """One ``{{secret.key}}`` found in a parameter."""

    secret: str
    key: str

    def __str__(self) -> str:
        return "{{" + f"{self.secret}.{self.key}" + "}}"


def find_references(value: object) -> list[SecretReference]:
    """The references in ``value`` (none if it is not a string)."""
    if not isinstance(value, str) or "{{" not in value:
        return []
    return [SecretReference(m.group(1), m.group(2)) for m in REFERENCE_PATTERN.finditer(value)]


def is_reference(value: object) -> bool:
    """Whether ``value`` is exactly one reference (surrounding spaces allowed)."""
    return isinstance(value, str) and REFERENCE_PATTERN.fullmatch(value.strip()) is not None


def reference_example(name: str = "my_secret", key: str = "value") -> str:
    """``{{my_secret.value}}``: the syntax, for messages."""
    return str(SecretReference(name, key))


def references_of(component: StackComponent) -> dict[str, list[SecretReference]]:
    """Each parameter of ``component`` that holds references, with them (the component's stored form)."""
    result = {}
    for name, value in component.config.items():
        found = find_references(value)
        if found:
            result[name] = found
    return result


def is_resolved(component: StackComponent) -> bool:
    """Whether ``component`` is a copy made by :func:`resolve_component`."""
    return bool(getattr(component, REFERENCES_ATTRIBUTE, None))


def stored_config(component: StackComponent, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the references a resolved copy replaced put back (used by ``StackComponent.config``)."""
    references = getattr(component, REFERENCES_ATTRIBUTE, None)
    if references:
        config.update(references)
    return config


SecretLookup = Callable[[str], "dict[str, str]"]


def resolve_component(component: StackComponent, secrets_manager: BaseSecretsManager | None) -> StackComponent:
    """``component`` itself if it holds no reference, else a copy with every reference replaced.

    Raises :class:`~stackyard.exceptions.SecretReferenceError` naming the
    component, the parameter, the secret and the key when one cannot be resolved.
    """
    return _resolve(component, secrets_manager, _lookup(secrets_manager))


def resolve_stack_secrets(stack: Stack) -> Stack:
    """A stack whose components have their references resolved from ``stack``'s secrets manager.

    The given stack and its components are left as they are; if no component
    holds a reference, ``stack`` itself is returned. Every reference is checked
    before anything is returned, so a missing secret fails before a run starts.
    """
    from stackyard.stack.stack import Stack

    manager = stack.secrets_manager
    lookup = _lookup(manager)
    components = {}
    changed = False
    for component_type, component in stack.components.items():
        resolved = component if component_type is StackComponentType.SECRETS_MANAGER else _resolve(
            component, manager, lookup, stack.name
        )
        changed = changed or resolved is not component
        components[component_type] = resolved
    return Stack.from_components(stack.name, components) if changed else stack


def with_references(component: StackComponent) -> StackComponent:
    """A resolved copy's twin holding its ``{{secret.key}}`` references again, runtime state kept.

    What may be written down (a step operator's payload): resolve it again
    where it is used, with :func:`resolve_stack_secrets`.
    """
    references = getattr(component, REFERENCES_ATTRIBUTE, None)
    if not references:
        return component
    twin = copy.copy(component)
    for parameter, original in references.items():
        object.__setattr__(twin, parameter, original)
    object.__setattr__(twin, REFERENCES_ATTRIBUTE, None)
    return twin


def reduce_with_references(obj: object) -> Any:
    """For a pickler's ``reducer_override``: a component whose secrets were resolved pickles as its
    :func:`with_references` twin, so no secret value is written; anything else gives ``NotImplemented``."""
    import pickle

    from stackyard.stack.stack_component import StackComponent

    if isinstance(obj, StackComponent) and is_resolved(obj):
        return with_references(obj).__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    return NotImplemented


def _lookup(manager: BaseSecretsManager | None) -> SecretLookup:
    cache: dict[str, dict[str, str]] = {}

    def lookup(name: str) -> dict[str, str]:
        assert manager is not None
        if name not in cache:
            cache[name] = manager.get_secret(name)
        return cache[name]

    return lookup


def _resolve(
    component: StackComponent,
    manager: BaseSecretsManager | None,
    lookup: SecretLookup,
    stack_name: str | None = None,
) -> StackComponent:
    if is_resolved(component):
        return component
    found = references_of(component)
    if not found:
        return component
    where = f"{component.TYPE.display_name} '{component.name}'"
    in_stack = f" of stack '{stack_name}'" if stack_name else ""
    if manager is None:
        parameter, references = next(iter(found.items()))
        raise SecretReferenceError(
            f"The {where}{in_stack}: parameter '{parameter}' references {references[0]}, but the stack has no "
            "secrets manager; add one to the stack (stackyard stack update STACK -x SECRETS_MANAGER).",
            component=component.name, parameter=parameter, secret=references[0].secret, key=references[0].key,
        )
    stored = component.config
    resolved = copy.copy(component)
    originals = {}
    for parameter in found:
        original = stored[parameter]
        value = REFERENCE_PATTERN.sub(
            lambda m: _value(where, parameter, SecretReference(m.group(1), m.group(2)), manager, lookup), original
        )
        object.__setattr__(resolved, parameter, value)  # not through the field's converter: it refuses plain values
        originals[parameter] = original
    object.__setattr__(resolved, REFERENCES_ATTRIBUTE, originals)
    return resolved


def _value(
    where: str, parameter: str, reference: SecretReference, manager: BaseSecretsManager, lookup: SecretLookup
) -> str:
    details = {"parameter": parameter, "secret": reference.secret, "key": reference.key}
    try:
        values = lookup(reference.secret)
    except SecretNotFoundError:
        raise SecretReferenceError(
            f"The {where}: parameter '{parameter}' references {reference}, but secrets manager "
            f"'{manager.name}' has no secret '{reference.secret}'; add it with: stackyard secret register "
            f"{reference.secret} --{reference.key}",
            **details,
        ) from None
    if reference.key not in values:
        keys = ", ".join(sorted(values)) or "none"
        raise SecretReferenceError(
            f"The {where}: parameter '{parameter}' references {reference}, but secret '{reference.secret}' "
            f"has no key '{reference.key}' (its keys: {keys}); add it with: stackyard secret update "
            f"{reference.secret} --{reference.key}",
            **details,
        )
    return values[reference.key]


def resolve_recorded(component: StackComponent, recorded_stack: Mapping[str, Any]) -> StackComponent:
    """``component`` resolved from the secrets manager a run recorded in ``recorded_stack`` (its stack
    record), rebuilt from that record: reading a run back uses the run's stack, not the active one."""
    if is_resolved(component) or not references_of(component):
        return component
    record = (recorded_stack.get("components") or {}).get(StackComponentType.SECRETS_MANAGER.value)
    manager = None
    if record:
        from stackyard.repository import Repository

        manager = Repository().build_component({"type": StackComponentType.SECRETS_MANAGER.value, **record})
    return _resolve(component, manager, _lookup(manager), recorded_stack.get("name"))  # type: ignore[arg-type]


def masked_config(config: Mapping[str, Any], sensitive: Iterable[str]) -> dict[str, Any]:
    """``config`` with every plain value of a ``sensitive`` parameter shown as :data:`MASK`.

    Plain values of sensitive parameters are refused when a component is built,
    so only files written before a flavor marked the parameter hold one; a
    reference is not secret and is shown as it is.
    """
    names = set(sensitive)
    return {
        key: MASK if key in names and value is not None and not find_references(value) else value
        for key, value in config.items()
    }


def sensitive_parameters(repository: Repository, component_type: StackComponentType | str, flavor: str) -> frozenset[str]:
    """The names of a flavor's :func:`~stackyard.SecretField` parameters (none if the flavor cannot be loaded)."""
    from stackyard.exceptions import StackyardError

    try:
        parameters = repository.get_flavor(component_type, flavor).parameters
    except (StackyardError, ImportError, AttributeError, TypeError):  # not installed or broken: listed as it is
        return frozenset()
    return frozenset(name for name, parameter in parameters.items() if parameter.secret)
