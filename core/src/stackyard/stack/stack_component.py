"""The base of every stack component: an attrs class written in plain annotated style.

A flavor author writes::

    class MyStore(BaseArtifactStore):
        FLAVOR: ClassVar[str] = "my-store"
        region: str = "eu-west-1"
        retries: int = 3

and gets a keyword-only attrs class whose fields are the flavor's parameters,
converted and validated from Python, TOML or CLI strings. Fields whose name
starts with ``_`` are runtime state: not parameters, never serialized.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import sys
import typing
from abc import ABCMeta
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

import attrs

from stackyard.enums import StackComponentType
from stackyard.exceptions import ComponentConfigError, InvalidFlavorError, InvalidNameError
from stackyard.names import validate_name

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10
    from typing_extensions import dataclass_transform

if TYPE_CHECKING:
    from stackyard.pipelines.hooks import Outcome, PipelineRunInfo, StepRunInfo
    from stackyard.records import ComponentRecord
    from stackyard.stack.stack import Stack

RESERVED_FIELDS = frozenset({"type", "flavor", "config"})
"""Names a flavor cannot use for a parameter (they describe the component itself)."""

ALLOW_EMPTY = "allow_empty"
"""Field metadata key: ``attrs.field(metadata={"allow_empty": True})`` lets a required
text parameter be empty (by default ``--path=`` is refused: "path: must not be empty")."""

SECRET = "secret"
"""Field metadata key set by :func:`SecretField`: the parameter is sensitive."""

_MUTABLE_DEFAULTS = (list, dict, set)


def SecretField(*, default: Any = attrs.NOTHING, doc: str = "") -> Any:  # noqa: N802 - reads like a type
    """Mark a sensitive parameter: ``secret_key: str = SecretField()`` (or ``SecretField(default=None)``).

    Its value must hold a secret reference such as ``{{aws.secret_key}}`` (alone
    or inside a longer value, as in a URL); a plain value is refused, so the
    secret itself is never stored, shown or recorded. The reference is resolved
    from the stack's secrets manager where the component is used (a run,
    reading a run's artifacts back).
    """
    metadata: dict[str, Any] = {SECRET: True}
    if doc:
        metadata["doc"] = doc
    return attrs.field(default=default, metadata=metadata, repr=_secret_repr)


def _secret_repr(value: Any) -> str:
    """A sensitive parameter in ``repr()``: its reference, never the value a run resolved it to."""
    from stackyard.secrets import MASK, find_references

    return repr(value) if value is None or find_references(value) else repr(MASK)


_PROBLEMS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("stackyard_problems", default=None)
"""While :meth:`StackComponent.from_config` builds a component, where field converters report problems."""


class _FieldConverter:
    """Converts a value assigned to a field to the field's annotated type, once.

    This is the only place a parameter's value is converted, whether it comes
    from Python, TOML or the command line. Types are resolved on first use, so
    annotations may be strings naming things defined later. Inside
    :meth:`StackComponent.from_config` a bad value is reported (with every
    other) instead of raised at once.
    """

    def __init__(
        self, owner: type, name: str, *, required: bool = False, allow_empty: bool = False, secret: bool = False
    ) -> None:
        self.owner = owner
        self.name = name
        self.required = required
        """Whether the field has no default: then an empty text value is refused, unless ``allow_empty``."""
        self.allow_empty = allow_empty
        self.secret = secret
        """Whether the field is a :func:`SecretField`: then only secret references are accepted."""
        self._type: Any = None

    def field_type(self) -> Any:
        if self._type is None:
            self._type = _resolved_types(self.owner).get(self.name, Any)
        return self._type

    def __call__(self, value: Any) -> Any:
        from stackyard.serialization import is_text_type, structure_value

        refused = self._refused_reference(value)
        if refused:
            problems = _PROBLEMS.get()
            if problems is None:
                raise ComponentConfigError(getattr(self.owner, "FLAVOR", self.owner.__name__), [refused])
            problems.append(refused)
            return None
        try:
            if self.required and not self.allow_empty and isinstance(value, str) and not value.strip():
                if is_text_type(self.field_type()):
                    raise ValueError("must not be empty")
            return structure_value(value, self.field_type())
        except ValueError as exc:
            problems = _PROBLEMS.get()
            if problems is None:
                raise ValueError(f"{self.name}: {exc}") from None
            problems.append(f"{self.name}: {exc}")
            return None

    def _refused_reference(self, value: Any) -> str | None:
        """Why ``value`` cannot be given to this field for secrets' sake (never quoting the value)."""
        from stackyard.secrets import find_references, reference_example

        if self.secret and value is not None and not find_references(value):
            return (
                f"{self.name}: is sensitive, so it takes a secret reference such as "
                f"'{reference_example(key=self.name)}', not a plain value; store the value with "
                f"stackyard secret register my_secret --{self.name}"
            )
        if find_references(value) and getattr(self.owner, "TYPE", None) is StackComponentType.SECRETS_MANAGER:
            return f"{self.name}: a secrets manager's parameters cannot reference secrets; give the value itself"
        return None


def _resolved_types(cls: type) -> dict[str, Any]:
    try:  # each class's annotations resolve in its own module
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - one unresolvable annotation: resolve the others one by one
        pass
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        namespace = dict(vars(module)) if module else {}
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if isinstance(annotation, str):
                try:
                    annotation = eval(annotation, namespace, dict(vars(klass)))  # noqa: S307 - annotations are code
                except Exception:  # noqa: BLE001 - e.g. a name imported only for type checkers
                    annotation = Any
            hints[name] = annotation
    return hints


def _transform_fields(cls: type, fields: list[attrs.Attribute]) -> list[attrs.Attribute]:
    result = []
    for field in fields:
        if field.name.startswith("_"):
            default = None if field.default is attrs.NOTHING else field.default
            if isinstance(default, _MUTABLE_DEFAULTS):
                default = attrs.Factory(functools.partial(copy.deepcopy, default))
            result.append(field.evolve(init=False, default=default, eq=False, repr=False))
            continue
        if field.name in RESERVED_FIELDS:
            raise InvalidFlavorError(
                f"{cls.__module__}.{cls.__qualname__} declares a parameter named "
                f"'{field.name}', which is reserved; rename it."
            )
        changes: dict[str, Any] = {}
        if isinstance(field.default, _MUTABLE_DEFAULTS):
            changes["default"] = attrs.Factory(functools.partial(copy.deepcopy, field.default))
        if field.converter is None:
            changes["converter"] = _FieldConverter(
                cls,
                field.name,
                required=field.default is attrs.NOTHING and field.name != "name",  # names: validate_name
                allow_empty=bool(field.metadata.get(ALLOW_EMPTY)),
                secret=bool(field.metadata.get(SECRET)),
            )
        result.append(field.evolve(**changes) if changes else field)
    return result


def _attrs_ify(cls: type) -> None:
    """Turn ``cls`` into a keyword-only attrs class, in place (no slots)."""
    attrs.define(
        cls,
        slots=False,
        kw_only=True,
        auto_attribs=True,
        field_transformer=_transform_fields,
    )


@dataclass_transform(kw_only_default=True, field_specifiers=(attrs.field, attrs.Factory, SecretField))
class _ComponentMeta(ABCMeta):
    """Makes every subclass an attrs class and checks concrete flavors at definition."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any):
        cls = super().__new__(mcls, name, bases, namespace, **kw)
        _attrs_ify(cls)
        if bases and not cls.__abstractmethods__:
            _check_concrete_flavor(cls)
        return cls


def _check_concrete_flavor(cls: type) -> None:
    where = f"{cls.__module__}.{cls.__qualname__}"
    component_type = getattr(cls, "TYPE", None)
    if not isinstance(component_type, StackComponentType):
        raise InvalidFlavorError(
            f"{where} is a concrete stack component without a TYPE; subclass one of the "
            "base classes such as stackyard.artifact_stores.BaseArtifactStore."
        )
    flavor = getattr(cls, "FLAVOR", None)
    if not isinstance(flavor, str):
        raise InvalidFlavorError(
            f"{where} is a concrete {component_type.display_name} without a FLAVOR; "
            'add FLAVOR: ClassVar[str] = "my-flavor".'
        )
    try:
        validate_name("flavor", flavor)
    except InvalidNameError as exc:
        raise InvalidFlavorError(f"{where}: {exc}") from None


class StackComponent(metaclass=_ComponentMeta):
    """Abstract base of all stack components.

    Instance fields are the component's configuration; ``TYPE`` and ``FLAVOR``
    are class variables set by the base class of each type and by each flavor.
    """

    TYPE: ClassVar[StackComponentType]
    FLAVOR: ClassVar[str]
    RUNTIME_OPTIONS: ClassVar[Mapping[str, Any] | frozenset[str]] = frozenset()
    """Runtime options (``pipeline.run(option=...)``) this flavor reads, as name → type
    (``{"max_workers": int}``: converted before the run is recorded) or a set of names (any value)."""

    IS_LOCAL: ClassVar[bool] = False
    """Whether the component keeps its data on this machine's disk (a local folder, a SQLite file), so
    processes on other machines cannot reach it; remote orchestrators refuse such stores (see :attr:`is_local`)."""

    name: str
    uuid: UUID = attrs.field(factory=uuid4)

    _stack = None  # not a field: the stack of the run using this component, set for the run's duration

    def __attrs_post_init__(self) -> None:
        validate_name("stack component", self.name)

    # -- identity -------------------------------------------------------

    @property
    def type(self) -> StackComponentType:
        """The component's type (``TYPE``)."""
        return self.TYPE

    @property
    def is_local(self) -> bool:
        """Whether this component lives on this machine's disk only (``IS_LOCAL``; a flavor may decide per instance)."""
        return self.IS_LOCAL

    @property
    def flavor(self) -> str:
        """The component's flavor name (``FLAVOR``)."""
        return self.FLAVOR

    @property
    def config(self) -> dict[str, Any]:
        """The flavor's parameters as plain data (everything but name and uuid), secret references unresolved."""
        from stackyard.serialization import unstructure_value

        result = {}
        for field in attrs.fields(type(self)):
            if field.init and field.name not in ("name", "uuid"):
                result[field.name] = unstructure_value(getattr(self, field.name))
        from stackyard.secrets import stored_config

        return stored_config(self, result)  # a copy resolved for a run still shows its references

    # -- building ---------------------------------------------------------

    @classmethod
    def from_record(cls, record: ComponentRecord) -> StackComponent:
        """Build a component from its stored form (type and flavor must be this class's)."""
        for key, found, expected in (("type", record.type.value, cls.TYPE.value), ("flavor", record.flavor, cls.FLAVOR)):
            if found != expected:
                raise ComponentConfigError(cls.FLAVOR, [f"{key} is '{found}' but {cls.__name__} is '{expected}'"])
        return cls.from_config(record.name, record.config, uuid=record.uuid)

    @classmethod
    def from_config(
        cls, name: str, config: Mapping[str, Any], *, uuid: UUID | str | None = None
    ) -> StackComponent:
        """Build a component from parameters given as Python values, TOML data or strings.

        Each value is converted once, by its field's converter. Every unknown,
        missing or ill-typed parameter is reported at once in a
        :class:`~stackyard.exceptions.ComponentConfigError`.
        """
        from stackyard.serialization import shorten

        params = parameters(cls, with_docs=False)  # reading docs parses the class's source: not needed here
        problems: list[str] = []
        unknown = sorted(set(config) - set(params) - {"name", "uuid"})
        if unknown:
            shown = [k if k.isidentifier() and len(k) <= 60 else shorten(k) for k in map(str, unknown)]
            problems.append("unknown parameter" + ("s " if len(unknown) > 1 else " ") + ", ".join(shown))
        missing = [p.name for p in params.values() if p.required and p.name not in config]
        if missing:
            problems.append("missing required parameter" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
        valid = [p.describe() for p in params.values()]
        if problems:  # the component cannot be built: still name every ill-typed value
            for key, raw in config.items():
                field = attrs.fields_dict(cls).get(key)
                converter = getattr(field, "converter", None)
                if key in params and isinstance(converter, _FieldConverter):
                    try:
                        converter(raw)
                    except ComponentConfigError as exc:  # a plain value for a secret field
                        problems.extend(exc.problems)
                    except ValueError as exc:
                        problems.append(str(exc))
            raise ComponentConfigError(cls.FLAVOR, problems, valid)
        kwargs: dict[str, Any] = {"name": name, **{k: v for k, v in config.items() if k in params}}
        if uuid is not None:
            kwargs["uuid"] = uuid
        token = _PROBLEMS.set(problems)
        try:
            component = cls(**kwargs)
        except InvalidNameError:
            raise
        except (ValueError, TypeError) as exc:
            if not problems:  # else it comes from a bad value, already reported, seen as None by later checks
                problems.append(str(exc))
        finally:
            _PROBLEMS.reset(token)
        if problems:
            raise ComponentConfigError(cls.FLAVOR, problems, valid)
        return component

    # -- lifecycle ------------------------------------------------------

    @classmethod
    def create_default(cls, name: str, local_stores_path: str) -> StackComponent:
        """The component this flavor contributes to a new profile's default stack.

        ``local_stores_path`` is a folder under the global config directory
        where a local flavor may keep its data.
        """
        return cls(name=name)

    def validate_stack(self, stack: Stack) -> list[str]:
        """Problems with ``stack`` from this component's point of view (empty if none)."""
        return []

    def prepare_pipeline_deployment(
        self, pipeline: Any, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> None:
        """Called before a pipeline is deployed, with the run's runtime configuration."""

    def prepare_pipeline_run(self, info: PipelineRunInfo) -> None:
        """Called once before the first step of run ``info`` executes (in the orchestrating process)."""

    def prepare_step_run(self, info: StepRunInfo) -> None:
        """Called before each step executes, in the process that runs the step."""

    def cleanup_step_run(self, info: StepRunInfo, outcome: Outcome) -> None:
        """Called after each step, also when it failed (``outcome.status``, ``outcome.exception``)."""

    def cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome) -> None:
        """Called after the run, also when it failed (``outcome.status``, ``outcome.exception``)."""


class Parameter:
    """One configuration parameter of a flavor, as read from its attrs class."""

    __slots__ = ("name", "type", "default", "required", "doc", "secret")

    def __init__(
        self, name: str, type: Any, default: Any, required: bool, doc: str = "", secret: bool = False
    ) -> None:
        self.name = name
        self.type = type
        self.default = default
        self.required = required
        self.doc = doc
        self.secret = secret
        """Whether it is a :func:`SecretField` (takes only a secret reference)."""

    @property
    def type_name(self) -> str:
        """Readable name of the parameter's type."""
        from stackyard.serialization import type_name

        return type_name(self.type)

    def describe(self) -> str:
        """``name: type`` plus ``(required)`` or ``= default``."""
        if self.required:
            return f"{self.name}: {self.type_name} (required)"
        from stackyard.serialization import unstructure_value

        try:
            shown = unstructure_value(self.default)
        except Exception:  # noqa: BLE001 - an exotic default: show it as Python would
            shown = self.default
        return f"{self.name}: {self.type_name} = {shown!r}"

    def __repr__(self) -> str:
        return f"Parameter({self.describe()})"


def parameters(cls: type[StackComponent], *, with_docs: bool = True) -> dict[str, Parameter]:
    """The configurable parameters of a flavor class (not name, uuid or runtime state).

    A parameter's ``doc`` comes from ``attrs.field(metadata={"doc": ...})`` or,
    in the plain style, from a string literal right below the field (read
    from the class's source, so only ``with_docs``).
    """
    hints = _resolved_types(cls)
    docs = _attribute_docs(cls) if with_docs else {}
    result = {}
    for field in attrs.fields(cls):
        if not field.init or field.name in ("name", "uuid"):
            continue
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory() if not default.takes_self else None  # type: ignore[union-attr]
        required = field.default is attrs.NOTHING
        result[field.name] = Parameter(
            field.name,
            hints.get(field.name, field.type if field.type is not None else Any),
            None if required else default,
            required,
            str(field.metadata.get("doc", "")) or docs.get(field.name, ""),
            bool(field.metadata.get(SECRET)),
        )
    return result


def _attribute_docs(cls: type) -> dict[str, str]:
    """Docstrings written under annotated fields (``x: int = 1`` then ``\"\"\"The x.\"\"\"``), subclasses winning."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        docs.update(_class_attribute_docs(klass))
    return docs


@functools.lru_cache(maxsize=None)
def _class_attribute_docs(klass: type) -> dict[str, str]:
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
    except (OSError, TypeError, SyntaxError):  # no source (built in a REPL, zipped, ...)
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for node, following in zip(body, body[1:]):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs

