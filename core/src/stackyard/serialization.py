"""Converting component configuration between Python values, plain dicts and strings.

One cattrs converter does the work: it unstructures values to TOML-friendly
plain data and structures user input (TOML values, Python keyword arguments
and the CLI's ``--key=value`` strings) into the annotated types of a flavor's
fields. Conversions are strict: ``"3"`` becomes ``3`` for an ``int`` field, but
``3.5`` does not, and lists and dicts given as strings must be JSON.

Every converted value must also be storable in TOML, and is checked before
anything is written (:func:`storable_problem`): no ``None``/``null`` inside
lists or tables (TOML has no null; a top-level ``None`` for an optional
parameter means "unset" and is not stored), no text that is not valid Unicode
(surrogates, e.g. from undecodable bytes on the command line), integers within
signed 64 bits, no NaN (it never equals itself, so a stored component would
never match its own record; ``inf`` is allowed), table keys that are text, and
at most :data:`MAX_DEPTH` levels of nesting. Bad values are shown shortened
(:func:`shorten`).
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

MAX_DEPTH = 64
"""How deeply lists and tables may nest in one value."""
MAX_SHOWN = 60
"""How many characters of a bad value an error message shows."""
_INT64 = (-(2**63), 2**63 - 1)
_NULL = "null is not allowed (TOML has no null)"

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


def shorten(value: Any, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` cut to ``limit`` characters (ending with ``…``), for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for Python to print
        return f"<an integer of {value.bit_length()} bits>" if isinstance(value, int) else "<a value>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def storable_problem(value: Any) -> str | None:
    """Why ``value`` (plain data) cannot be stored in TOML, or ``None`` if it can.

    A top-level ``None`` is fine (an unset optional parameter); values of
    types other than plain data are not judged here.
    """
    return None if value is None else _problem(value, "", 0)


def _problem(value: Any, where: str, depth: int) -> str | None:
    at = f" (at {where if len(where) <= MAX_SHOWN else where[: MAX_SHOWN - 1] + '…'})" if where else ""
    if value is None:
        return _NULL + at
    if isinstance(value, str):
        return None if value.isascii() or _is_text(value) else f"{shorten(value)}{at} is not valid text (undecodable bytes?); use UTF-8"
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return None
        return f"{shorten(value)}{at} is too large: integers must fit in 64 bits (from -2**63 to 2**63-1)"
    if isinstance(value, float):
        return None if value == value else f"nan{at} is not allowed (it never equals itself); use a number"
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        return None
    if depth >= MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"key {shorten(key)}{at} is not text (TOML table keys are strings)"
            problem = _problem(key, where, depth + 1) or _problem(item, f"{where}[{shorten(key, 20)}]", depth + 1)
            if problem:
                return problem
        return None
    for index, item in enumerate(value):
        problem = _problem(item, f"{where}[{index}]", depth + 1)
        if problem:
            return problem
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    raise ValueError(f"expected a boolean (true/false), got {shorten(value)}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {shorten(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an integer, got {shorten(value)}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {shorten(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a number, got {shorten(value)}")


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, PurePath):
        return str(value)
    raise ValueError(f"expected a string, got {shorten(value)}")


def _structure_path(value: Any, tp: type) -> Any:
    if isinstance(value, (str, PurePath)):
        return tp(value)
    raise ValueError(f"expected a path, got {shorten(value)}")


def _structure_uuid(value: Any, _: type) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise ValueError(f"expected a UUID, got {shorten(value)}") from None


def _structure_enum(value: Any, tp: type[Enum]) -> Enum:
    if isinstance(value, tp):
        return value
    for member in tp:
        if value == member.value or (isinstance(value, str) and value == member.name):
            return member
    choices = ", ".join(repr(m.value) for m in tp)
    raise ValueError(f"expected one of {choices}, got {shorten(value)}")


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
            except RecursionError:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
            except ValueError:  # not JSON, or a number Python will not read
                raise ValueError(f"expected {want} as JSON text, got {shorten(value)}") from None
        problem = storable_problem(value)  # before cattrs recurses into it
        if problem:
            raise ValueError(problem)
        if issubclass(origin, dict) and not isinstance(value, dict):
            raise ValueError(f"expected {want}, got {shorten(value)}")
        if not issubclass(origin, dict) and not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"expected {want}, got {shorten(value)}")
        return base.structure(value, tp)

    return structure


_PATHS = frozenset({PurePath, Path, type(Path())})
_SCALARS: dict[type, Any] = {
    bool: _structure_bool,
    int: _structure_int,
    float: _structure_float,
    str: _structure_str,
    UUID: _structure_uuid,
    **dict.fromkeys(_PATHS, _structure_path),
}
"""Types whose hooks :func:`converter` would pick anyway, called directly: building a component of
plain parameters (the common case, and every CLI registration) then never imports cattrs."""


def _register_scalars(conv: cattrs.Converter) -> None:
    for tp, hook in _SCALARS.items():
        if tp not in _PATHS:  # paths: any PurePath subclass, below
            conv.register_structure_hook(tp, hook)
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
    """Convert ``value`` to type ``tp``; raise ``ValueError`` with a short reason.

    The result is storable in TOML (see :func:`storable_problem`), or this raises.
    """
    if tp is Any or tp is typing.Any:
        problem = storable_problem(value)
        if problem:
            raise ValueError(problem)
        return value
    if _is_optional(tp):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            return None
        tp = _strip_none(tp)
    problem = storable_problem(value) if isinstance(value, (str, dict, list, tuple, set, frozenset)) else None
    if problem:  # refused before cattrs recurses into it
        raise ValueError(problem)
    try:
        hook = _SCALARS.get(tp) if isinstance(tp, type) else None
        result = hook(value, tp) if hook is not None else converter().structure(value, tp)
    except (ValueError, RecursionError) as exc:
        raise ValueError(_reason(exc, tp, value)) from None
    except Exception as exc:  # cattrs raises several kinds; fold them into one reason
        raise ValueError(_reason(exc, tp, value)) from None
    try:
        plain = result if isinstance(result, (str, int, float)) else unstructure_value(result)
        problem = storable_problem(plain)
    except Exception:  # noqa: BLE001 - a type cattrs cannot turn into plain data is judged when stored
        problem = None
    if problem:
        raise ValueError(problem)
    return result


def unstructure_value(value: Any) -> Any:
    """Turn a configuration value into plain data (str, int, float, bool, list, dict)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is UUID or kind in _PATHS:
        return str(value)
    return converter().unstructure(value)


def is_text_type(tp: Any) -> bool:
    """Whether values of ``tp`` are text: ``str``, a path, or either of them optional."""
    if _is_optional(tp):
        tp = _strip_none(tp)
    return tp is str or (isinstance(tp, type) and issubclass(tp, PurePath))


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
    return f"expected {name}, got {shorten(value)}"


def type_name(tp: Any) -> str:
    """A readable name for a field's type, e.g. ``int``, ``list[str]``, ``str | None``."""
    if isinstance(tp, str):
        return tp
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return str(tp).replace("typing.", "").replace("NoneType", "None")
