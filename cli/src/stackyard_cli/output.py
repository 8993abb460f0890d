"""Everything the CLI writes: tables, JSON/YAML data, messages and the one error printer.

Results (tables, data, "successfully registered" lines) go to stdout; context
and progress (the active-profile line, log messages, warnings, errors) go to
stderr, so ``stackyard stack list --output json | jq`` always gets clean data.
Colour is used only on a terminal and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Collection, Sequence
from typing import Any

import click

ACTIVE_MARK = "👉"
ACTIVE_HEADER = "ACTIVE"
OUTPUT_FORMATS = ("table", "json", "yaml")

output_option = click.option(
    "--output",
    "output_format",
    type=click.Choice(OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="Print a table, or data for scripts.",
)
"""The ``--output table|json|yaml`` option of every list and describe command."""


# -- streams, colour and width -------------------------------------------


def use_color(err: bool = False) -> bool:
    """Whether to style text on stdout (or stderr): a terminal, and ``NO_COLOR`` unset."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if err else sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _style(text: str, err: bool = False, **styles: Any) -> str:
    return click.style(text, **styles) if use_color(err) else text


def terminal_width() -> int | None:
    """Columns available to a table: ``COLUMNS``, else the terminal's width; ``None`` for a pipe."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):
        pass
    return None


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide characters (👉, CJK) count twice."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


# -- messages -----------------------------------------------------------------


def echo(message: str = "") -> None:
    """A result line, on stdout."""
    click.echo(message, color=use_color() or None)


def success(message: str) -> None:
    """A line saying a change was made, on stdout."""
    click.echo(_style(message, fg="green"), color=use_color() or None)


def info(message: str) -> None:
    """Context or progress, on stderr."""
    click.echo(message, err=True)


def warning(message: str) -> None:
    """Something the user should know but that does not stop the command, on stderr."""
    click.echo(_style(message, err=True, fg="yellow"), err=True, color=use_color(err=True) or None)


def print_error(message: str) -> None:
    """The one error printer: ``Error: message`` on stderr."""
    prefix = _style("Error: ", err=True, fg="red", bold=True)
    click.echo(prefix + message, err=True, color=use_color(err=True) or None)


# -- data -----------------------------------------------------------------------


def print_data(data: object, fmt: str) -> None:
    """Print plain data (dicts, lists, strings, numbers, booleans, None) as ``json`` or ``yaml``."""
    if fmt == "json":
        echo(to_json(data))
    elif fmt == "yaml":
        echo(to_yaml(data).rstrip("\n"))
    else:
        raise ValueError(f"Unknown data format '{fmt}'; use json or yaml.")


def to_json(data: object) -> str:
    """``data`` as indented JSON; values JSON has no type for (dates, paths) become strings."""
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def to_yaml(data: object) -> str:
    """``data`` as block-style YAML holding exactly what :func:`to_json` holds, keys in their order."""
    import json

    import yaml

    class Dumper(yaml.SafeDumper):
        def choose_scalar_style(self) -> str:
            style: str = super().choose_scalar_style()
            event = self.event
            if style == "" and event.tag == "tag:yaml.org,2002:str" and _reads_as_syntax(event.value):
                return '"'
            return '"' if style == "'" else style  # one quoting style: JSON's

    text: str = yaml.dump(
        json.loads(to_json(data)),
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**31 - 1,  # never fold long values onto more lines
    )
    return text.removesuffix("...\n")  # the end marker PyYAML adds after a lone scalar


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "none", "~", "y", "n", ""}


def _reads_as_syntax(text: str) -> bool:
    """Whether a string PyYAML would leave plain could still read as something else to a person
    or another YAML parser (a number, a boolean, an indicator): such strings are quoted."""
    return (
        text.lower() in _YAML_WORDS
        or text[0] in "-?:,[]{}#&*!|>'\"%@`0123456789.+"
        or text.endswith(":")
    )


# -- tables -----------------------------------------------------------------------


def print_table(
    headers: list[str],
    rows: Sequence[Sequence[object]],
    active_row: int | None = None,
    *,
    active_column: bool | None = None,
    shrinkable: Collection[str] = (),
    wrap: Collection[str] = (),
    title: str | None = None,
) -> None:
    """Print a boxed table on stdout.

    ``active_row`` is the index (in ``rows``) of the row marked 👉 in a leading
    ACTIVE column; that column is shown when ``active_row`` is given, or always
    with ``active_column=True`` (for lists where nothing may be active). When
    the terminal is too narrow, only the columns named in ``shrinkable`` are
    cut (with …) and those named in ``wrap`` wrapped onto more lines; every
    other cell — names above all — is printed whole. A cell with newlines
    takes several lines.
    """
    if active_column is None:
        active_column = active_row is not None
    headers = list(headers)
    body = [[_cell(c) for c in row] for row in rows]
    if active_column:
        headers.insert(0, ACTIVE_HEADER)
        body = [[ACTIVE_MARK if i == active_row else "", *row] for i, row in enumerate(body)]
    lines = render_table(
        headers,
        body,
        width=terminal_width(),
        shrinkable=shrinkable,
        wrap=wrap,
        centered={ACTIVE_HEADER} if active_column else set(),
        title=title,
    )
    echo("\n".join(lines))  # one write: long tables print much faster than line by line


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return text.replace("\t", " ") if "\t" in text else text


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    shrinkable: Collection[str] = (),
    wrap: Collection[str] = (),
    centered: Collection[str] = (),
    title: str | None = None,
) -> list[str]:
    """The lines of a boxed table (see :func:`print_table`)."""
    count = len(headers)
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[:count]):
            if "\n" in cell:
                widths[i] = max(widths[i], *(display_width(part) for part in cell.split("\n")))
            else:
                widths[i] = max(widths[i], display_width(cell))
    if width is not None:
        narrow = [i for i, h in enumerate(headers) if h in shrinkable or h in wrap]
        before = list(widths)
        _shrink(widths, narrow, headers, width)
        wrapped = [i for i, h in enumerate(headers) if h in wrap and widths[i] < before[i]]
        if wrapped:
            rows = [_wrap_cells(row, wrapped, widths) for row in rows]
    align = ["center" if h in centered else "left" for h in headers]
    color = use_color()

    def line(left: str, fill: str, join: str, right: str) -> str:
        return left + join.join(fill * (w + 2) for w in widths) + right

    def content(cells: Sequence[str], bold: bool = False) -> list[str]:
        if not bold and len(cells) == count and not any("\n" in cell for cell in cells):  # one line: most rows
            return ["┃ " + " │ ".join(_fit(cell, w, a) for cell, w, a in zip(cells, widths, align)) + " ┃"]
        split = [(cells[i] if i < len(cells) else "").split("\n") for i in range(count)]
        result = []
        for index in range(max(len(parts) for parts in split)):
            parts = []
            for i, w in enumerate(widths):
                text = _fit(split[i][index] if index < len(split[i]) else "", w, align[i])
                parts.append(" " + (click.style(text, bold=True) if bold and color else text) + " ")
            result.append("┃" + "│".join(parts) + "┃")
        return result

    lines = []
    if title:
        total = sum(widths) + 3 * count + 1
        lines.append(title.center(total).rstrip() if display_width(title) < total else title)
    lines.append(line("┏", "━", "┯", "┓"))
    lines.extend(content(headers, bold=True))
    lines.append(line("┠", "─", "┼", "┨"))
    for row in rows:
        lines.extend(content(row))
    lines.append(line("┗", "━", "┷", "┛"))
    return lines


_MIN_SHRUNK = 8


def _shrink(widths: list[int], candidates: list[int], headers: Sequence[str], width: int) -> None:
    """Narrow the ``candidates`` columns, widest first, until the table fits ``width``."""
    excess = sum(widths) + 3 * len(widths) + 1 - width
    floors = {i: max(display_width(headers[i]), _MIN_SHRUNK) for i in candidates}
    while excess > 0:
        room = [i for i in candidates if widths[i] > floors[i]]
        if not room:
            return
        widest = max(room, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1


def _wrap_cells(row: Sequence[str], columns: list[int], widths: list[int]) -> list[str]:
    import textwrap

    cells = list(row)
    for i in columns:
        if i < len(cells):
            parts = cells[i].split("\n")
            cells[i] = "\n".join(line for part in parts for line in (textwrap.wrap(part, widths[i]) or [""]))
    return cells


def _fit(text: str, width: int, align: str) -> str:
    size = display_width(text)
    if size > width:
        text, size = _truncate(text, width)
    gap = width - size
    if align == "center":
        left = gap // 2
        return " " * left + text + " " * (gap - left)
    return text + " " * gap


def _truncate(text: str, width: int) -> tuple[str, int]:
    kept, size = [], 0
    for char in text:
        char_width = display_width(char)
        if size + char_width > width - 1:
            break
        kept.append(char)
        size += char_width
    return "".join(kept) + "…", size + 1
