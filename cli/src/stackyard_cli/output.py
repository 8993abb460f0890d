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


DEFAULT_WIDTH = 80
"""Columns a table is fitted to when the output is not a terminal (a pipe, a log) and ``COLUMNS`` is unset."""


def terminal_width() -> int | None:
    """Columns available to a table: ``COLUMNS``, else the terminal's width; ``None`` off a terminal."""
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
    """Print a boxed table on stdout, fitted to the terminal (to 80 columns off a terminal).

    ``active_row`` is the index (in ``rows``) of the row marked 👉 in a leading
    ACTIVE column; that column is shown when ``active_row`` is given, or always
    with ``active_column=True`` (for lists where nothing may be active). When
    the table is too wide, the columns named in ``shrinkable`` or ``wrap``
    give way first: on a terminal ``shrinkable`` cells are cut (with …),
    elsewhere they are wrapped, so logs keep every word. Other columns but the
    first (the names) then wrap at word boundaries. A cell with newlines takes
    several lines. ``--output json`` is the form for scripts.
    """
    if active_column is None:
        active_column = active_row is not None
    headers = list(headers)
    body = [[c if type(c) is str and "\t" not in c else _cell(c) for c in row] for row in rows]
    if active_column:
        headers.insert(0, ACTIVE_HEADER)
        body = [[ACTIVE_MARK if i == active_row else "", *row] for i, row in enumerate(body)]
    width = terminal_width()
    if width is None:
        width, wrap, shrinkable = DEFAULT_WIDTH, {*wrap, *shrinkable}, ()
    lines = render_table(
        headers,
        body,
        width=width,
        shrinkable=shrinkable,
        wrap=wrap,
        centered={ACTIVE_HEADER} if active_column else set(),
        title=title,
    )
    echo("\n".join(lines))  # one write: long tables print much faster than line by line


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
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
    """The lines of a boxed table (see :func:`print_table`); ``width=None`` draws it as wide as it is."""
    count = len(headers)
    widths = [display_width(h) for h in headers]
    multiline = False
    ascii_columns = set()
    for i in range(count):
        column = [row[i] for row in rows if i < len(row)]
        if not column:
            continue
        joined = "".join(column)  # one scan in C instead of one call per cell
        if joined.isascii():
            ascii_columns.add(i)
            if "\n" in joined:
                multiline = True
                widths[i] = max(widths[i], *(len(part) for cell in column for part in cell.split("\n")))
            else:
                widths[i] = max(widths[i], max(map(len, column)))
        else:
            for cell in set(column):  # the ACTIVE column holds two distinct texts
                if "\n" in cell:
                    multiline = True
                    widths[i] = max(widths[i], *(display_width(part) for part in cell.split("\n")))
                else:
                    widths[i] = max(widths[i], display_width(cell))
    natural = list(widths)
    if width is not None and sum(widths) + 3 * count + 1 > width:
        before = list(widths)
        _shrink(widths, headers, rows, width, shrinkable, wrap, centered)
        wrapped = [i for i in range(count) if widths[i] < before[i] and headers[i] not in shrinkable]
        if wrapped:
            rows = [_wrap_cells(row, wrapped, widths) for row in rows]
            multiline = True
    align = ["center" if h in centered else "left" for h in headers]
    color = use_color()

    def line(left: str, fill: str, join: str, right: str) -> str:
        return left + join.join(fill * (w + 2) for w in widths) + right

    def content(cells: Sequence[str], bold: bool = False) -> list[str]:
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
    if multiline or any(len(row) != count for row in rows):
        for row in rows:
            lines.extend(content(row))
    else:  # one line a row, the common case: padded column by column, then joined
        columns = [
            [row[i].ljust(widths[i]) for row in rows]
            if i in ascii_columns and align[i] == "left" and widths[i] >= natural[i]  # nothing to cut
            else _fit_column([row[i] for row in rows], widths[i], align[i])
            for i in range(count)
        ]
        lines.extend("┃ " + " │ ".join(cells) + " ┃" for cells in zip(*columns))
    lines.append(line("┗", "━", "┷", "┛"))
    return lines


_MIN_SHRUNK = 8


def _shrink(
    widths: list[int],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    shrinkable: Collection[str],
    wrap: Collection[str],
    centered: Collection[str],
) -> None:
    """Narrow columns, widest first, until the table fits ``width`` (or cannot give more).

    In turn: the ``shrinkable`` columns (cut with …) down to 8 cells and the
    ``wrap`` ones down to their longest word; the others but the first (the names) down to their longest word
    (a name is never broken); the ``shrinkable`` and ``wrap`` columns down to
    the longest piece of a word (see :func:`_pieces`), then down to 8 cells.
    """
    excess = sum(widths) + 3 * len(widths) + 1 - width
    first = next((i for i, h in enumerate(headers) if h not in centered), 0)
    giving = [i for i, h in enumerate(headers) if h in shrinkable or h in wrap]
    others = [i for i, h in enumerate(headers) if i not in giving and i != first and h not in centered]

    def longest(i: int, pieces: bool = False) -> int:
        words = (word for row in rows if i < len(row) for word in row[i].split())
        sizes = (display_width(p) for word in words for p in (_pieces(word) if pieces else (word,)))
        return max(display_width(headers[i]), max(sizes, default=0))

    cut = {i: min(widths[i], max(display_width(headers[i]), _MIN_SHRUNK)) for i in giving if headers[i] in shrinkable}
    tiers = [
        {i: cut.get(i) or min(widths[i], max(longest(i), _MIN_SHRUNK)) for i in giving},
        {i: longest(i) for i in others},
        {i: min(widths[i], max(longest(i, pieces=True), _MIN_SHRUNK)) for i in giving},
        {i: min(widths[i], max(display_width(headers[i]), _MIN_SHRUNK)) for i in giving},
    ]
    for floors in tiers:
        while excess > 0:
            room = [i for i in floors if widths[i] > floors[i]]
            if not room:
                break
            widest = max(room, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1


def _wrap_cells(row: Sequence[str], columns: list[int], widths: list[int]) -> list[str]:
    cells = list(row)
    for i in columns:
        if i < len(cells) and display_width(cells[i]) > widths[i]:
            cells[i] = "\n".join(line for part in cells[i].split("\n") for line in wrap_words(part, widths[i]))
    return cells


def _pieces(word: str) -> list[str]:
    """``word`` cut after each ``_``, ``-``, ``/`` or ``.`` and between a lower and an upper case
    letter (``ModuleNotFound|Error``): where a word too long for its cell breaks."""
    import re

    return [piece for piece in re.split(r"(?<=[_\-/.])|(?<=[a-z])(?=[A-Z])", word) if piece] or [word]


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at spaces; a word longer than a whole
    line is broken between its pieces (see :func:`_pieces`) where it can, else where it must."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = word if not current else current + " " + word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        if display_width(word) <= width:
            current = word
            continue
        for piece in _pieces(word):
            if display_width(current + piece) <= width:
                current += piece
                continue
            if current:
                lines.append(current)
            while display_width(piece) > width:
                head = _head(piece, width)
                lines.append(head)
                piece = piece[len(head):]
            current = piece
    if current or not lines:
        lines.append(current)
    return lines


def _head(text: str, width: int) -> str:
    """The longest start of ``text`` that fits ``width`` cells (at least one character)."""
    size = 0
    for index, char in enumerate(text):
        size += display_width(char)
        if size > width:
            return text[: max(index, 1)]
    return text


def _fit_column(cells: list[str], width: int, align: str) -> list[str]:
    """:func:`_fit` of every cell of a column, each distinct text fitted once (the ACTIVE column
    holds two)."""
    fitted: dict[str, str] = {}
    result = []
    for cell in cells:
        text = fitted.get(cell)
        if text is None:
            text = fitted[cell] = _fit(cell, width, align)
        result.append(text)
    return result


def _fit(text: str, width: int, align: str) -> str:
    if text.isascii() and len(text) <= width:
        if align == "center":
            gap = width - len(text)
            return " " * (gap // 2) + text + " " * (gap - gap // 2)
        return text.ljust(width)
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
