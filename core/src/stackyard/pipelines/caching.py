"""Step caching: a step is served from cache when nothing that decides its outputs has changed.

The cache key covers the step's code, its parameters, the identity of each
input (content hash, else artifact id) and the materializer that wrote it,
the step's explicit materializers, and the artifact store. A hit also needs
every cached output to still exist and its materializer to be unchanged.

Parameters enter the key exactly: values JSON holds as they are (``str``,
``int``, ``float``, ``bool``, ``None``, lists and ``str``-keyed dicts of
them) as JSON, anything else as the SHA-256 of its pickle (protocol 5). A
step with a parameter that cannot be pickled has no key: it runs uncached.
What is *recorded* as the step's parameters is a readable form instead
(:func:`readable_parameters`), with ``repr`` for what JSON cannot hold.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.materializers.base_materializer import materializer_path
from stackyard.pipelines.artifacts import identity

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.metadata_stores import BaseMetadataStore
    from stackyard.pipelines.graph import StepInvocation

KEY_VERSION = "2"

_JSON_SCALARS = (str, int, float, bool, type(None))
_PICKLED = "__stackyard_pickle_sha256__"
_REPR_LIMIT = 200


class UncacheableParametersError(Exception):
    """Some parameters of a step cannot be pickled, so the step has no exact cache key."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        self.reasons = dict(reasons)
        super().__init__(", ".join(f"'{name}' ({why})" for name, why in self.reasons.items()))


def parameters_key(parameters: Mapping[str, Any]) -> str:
    """The exact text of ``parameters`` in a cache key (``UncacheableParametersError`` if some cannot be pickled).

    JSON for what JSON gives back exactly; for anything else (a numpy array,
    a tuple, an object) a marker holding the SHA-256 of its pickle, so two
    values share a key only if they pickle to the same bytes. The paths of
    the pickled values are part of the key too, so a plain dict that happens
    to look like a marker cannot collide with one.
    """
    pickled: list[str] = []
    reasons: dict[str, str] = {}
    converted = {}
    for name in sorted(parameters):
        try:
            converted[name] = _key_value(parameters[name], name, pickled)
        except _Unpicklable as exc:
            reasons[name] = str(exc)
        except RecursionError:
            reasons[name] = "it contains itself, or is nested too deeply"
    if reasons:
        raise UncacheableParametersError(reasons)
    return json.dumps([converted, pickled], sort_keys=True, separators=(",", ":"))


class _Unpicklable(Exception):
    pass


def _key_value(value: Any, path: str, pickled: list[str]) -> Any:
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is list:
        return [_key_value(item, f"{path}[{i}]", pickled) for i, item in enumerate(value)]
    if kind is dict and all(type(k) is str for k in value):
        return {k: _key_value(v, f"{path}.{k}", pickled) for k, v in value.items()}
    pickled.append(path)
    return {_PICKLED: pickle_digest(value)}


def pickle_digest(value: Any) -> str:
    """SHA-256 of ``value`` pickled with protocol 5 (``_Unpicklable`` saying why if it cannot be).

    Large buffers (numpy arrays) are hashed where they are instead of being
    copied into the pickle: the result is as exact as hashing ``pickle.dumps``.
    """
    digest = hashlib.sha256()
    buffers: list[pickle.PickleBuffer] = []
    try:
        data = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    except Exception as exc:  # noqa: BLE001 - PicklingError, TypeError, AttributeError, RecursionError, ...
        raise _Unpicklable(f"a {type(value).__module__}.{type(value).__qualname__}: {type(exc).__name__}: {exc}") from None
    digest.update(data)
    for buffer in buffers:
        with buffer.raw() as raw:
            digest.update(len(raw).to_bytes(8, "little"))
            digest.update(raw)
    return digest.hexdigest()


def readable_parameters(parameters: Mapping[str, Any]) -> str:
    """Parameters as JSON to record with the step: values JSON cannot hold as a short ``repr``."""
    return json.dumps(_readable(dict(parameters), 0), sort_keys=True, separators=(",", ":"))


def _readable(value: Any, depth: int) -> Any:
    if type(value) in _JSON_SCALARS:
        return value
    if depth < 20 and type(value) in (list, tuple):
        return [_readable(item, depth + 1) for item in value]
    if depth < 20 and type(value) is dict:
        return {k if isinstance(k, str) else repr(k): _readable(v, depth + 1) for k, v in value.items()}
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not stop the run
        text = f"<{type(value).__qualname__}>"
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def cache_key(
    invocation: StepInvocation,
    inputs: Mapping[str, Mapping[str, Any]],
    artifact_store: BaseArtifactStore,
) -> str:
    """The cache key of one step call with these input artifacts.

    Raises :class:`UncacheableParametersError` if a parameter cannot be pickled.
    """
    step = invocation.step
    parts = [
        KEY_VERSION,
        step.source_hash,
        parameters_key(invocation.parameters),
        ",".join(step.output_names),
        f"{artifact_store.FLAVOR}:{artifact_store.path}",  # the same store, even if rebuilt with a new uuid
    ]
    for name in sorted(inputs):
        record = inputs[name]
        parts.append(f"in:{name}={identity(record)}@{record.get('materializer')}")
    for name in sorted(step.materializers):
        cls = step.materializers[name]
        parts.append(f"out:{name}={materializer_path(cls)}@{cls.VERSION}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def find_cached_outputs(
    metadata_store: BaseMetadataStore, artifact_store: BaseArtifactStore, key: str
) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """``(step id, outputs by name)`` of an earlier run of this step whose outputs are intact, or ``None``."""
    from stackyard.materializers.registry import get_materializer_registry

    registry = get_materializer_registry()
    for step_id, outputs in metadata_store.find_cached_outputs(key):
        if all(_usable(a, artifact_store, registry) for a in outputs.values()):
            return step_id, outputs
    return None


def _usable(artifact: Mapping[str, Any], artifact_store: BaseArtifactStore, registry: Any) -> bool:
    try:
        cls = registry.get(artifact["materializer"])
    except Exception:  # noqa: BLE001 - a materializer that is gone means a miss
        return False
    if (artifact.get("extra") or {}).get("materializer_version", 1) != cls.VERSION:
        return False
    return artifact_store.exists(artifact["uri"])
