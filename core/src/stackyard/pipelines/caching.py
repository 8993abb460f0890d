"""Step caching: a step is served from cache when nothing that decides its outputs has changed.

The cache key covers the step's code, its parameters, the identity of each
input (content hash, else artifact id) and the materializer that wrote it,
the step's explicit materializers, and the artifact store. A hit also needs
every cached output to still exist and its materializer to be unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.materializers.base_materializer import materializer_path
from stackyard.pipelines.artifacts import identity

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.metadata_stores import BaseMetadataStore
    from stackyard.pipelines.graph import StepInvocation

KEY_VERSION = "1"


def canonical_json(value: Any) -> str:
    """Parameters as stable JSON (sorted keys; ``repr`` for what JSON cannot hold)."""
    return json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))


def cache_key(
    invocation: StepInvocation,
    inputs: Mapping[str, Mapping[str, Any]],
    artifact_store: BaseArtifactStore,
    parameters_json: str,
) -> str:
    """The cache key of one step call with these input artifacts."""
    step = invocation.step
    parts = [
        KEY_VERSION,
        step.source_hash,
        parameters_json,
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
    for candidate in metadata_store.find_cached_steps(key):
        outputs = {a["name"]: a for a in metadata_store.get_artifacts(candidate["id"]) if a["direction"] == "output"}
        if all(_usable(a, artifact_store, registry) for a in outputs.values()):
            return candidate["id"], outputs
    return None


def _usable(artifact: Mapping[str, Any], artifact_store: BaseArtifactStore, registry: Any) -> bool:
    try:
        cls = registry.get(artifact["materializer"])
    except Exception:  # noqa: BLE001 - a materializer that is gone means a miss
        return False
    if (artifact.get("extra") or {}).get("materializer_version", 1) != cls.VERSION:
        return False
    return artifact_store.exists(artifact["uri"])
