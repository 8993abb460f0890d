"""Every built-in materializer round-trips its type; plugins and steps can add or choose others."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard import pipeline, step
from stackyard.materializers import BaseMaterializer, get_materializer_registry
from stackyard.pipelines.artifacts import read_artifact, write_artifact
from stackyard.stack.stack import Stack


def round_trip(stack: Stack, value: Any) -> tuple[Any, dict[str, Any]]:
    """Write ``value`` as an artifact of the default stack and read it back."""
    store = stack.artifact_store
    record = write_artifact(store, f"{store.path}/tests", value)
    return read_artifact(store, record), record


SIMPLE_VALUES = [
    None,
    True,
    0,
    -(10**30),
    2.5,
    float("inf"),
    "",
    "naïve ✓",
    [],
    [1, "a", None, [2.0, {"k": [True]}]],
    (),
    (1, "two", [3]),
    {},
    {"a": 1, "nested": {"list": [1, 2], "none": None}},
]


@pytest.mark.parametrize("value", SIMPLE_VALUES, ids=repr)
def test_builtin_types_round_trip_through_json(stack: Stack, value: Any) -> None:
    loaded, record = round_trip(stack, value)
    assert loaded == value and type(loaded) is type(value)
    assert record["materializer"] == "stackyard.materializers.builtin.BuiltInMaterializer"
    assert os.listdir(record["uri"]) == ["data.json"]
    assert "warnings" not in record["extra"]


@pytest.mark.parametrize(
    "value",
    [[(1, 2)], {1: "int key"}, [{1, 2}], {"nested": (1,)}],
    ids=repr,
)
def test_containers_json_cannot_hold_exactly_are_pickled_with_a_warning(stack: Stack, value: Any) -> None:
    loaded, record = round_trip(stack, value)
    assert loaded == value
    assert os.listdir(record["uri"]) == ["data.pickle"]
    assert "does not round-trip through JSON" in record["extra"]["warnings"][0]


def test_bytes(stack: Stack) -> None:
    loaded, record = round_trip(stack, b"\x00\xffbinary")
    assert loaded == b"\x00\xffbinary"
    assert record["size"] == 8 and len(record["content_hash"]) == 64


def test_a_file_path(stack: Stack, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"weights")
    loaded, record = round_trip(stack, source)
    assert loaded.name == "model.bin" and loaded.read_bytes() == b"weights"
    assert loaded != source and str(loaded).startswith(record["uri"])


def test_a_folder_path(stack: Stack, tmp_path: Path) -> None:
    source = tmp_path / "dataset"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.txt").write_text("b")
    loaded, _ = round_trip(stack, source)
    assert loaded.is_dir() and loaded.name == "dataset"
    assert sorted(str(p.relative_to(loaded)) for p in loaded.rglob("*")) == ["a.txt", "sub", "sub/b.txt"]
    assert (loaded / "sub" / "b.txt").read_text() == "b"


def test_numpy_arrays(stack: Stack) -> None:
    np = pytest.importorskip("numpy")
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    loaded, record = round_trip(stack, array)
    assert loaded.dtype == np.float32 and (loaded == array).all()
    assert record["data_type"] == "numpy.ndarray"
    assert record["materializer"] == "stackyard.materializers.numpy_materializer.NumpyMaterializer"
    objects = np.array([{"a": 1}, None], dtype=object)
    loaded, record = round_trip(stack, objects)
    assert list(loaded) == [{"a": 1}, None]
    assert record["extra"]["warnings"]


def test_pandas_frames_and_series(stack: Stack) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"x": [1, 2], "label": ["a", "b"], "when": pd.to_datetime(["2024-01-01", "2024-01-02"])},
        index=pd.Index(["r1", "r2"], name="row"),
    )
    loaded, record = round_trip(stack, frame)
    pd.testing.assert_frame_equal(loaded, frame)
    assert record["materializer"] == "stackyard.materializers.pandas_materializer.PandasMaterializer"
    series = pd.Series([1.5, 2.5], name="s")
    loaded, _ = round_trip(stack, series)
    pd.testing.assert_series_equal(loaded, series)


class Point:
    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and other.x == self.x


def test_unknown_types_fall_back_to_pickle_with_a_warning(stack: Stack) -> None:
    loaded, record = round_trip(stack, Point(3))
    assert loaded == Point(3)
    assert record["materializer"] == "stackyard.materializers.builtin.PickleMaterializer"
    assert "No materializer handles" in record["extra"]["warnings"][0]


def test_the_warning_is_visible_on_the_recorded_artifact() -> None:
    @step
    def make_point() -> Point:
        return Point(1)

    @pipeline
    def points():
        make_point()

    artifact = points().run().get_step("make_point").output
    assert artifact.read() == Point(1)
    assert artifact.data_type.endswith("test_materializers.Point")
    assert "pickle" in artifact.warnings[0]


class JsonPoint(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = (Point,)

    def save(self, data: Point) -> None:
        with self.open("point.json", "w") as f:
            json.dump({"x": data.x}, f)

    def load(self, data_type: type | None) -> Point:
        with self.open("point.json", "r") as f:
            return Point(json.load(f)["x"])


def test_a_step_can_choose_its_materializer() -> None:
    @step(materializers=JsonPoint)
    def make_point() -> Point:
        return Point(7)

    @pipeline
    def points():
        make_point()

    artifact = points().run().get_step("make_point").output
    assert artifact.materializer.endswith("JsonPoint")
    assert os.listdir(artifact.uri) == ["point.json"]
    assert artifact.read() == Point(7)
    assert artifact.warnings == []


def test_plugins_add_materializers_through_the_hook(make_plugin: Callable[..., Path]) -> None:
    make_plugin(
        "stackyard-points",
        "stackyard_points",
        """
        import json
        from stackyard import hookimpl
        from stackyard.materializers import BaseMaterializer

        class Vector:
            def __init__(self, *xs):
                self.xs = list(xs)

        class VectorMaterializer(BaseMaterializer):
            ASSOCIATED_TYPES = ("stackyard_points.Vector",)

            def save(self, data):
                with self.open("vector.json", "w") as f:
                    json.dump(data.xs, f)

            def load(self, data_type):
                with self.open("vector.json") as f:
                    return Vector(*json.load(f))

        @hookimpl
        def stackyard_materializers():
            return [VectorMaterializer]
        """,
    )
    import stackyard_points

    @step
    def make_vector() -> Any:
        return stackyard_points.Vector(1, 2, 3)

    @pipeline
    def vectors():
        make_vector()

    artifact = vectors().run().get_step("make_vector").output
    assert artifact.materializer == "stackyard_points.VectorMaterializer"
    assert artifact.read().xs == [1, 2, 3]


def test_a_broken_materializer_plugin_is_skipped(make_plugin: Callable[..., Path]) -> None:
    make_plugin(
        "stackyard-broken",
        "stackyard_broken",
        """
        from stackyard import hookimpl

        @hookimpl
        def stackyard_materializers():
            raise RuntimeError("boom")
        """,
    )
    registry = get_materializer_registry()
    assert any("boom" in e for e in registry.errors)
    assert registry.for_type(int).__name__ == "BuiltInMaterializer"


def test_numpy_and_pandas_are_not_imported_to_register() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from stackyard.materializers import get_materializer_registry; "
        "r = get_materializer_registry(); r.for_type(int); "
        "print('numpy' in sys.modules, 'pandas' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


VECTOR_PLUGIN = """
from stackyard import hookimpl

HOOK_CALLS = []


@hookimpl
def stackyard_materializers():
    HOOK_CALLS.append(1)
    from vector_materializers import VectorMaterializer
    return [VectorMaterializer]
"""

VECTOR_MATERIALIZERS = """
import json
from stackyard.materializers import BaseMaterializer


class Vector:
    def __init__(self, *xs):
        self.xs = list(xs)


class VectorMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (Vector,)

    def save(self, data):
        with self.open("vector.json", "w") as f:
            json.dump(data.xs, f)

    def load(self, data_type):
        with self.open("vector.json") as f:
            return Vector(*json.load(f))
"""


def test_plugin_materializers_come_from_the_one_discovery(make_plugin: Callable[..., Path], stack: Stack) -> None:
    site = make_plugin("stackyard-vectors", "vector_plugin", VECTOR_PLUGIN)
    (site / "vector_materializers.py").write_text(VECTOR_MATERIALIZERS)
    from stackyard.plugins import get_registry

    import vector_materializers
    import vector_plugin

    assert get_registry().materializers() == ["vector_materializers.VectorMaterializer"]
    value, record = round_trip(stack, vector_materializers.Vector(1, 2))
    assert (value.xs, record["materializer"]) == ([1, 2], "vector_materializers.VectorMaterializer")
    assert vector_plugin.HOOK_CALLS == [1], "the hook is called once, by discovery, not again for materializers"


def test_a_cached_discovery_gives_materializers_without_importing_the_plugin(make_plugin: Callable[..., Path]) -> None:
    import subprocess
    import sys

    site = make_plugin("stackyard-vectors", "vector_plugin", VECTOR_PLUGIN)
    (site / "vector_materializers.py").write_text(VECTOR_MATERIALIZERS)
    code = (
        "import sys; from stackyard.materializers import get_materializer_registry; "
        "import vector_materializers as v; cls = get_materializer_registry().for_type(v.Vector); "
        "print(cls.__name__, 'vector_plugin' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split() for _ in range(2)]
    assert runs == [["VectorMaterializer", "True"], ["VectorMaterializer", "False"]]
