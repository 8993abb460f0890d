"""Loading a pipeline from ``path/to/file.py:name`` and a run configuration from a TOML file.

Used by ``stackyard pipeline run``. The file is imported as a module named
after it, with its folder on ``sys.path``, so it can import its neighbours
and so worker processes can import its steps again.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stackyard.exceptions import PipelineLoadError
from stackyard.pipelines.pipeline import Pipeline, PipelineInstance

RUN_CONFIG_KEYS = ("run_name", "enable_cache", "parameters", "runtime_configuration")


def load_pipeline(spec: str) -> Pipeline | PipelineInstance:
    """The ``@pipeline`` (or pipeline instance) named ``name`` in ``path/to/file.py:name``."""
    path_text, _, name = spec.rpartition(":")
    if not path_text or not name:
        raise PipelineLoadError(f"'{spec}' does not name a pipeline; use path/to/file.py:pipeline_name.")
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise PipelineLoadError(f"No file {path_text}; give the path of the Python file that defines the pipeline.")
    module = _import_file(path)
    found = getattr(module, name, None)
    if isinstance(found, (Pipeline, PipelineInstance)):
        return found
    available = sorted(n for n, v in vars(module).items() if isinstance(v, (Pipeline, PipelineInstance)))
    what = "has no attribute" if found is None else "has, but it is not a @pipeline:"
    raise PipelineLoadError(
        f"{path_text} {what} '{name}'; pipelines in it: {', '.join(available) or 'none'}."
    )


def _import_file(path: Path) -> Any:
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) != str(path):
        name = f"stackyard_pipeline_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PipelineLoadError(f"{path} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise PipelineLoadError(f"Importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module


def read_run_config(path: str | Path) -> dict[str, Any]:
    """A run configuration file: ``run_name``, ``enable_cache``, ``[parameters]``, ``[runtime_configuration]``."""
    from stackyard.files import read_toml

    data = dict(read_toml(Path(path)))
    data.pop("schema_version", None)
    unknown = sorted(set(data) - set(RUN_CONFIG_KEYS))
    if unknown:
        raise PipelineLoadError(
            f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"valid keys: {', '.join(RUN_CONFIG_KEYS)}."
        )
    for table in ("parameters", "runtime_configuration"):
        if not isinstance(data.get(table, {}), Mapping):
            raise PipelineLoadError(f"{path}: '{table}' must be a table ([{table}]).")
    return data


def parameter_types(definition: Pipeline) -> dict[str, Any]:
    """The annotated type of each parameter of a pipeline (string annotations resolved where they can be)."""
    import typing

    try:
        hints = typing.get_type_hints(definition.entrypoint)
    except Exception:  # noqa: BLE001 - an annotation naming something not importable here
        hints = {}
    types = {}
    for name, parameter in definition.signature.parameters.items():
        annotation = hints.get(name, parameter.annotation)
        if not isinstance(annotation, str):  # an unresolvable string annotation says nothing usable
            types[name] = annotation
    return types


def parse_value(text: str, annotation: Any = inspect.Parameter.empty, name: str | None = None) -> Any:
    """A ``--param`` value: converted to the parameter's annotated type, else read as a TOML value.

    With an annotation, a value that neither converts to it nor reads (as
    TOML, else as the text itself) as an instance of it raises
    :class:`PipelineLoadError`: ``--param count expects int, got 'abc'``.
    """
    if annotation is inspect.Parameter.empty or annotation is Any or isinstance(annotation, str):
        return _toml_or_text(text)
    from stackyard.serialization import structure_value, type_name

    try:
        return structure_value(text, annotation)
    except (ValueError, TypeError):
        pass
    value = _toml_or_text(text)  # what the converter cannot build (e.g. int | str) may still fit
    try:
        if isinstance(value, annotation):
            return value
    except TypeError:  # a generic alias isinstance cannot check
        pass
    what = f"--param {name} expects" if name else "expected"
    raise PipelineLoadError(f"{what} {type_name(annotation)}, got {text!r}")


def _toml_or_text(text: str) -> Any:
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(pairs: tuple[str, ...] | list[str], what: str) -> dict[str, str]:
    """``["key=value", ...]`` as a dict of strings (``PipelineLoadError`` for a pair without ``=``)."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PipelineLoadError(f"--{what} '{pair}' is not KEY=VALUE.")
        result[key.strip()] = value
    return result
