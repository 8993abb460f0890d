"""Artifacts are hashed while they are written: nothing is read back, and the hash depends only on the bytes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard.materializers import BaseMaterializer
from stackyard.materializers.base_materializer import HashingWriter, WrittenFile
from stackyard.pipelines import artifacts
from stackyard.pipelines.artifacts import measure, write_artifact
from stackyard.stack.stack import Stack
from stackyard_local import LocalArtifactStore


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every ``(path, mode)`` the local artifact store opens."""
    calls: list[tuple[str, str]] = []
    original = LocalArtifactStore.open

    def recording(self: LocalArtifactStore, path: str, mode: str = "r") -> Any:
        calls.append((path, mode))
        return original(self, path, mode)

    monkeypatch.setattr(LocalArtifactStore, "open", recording)
    yield calls


def values(tmp_path: Path) -> list[Any]:
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.bin").write_bytes(b"\x00" * 3000)
    found: list[Any] = [42, "naïve ✓", {"a": [1, 2]}, b"\x00\xff" * 5000, [(1, 2)], folder]
    try:
        import numpy as np

        found += [np.arange(100_000, dtype=np.float64), np.asfortranarray(np.ones((300, 200))), np.arange(10)[::2]]
    except ImportError:
        pass
    try:
        import pandas as pd

        found.append(pd.DataFrame({"a": range(1000), "b": ["x"] * 1000}))
    except ImportError:
        pass
    return found


def test_content_hashes_are_computed_while_writing_without_reading_back(
    stack: Stack, tmp_path: Path, opened: list[tuple[str, str]]
) -> None:
    store = stack.artifact_store
    for value in values(tmp_path):
        opened.clear()
        record = write_artifact(store, f"{store.path}/tests", value)
        reads = [(p, m) for p, m in opened if "r" in m and p.startswith(record["uri"])]
        assert reads == [], f"{type(value).__name__} was read back: {reads}"
        assert record["content_hash"] is not None
        assert record["content_hash"] == measure(store, record["uri"])[1]  # what reading it back gives


class _Writes(BaseMaterializer):
    """Writes the same bytes in different ways, so their hashes can be compared."""

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ()
    HOW = "plain"

    def save(self, data: bytes) -> None:
        if self.HOW == "plain":
            with self.open("data.bin", "wb") as f:
                f.write(data)
        elif self.HOW == "by path":
            Path(self.path("data.bin")).parent.mkdir(parents=True, exist_ok=True)
            Path(self.path("data.bin")).write_bytes(data)
        elif self.HOW == "patched":
            with self.open("data.bin", "wb") as f:
                f.write(b"?" * len(data))
                f.seek(0)
                f.write(data)
        elif self.HOW == "appended":
            with self.open("data.bin", "wb") as f:
                f.write(data[:3])
            with self.open("data.bin", "ab") as f:
                f.write(data[3:])

    def load(self, data_type: type | None) -> bytes:
        with self.open("data.bin", "rb") as f:
            return f.read()


@pytest.mark.parametrize("how", ["by path", "patched", "appended"])
def test_files_written_around_the_hashing_file_are_hashed_by_what_they_hold(stack: Stack, how: str) -> None:
    store = stack.artifact_store
    data = bytes(range(256)) * 10
    plain = write_artifact(store, f"{store.path}/tests", data, _Writes)
    other = type("Other", (_Writes,), {"HOW": how})
    record = write_artifact(store, f"{store.path}/tests", data, other)
    assert Path(record["uri"], "data.bin").read_bytes() == data
    assert record["content_hash"] == plain["content_hash"] == measure(store, record["uri"])[1]


def test_a_memoryview_of_wide_items_is_hashed_by_its_bytes(stack: Stack) -> None:
    import array

    class Wide(BaseMaterializer):
        def save(self, data: Any) -> None:
            with self.open("data.bin", "wb") as f:
                f.write(memoryview(array.array("i", range(1000))))

        def load(self, data_type: type | None) -> Any:
            return None

    store = stack.artifact_store
    record = write_artifact(store, f"{store.path}/tests", 0, Wide)
    assert record["size"] == 4000
    assert record["content_hash"] == measure(store, record["uri"])[1]


def test_equal_bytes_give_equal_hashes_and_one_changed_byte_another(stack: Stack) -> None:
    np = pytest.importorskip("numpy")
    store = stack.artifact_store
    array = np.zeros(10_000)
    first = write_artifact(store, f"{store.path}/tests", array)
    again = write_artifact(store, f"{store.path}/tests", array.copy())
    array[5000] = 1.0
    changed = write_artifact(store, f"{store.path}/tests", array)
    assert first["content_hash"] == again["content_hash"] != changed["content_hash"]


def test_artifacts_past_the_limit_are_neither_hashed_nor_read(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, opened: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(artifacts, "HASH_LIMIT", 1000)
    store = stack.artifact_store
    record = write_artifact(store, f"{store.path}/tests", b"x" * 1001)
    assert record["content_hash"] is None and record["size"] == 1001
    assert [m for p, m in opened if "r" in m] == []
    small = write_artifact(store, f"{store.path}/tests", b"x" * 1000)
    assert small["content_hash"] is not None


def test_the_hashing_file_follows_text_only_in_encodings_without_state() -> None:
    written: dict[str, WrittenFile | None] = {}
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with HashingWriter(utf8, "a.json", written, 10**6, text=True) as f:
        f.write("naïve ✓\n")
    result = written["a.json"]
    assert result is not None and result.sha256 == hashlib.sha256("naïve ✓\n".encode()).hexdigest()
    assert result.size == len("naïve ✓\n".encode())
    utf16 = io.TextIOWrapper(io.BytesIO(), encoding="utf-16")  # a BOM once, not per write
    with HashingWriter(utf16, "b.json", written, 10**6, text=True) as f:
        f.write("a")
        f.write("b")
    assert written["b.json"] is None  # not followed: read back to hash it


def test_large_writes_are_hashed_exactly() -> None:
    written: dict[str, WrittenFile | None] = {}
    data = bytes(range(256)) * 20_000  # past the size hashed in a second thread
    sink = io.BytesIO()
    with HashingWriter(sink, "big", written, 10**8, text=False) as f:
        f.write(data[:100])
        f.write(memoryview(data)[100:])
    result = written["big"]
    assert result is not None and result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_numpy_arrays_are_stored_exactly_as_numpy_save_stores_them() -> None:
    np = pytest.importorskip("numpy")
    from stackyard.materializers.numpy_materializer import _save

    cases = [
        np.arange(12.0).reshape(3, 4),
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.arange(12.0).reshape(3, 4)[:, ::2],
        np.array(3.5),
        np.zeros((0, 3)),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.arange(5, dtype=">i4"),
        np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]),
        np.array(["x", "yz"]),
        np.float16([1, 2]),
    ]
    for array in cases:
        expected, got = io.BytesIO(), io.BytesIO()
        np.save(expected, array, allow_pickle=False)
        _save(np, got, array)
        assert got.getvalue() == expected.getvalue(), array


@pytest.mark.parametrize("beside", ["extra.bin", "sub/extra.bin"])
@pytest.mark.parametrize("provenance", [None, "provenance:key:output"])
def test_a_file_written_beside_the_followed_ones_counts_in_size_and_hash(
    stack: Stack, beside: str, provenance: str | None
) -> None:
    class Beside(BaseMaterializer):
        def save(self, data: bytes) -> None:
            with self.open("data.bin", "wb") as f:  # followed as it is written
                f.write(data)
            extra = Path(self.path(beside))  # not followed: found by listing the folder
            extra.parent.mkdir(parents=True, exist_ok=True)
            extra.write_bytes(b"x" * 500)

        def load(self, data_type: type | None) -> Any:
            return None

    store = stack.artifact_store
    record = write_artifact(store, f"{store.path}/tests", b"y" * 1000, Beside, provenance=provenance)
    assert record["size"] == 1500
    assert record["content_hash"] == measure(store, record["uri"])[1]
    alone = write_artifact(store, f"{store.path}/tests", b"y" * 1000, _Writes, provenance=provenance)
    assert alone["size"] == 1000 and alone["content_hash"] != record["content_hash"]
