"""The view model of every list and describe command: column specs and one renderer.

A command builds its records as plain data — exactly what ``--output json``
and ``--output yaml`` print — and a :class:`View` saying how a table shows
them; :func:`render` does the rest, so no command branches on the format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stackyard_cli import output

Record = Mapping[str, Any]
"""One row's data: a dict of plain values (the JSON/YAML shape)."""


class Column:
    """A table column: its header and the cell it shows for a record.

    ``cell`` is a key of the record or a function of it. A ``shrink`` column
    is cut (with …) and a ``wrap`` column wrapped when the terminal is too
    narrow; every other column is printed whole.
    """

    __slots__ = ("header", "cell", "shrink", "wrap")

    def __init__(
        self, header: str, cell: str | Callable[[Record], object], *, shrink: bool = False, wrap: bool = False
    ) -> None:
        self.header = header
        self.cell = cell
        self.shrink = shrink
        self.wrap = wrap

    def text(self, record: Record) -> object:
        """The cell's value for ``record`` (``None`` shows as an empty cell)."""
        return record.get(self.cell) if isinstance(self.cell, str) else self.cell(record)


class View:
    """How a table shows a command's data.

    ``rows`` picks the table's records out of the data (default: the data
    itself if it is a list, else the one record). With ``active``, a leading
    ACTIVE column marks with 👉 the record whose ``"active"`` value is true.
    A ``transposed`` view shows one record as PROPERTY / VALUE rows, one per
    column. ``heading`` and ``footer`` are lines printed around the table,
    ``notes`` warnings after it (on stderr), ``empty`` a hint printed on
    stderr instead of an empty table.
    """

    __slots__ = ("columns", "active", "title", "rows", "transposed", "heading", "footer", "notes", "empty")

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        active: bool = False,
        title: str | None = None,
        rows: Callable[[Any], Sequence[Record]] | None = None,
        transposed: bool = False,
        heading: Sequence[str] = (),
        footer: Sequence[str] = (),
        notes: Sequence[str] = (),
        empty: str | None = None,
    ) -> None:
        self.columns = columns
        self.active = active
        self.title = title
        self.rows = rows
        self.transposed = transposed
        self.heading = heading
        self.footer = footer
        self.notes = notes
        self.empty = empty


def render(data: Any, output_format: str, view: View) -> None:
    """Print ``data`` as JSON or YAML, or as the table ``view`` describes."""
    from stackyard.files import gc_paused

    with gc_paused():  # thousands of rows of strings: nothing for the cyclic collector to find
        _render(data, output_format, view)


def _render(data: Any, output_format: str, view: View) -> None:
    if output_format != "table":
        output.print_data(data, output_format)
        return
    if view.rows is not None:
        records = list(view.rows(data))
    else:
        records = list(data) if isinstance(data, list) else [data]
    if not records and view.empty:
        output.info(view.empty)
        return
    for line in view.heading:
        output.echo(line)
    if view.transposed:
        _print_properties(records[0], view)
    else:
        active_row = next((i for i, r in enumerate(records) if r.get("active")), None) if view.active else None
        cells = [(c.cell if isinstance(c.cell, str) else None, c.cell) for c in view.columns]
        output.print_table(
            [c.header for c in view.columns],
            [[r.get(key) if key is not None else cell(r) for key, cell in cells] for r in records],  # type: ignore[operator]
            active_row,
            active_column=view.active,
            shrinkable={c.header for c in view.columns if c.shrink},
            wrap={c.header for c in view.columns if c.wrap},
            title=view.title,
        )
    for line in view.footer:
        output.echo(line)
    for note in view.notes:
        output.warning(note)


def _print_properties(record: Record, view: View) -> None:
    rows = [[c.header, c.text(record)] for c in view.columns]
    output.print_table(["PROPERTY", "VALUE"], rows, title=view.title, wrap={"VALUE"})
