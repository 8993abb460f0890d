"""Writing step outputs to the artifact store and reading them back, one folder per artifact."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import ArtifactNotFoundError, MaterializerError
from stackyard.materializers.base_materializer import materializer_path
from stackyard.materializers.registry import get_materializer_registry
from stackyard.plugins.classes import import_object

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.materializers import BaseMaterializer
    from stackyard.materializers.base_materializer import WrittenFile

logger = logging.getLogger("stackyard")

HASH_LIMIT = 64 * 1024 * 1024
"""Artifacts identified by content get a SHA-256 content hash up to this many bytes; larger ones are identified by id.

Only outputs of steps that ran without their cache (``enable_cache=False``
on the step, pipeline or run, or parameters that cannot be pickled) are
identified by content: see "The content key" in docs/pipelines.md. Files
are hashed while they are written (see
:class:`~stackyard.materializers.base_materializer.HashingWriter`), so
nothing is read back; but SHA-256 itself runs at about 1.4 GB/s, slower
than writing to the page cache, so hashing a 200 MB array would still cost
more than writing it. A step whose input is not hashed is cached on the
artifact's id instead (still a hit when the step that made it came from
cache).
"""

FINGERPRINT_LIMIT = 64 * 1024
"""Artifacts identified by provenance still get a SHA-256 content hash up to this many bytes.

Hashing that much costs a few microseconds, far less than creating the
file, so small values keep a content hash to show; it is never their
identity in a cache key.
"""

_warned_types: set[str] = set()
_types: dict[str, type | None] = {}


def type_path(data_type: type) -> str:
    """``module.QualName`` of a type, as recorded on an artifact."""
    return f"{data_type.__module__}.{data_type.__qualname__}"


def resolve_type(path: str | None) -> type | None:
    """The type recorded as ``path``, or ``None`` if it cannot be imported (e.g. a local class)."""
    if not path:
        return None
    if path not in _types:
        try:
            found = import_object(path)
            _types[path] = found if isinstance(found, type) else None
        except Exception:  # noqa: BLE001
            _types[path] = None
    return _types[path]


def write_artifact(
    artifact_store: BaseArtifactStore,
    folder: str,
    value: Any,
    materializer: type[BaseMaterializer] | None = None,
    *,
    artifact_id: str | None = None,
    provenance: str | None = None,
) -> dict[str, Any]:
    """Write ``value`` into a new folder under ``folder`` (named ``artifact_id``, default: a new id); return its record.

    The record has ``id``, ``uri``, ``data_type``, ``materializer``, ``size``,
    ``content_hash`` and ``extra`` (the materializer's version, metadata and
    warnings). Without ``provenance`` the artifact is identified by content:
    it is hashed up to :data:`HASH_LIMIT` bytes. With ``provenance`` (see
    :func:`provenance_key`) that is its identity, recorded as
    ``extra["provenance"]``, and nothing past :data:`FINGERPRINT_LIMIT` is hashed.
    """
    data_type = type(value)
    registry = get_materializer_registry()
    if materializer is not None:
        registry.remember(materializer)  # explicit ones may not be importable by path (local classes)
    cls = materializer or registry.for_type(data_type)
    artifact_id = artifact_id or uuid.uuid4().hex
    uri = f"{folder}/{artifact_id}"
    instance = cls(uri, artifact_store)
    limit = HASH_LIMIT if provenance is None else FINGERPRINT_LIMIT
    instance.written, instance.hash_limit = {}, limit  # hash files as they are written
    try:
        instance.save(value)  # writing a file creates the folder
    except Exception as exc:
        raise MaterializerError(
            f"{cls.__name__} could not write a {type_path(data_type)} to {uri}: {type(exc).__name__}: {exc}"
        ) from exc
    if not instance.written and not artifact_store.exists(uri):  # a materializer that wrote no file
        artifact_store.makedirs(uri)
    size, content_hash = measure(artifact_store, uri, instance.written, limit)
    for warning in instance.metadata.get("warnings", ()):
        key = f"{cls.__name__}:{type_path(data_type)}"
        if key not in _warned_types:
            _warned_types.add(key)
            logger.warning("%s", warning)
    return {
        "id": artifact_id,
        "uri": uri,
        "data_type": type_path(data_type),
        "materializer": materializer_path(cls),
        "size": size,
        "content_hash": content_hash,
        "extra": {
            "materializer_version": cls.VERSION,
            **instance.metadata,
            **({"provenance": provenance} if provenance is not None else {}),
        },
    }


def measure(
    artifact_store: BaseArtifactStore,
    uri: str,
    written: Mapping[str, WrittenFile | None] | None = None,
    limit: int | None = None,
) -> tuple[int, str | None]:
    """Total size of the files under ``uri``, and their content hash if at most ``limit`` (default :data:`HASH_LIMIT`) bytes.

    The content hash is the SHA-256 of each file's relative name, size and
    SHA-256, in name order. A file's SHA-256 comes from ``written`` (what a
    :class:`~stackyard.materializers.base_materializer.HashingWriter` saw)
    when that matches the file's size; any other file is read back.
    """
    seen_files = written or {}
    files = _files_written_at_top(artifact_store, uri, seen_files)
    if files is None:
        files = []
        for folder, _dirs, names in artifact_store.walk(uri):
            relative = folder[len(uri):].strip("/")
            files.extend((f"{relative}/{name}" if relative else name, f"{folder}/{name}") for name in names)
        files.sort()
    sizes = [_written_size(seen_files.get(name)) or artifact_store.size(path) for name, path in files]
    total = sum(sizes)
    if total > (HASH_LIMIT if limit is None else limit):
        return total, None
    digest = hashlib.sha256()
    for (name, path), size in zip(files, sizes):
        seen = (written or {}).get(name)
        if seen is not None and seen.size == size and seen.sha256 is not None:
            file_hash = seen.sha256
        else:
            file_digest = hashlib.sha256()
            with artifact_store.open(path, "rb") as f:
                while chunk := f.read(1024 * 1024):
                    file_digest.update(chunk)
            file_hash = file_digest.hexdigest()
        digest.update(f"{name}\0{size}\0{file_hash}\n".encode())
    return total, digest.hexdigest()


def _files_written_at_top(
    artifact_store: BaseArtifactStore, uri: str, written: Mapping[str, WrittenFile | None]
) -> list[tuple[str, str]] | None:
    """``(name, path)`` of the files in ``uri``, sorted, from one listing, if they are exactly the ones
    followed as they were written (the common case: one or a few files, no subfolder); else ``None``.

    A subfolder, or a file written past the materializer's writer, shows up in
    the listing as a name not in ``written``; then the caller walks the folder.
    """
    if not written or any("/" in name or _written_size(seen) is None for name, seen in written.items()):
        return None
    names = sorted(artifact_store.listdir(uri))
    if names != sorted(written):
        return None
    return [(name, f"{uri}/{name}") for name in names]


def _written_size(seen: WrittenFile | None) -> int | None:
    """The size of a file known from what went through its writer (no seek, truncate or short write), else ``None``."""
    return seen.size if seen is not None and seen.size else None


def read_artifact(artifact_store: BaseArtifactStore, record: Mapping[str, Any]) -> Any:
    """Load an artifact by its record, with the materializer that wrote it."""
    uri = record["uri"]
    cls = get_materializer_registry().get(record["materializer"])
    instance = cls(uri, artifact_store)
    instance.metadata = dict(record.get("extra") or {})
    try:
        return instance.load(resolve_type(record.get("data_type")))
    except FileNotFoundError:
        if not artifact_store.exists(uri):
            raise ArtifactNotFoundError(
                f"The artifact {uri} is missing from the artifact store '{artifact_store.name}'; "
                "re-run the step that made it (with enable_cache=False)."
            ) from None
        raise


def provenance_key(cache_key: str, output: str) -> str:
    """The provenance of output ``output`` of a step call with this cache key: what made it, not its bytes."""
    return f"provenance:{cache_key}:{output}"


def identity(record: Mapping[str, Any]) -> str:
    """What identifies an input artifact in a cache key: its provenance, else its content hash, else its id.

    The three never look alike (``provenance:<key>:<output>``, 64 hex digits,
    32 hex digits), so records written before provenance existed keep their
    content hash as identity and stay valid cache entries.
    """
    extra = record.get("extra")
    provenance = extra.get("provenance") if isinstance(extra, Mapping) else None
    return str(provenance or record.get("content_hash") or record["id"])
