"""Short previews of artifact values: a repr for small values, shape, dtype and a few rows for arrays and frames."""

from __future__ import annotations

from typing import Any

MAX_BYTES = 20 * 1024 * 1024
"""Artifacts larger than this are not loaded for a preview."""
MAX_CHARS = 2000
ROWS = 5


def preview(view: Any) -> dict[str, Any]:
    """``{"kind": ..., "text": ...}`` (plus ``shape``/``dtype``/``columns``/``rows`` for arrays and frames)."""
    size = view.size
    if size is not None and size > MAX_BYTES:
        return {"kind": "skipped", "text": f"{size / 1e6:.1f} MB: too large to preview here; read it with Python."}
    try:
        value = view.read()
    except Exception as exc:  # noqa: BLE001 - an unreadable artifact is shown as such
        return {"kind": "error", "text": f"cannot be read: {type(exc).__name__}: {exc}"}
    return describe(value)


def describe(value: Any) -> dict[str, Any]:
    """The preview of one value."""
    kind = type(value).__module__.split(".")[0] + "." + type(value).__qualname__
    if kind == "numpy.ndarray":
        return _array(value)
    if kind == "pandas.DataFrame":
        return _frame(value)
    if kind == "pandas.Series":
        return _frame(value.to_frame())
    text = repr(value)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + f"… ({len(text)} characters)"
    return {"kind": "repr", "type": kind, "text": text}


def _array(value: Any) -> dict[str, Any]:
    import numpy

    head = value[:ROWS] if value.ndim else value
    with numpy.printoptions(threshold=50, edgeitems=3, linewidth=100):
        text = repr(head)
    return {"kind": "array", "shape": list(value.shape), "dtype": str(value.dtype), "text": text}


def _frame(value: Any) -> dict[str, Any]:
    head = value.head(ROWS)
    return {
        "kind": "dataframe",
        "shape": list(value.shape),
        "dtype": {str(c): str(t) for c, t in value.dtypes.items()},
        "columns": [str(c) for c in head.columns],
        "rows": [[_cell(v) for v in row] for row in head.itertuples(index=False)],
        "text": head.to_string(max_cols=20, max_colwidth=40),
    }


def _cell(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)
