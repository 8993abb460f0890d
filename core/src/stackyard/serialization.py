"""Converting component configuration between Python values, plain dicts and strings.

One cattrs converter does the work: it unstructures values to TOML-friendly
plain data and structures user input (TOML values, Python keyword arguments
and the CLI's ``--key=value`` strings) into the annotated types of a flavor's
fields. Conversions are strict: ``"3"`` becomes ``3`` for an ``int`` field, but
``3.5`` does not, and lists and dicts given as strings must be JSON.
"""

from __future__ import annotations

import functools
import json
import typing
from enum import Enum
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    import cattrs

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an integer, got {value!r}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a number, got {value!r}")


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, PurePath):
        return str(value)
    raise ValueError(f"expected a string, got {value!r}")


def _structure_path(value: Any, tp: type) -> Any:
    if isinstance(value, (str, PurePath)):
        return tp(value)
    raise ValueError(f"expected a path, got {value!r}")


def _structure_uuid(value: Any, _: type) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise ValueError(f"expected a UUID, got {value!r}") from None


def _structure_enum(value: Any, tp: type[Enum]) -> Enum:
    if isinstance(value, tp):
        return value
    for member in tp:
        if value == member.value or (isinstance(value, str) and value == member.name):
            return member
    choices = ", ".join(repr(m.value) for m in tp)
    raise ValueError(f"expected one of {choices}, got {value!r}")


def _is_container(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return isinstance(origin, type) and issubclass(
        origin, (list, tuple, set, frozenset, dict)
    ) and not issubclass(origin, (str, bytes))


def _json_container_hook(base: cattrs.Converter, tp: Any) -> Any:
    origin = typing.get_origin(tp) or tp
    want = "an object" if issubclass(origin, dict) else "a list"

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError(f"expected {want} as JSON text, got {value!r}") from None
        if issubclass(origin, dict) and not isinstance(value, dict):
            raise ValueError(f"expected {want}, got {value!r}")
        if not issubclass(origin, dict) and not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"expected {want}, got {value!r}")
        return base.structure(value, tp)

    return structure


def _register_scalars(conv: cattrs.Converter) -> None:
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(UUID, _structure_uuid)
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, PurePath), _structure_path
    )
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, Enum), _structure_enum
    )
    conv.register_unstructure_hook(UUID, str)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, PurePath), str
    )
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, (set, frozenset)),
        lambda v: [converter().unstructure(x) for x in sorted(v, key=repr)],
    )


@functools.lru_cache(maxsize=None)
def converter() -> cattrs.Converter:
    """The converter used for every component configuration value."""
    import cattrs

    base = cattrs.Converter()
    _register_scalars(base)
    conv = cattrs.Converter()
    _register_scalars(conv)
    conv.register_structure_hook_factory(
        _is_container, functools.partial(_json_container_hook, base)
    )
    return conv


def structure_value(value: Any, tp: Any) -> Any:
    """Convert ``value`` to type ``tp``; raise ``ValueError`` with a short reason."""
    if tp is Any or tp is typing.Any:
        return value
    if _is_optional(tp):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            return None
        tp = _strip_none(tp)
    try:
        return converter().structure(value, tp)
    except ValueError:
        raise
    except Exception as exc:  # cattrs raises several kinds; fold them into one reason
        raise ValueError(_reason(exc, tp, value)) from None


def unstructure_value(value: Any) -> Any:
    """Turn a configuration value into plain data (str, int, float, bool, list, dict)."""
    return converter().unstructure(value)


def _is_optional(tp: Any) -> bool:
    return type(None) in typing.get_args(tp) and _is_union(tp)


def _is_union(tp: Any) -> bool:
    import types

    origin = typing.get_origin(tp)
    return origin is typing.Union or origin is getattr(types, "UnionType", None)


def _strip_none(tp: Any) -> Any:
    args = tuple(a for a in typing.get_args(tp) if a is not type(None))
    return args[0] if len(args) == 1 else typing.Union[args]  # noqa: UP007


def _reason(exc: BaseException, tp: Any, value: Any) -> str:
    nested = getattr(exc, "exceptions", None)
    if nested:
        return "; ".join(_reason(e, tp, value) for e in nested)
    text = str(exc)
    if isinstance(exc, ValueError) and text:
        return text
    name = getattr(tp, "__name__", None) or str(tp).replace("typing.", "")
    return f"expected {name}, got {value!r}"


def type_name(tp: Any) -> str:
    """A readable name for a field's type, e.g. ``int``, ``list[str]``, ``str | None``."""
    if isinstance(tp, str):
        return tp
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return str(tp).replace("typing.", "").replace("NoneType", "None")
