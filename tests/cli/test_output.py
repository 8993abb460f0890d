"""The shared output module: tables, JSON/YAML, messages, plain text vs colour."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from stackyard_cli import output
from stackyard_cli.output import display_width, render_table, to_yaml

from .conftest import dedent


def test_a_table_like_the_reference() -> None:
    lines = render_table(
        ["ACTIVE", "PROFILE NAME", "STORE TYPE", "URL", "ACTIVE STACK"],
        [
            ["👉", "default", "local", "file:///home/stefan/.config/zenml/profiles/default", "default"],
            ["", "zenml", "local", "file:///home/stefan/.config/zenml/profiles/zenml", "default"],
        ],
        width=80,
        shrinkable={"URL"},
        centered={"ACTIVE"},
    )
    assert "\n".join(lines) == dedent(
        """
        ┏━━━━━━━━┯━━━━━━━━━━━━━━┯━━━━━━━━━━━━┯━━━━━━━━━━━━━━━━━━━━━━━━━━┯━━━━━━━━━━━━━━┓
        ┃ ACTIVE │ PROFILE NAME │ STORE TYPE │ URL                      │ ACTIVE STACK ┃
        ┠────────┼──────────────┼────────────┼──────────────────────────┼──────────────┨
        ┃   👉   │ default      │ local      │ file:///home/stefan/.co… │ default      ┃
        ┃        │ zenml        │ local      │ file:///home/stefan/.co… │ default      ┃
        ┗━━━━━━━━┷━━━━━━━━━━━━━━┷━━━━━━━━━━━━┷━━━━━━━━━━━━━━━━━━━━━━━━━━┷━━━━━━━━━━━━━━┛
        """
    )
    assert all(display_width(line) == 80 for line in lines)


def test_names_are_never_cut_when_the_terminal_is_narrow() -> None:
    name = "a-very-long-stack-name-that-does-not-fit"
    lines = render_table(["STACK NAME", "URL"], [[name, "file:///somewhere/far/away"]], width=30, shrinkable={"URL"})
    assert name in lines[3]
    assert "file://…" in lines[3]
    lines = render_table(["STACK NAME", "ORCHESTRATOR"], [[name, name]], width=20)
    assert lines[3].count(name) == 2


def test_without_a_width_nothing_is_cut() -> None:
    url = "file:///" + "x" * 200
    lines = render_table(["URL"], [[url]], shrinkable={"URL"})
    assert url in lines[3]


def test_multi_line_cells() -> None:
    lines = render_table(["A", "B"], [["x", "one\ntwo"]])
    assert lines[3:5] == ["┃ x │ one ┃", "┃   │ two ┃"]


def test_print_table_adds_the_active_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)

    @click.command()
    def show() -> None:
        output.print_table(["NAME"], [["a"], ["b"]], active_row=1)
        output.print_table(["NAME"], [["c"]], active_column=True)
        output.print_table(["NAME"], [["d"]])

    text = CliRunner().invoke(show).output
    assert "┃        │ a    ┃\n┃   👉   │ b    ┃" in text
    assert "┃        │ c    ┃" in text
    assert "┃ d    ┃" in text


def test_print_table_fits_the_columns_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")

    @click.command()
    def show() -> None:
        output.print_table(["NAME", "DESCRIPTION"], [["default", "x" * 100]], shrinkable={"DESCRIPTION"})

    lines = CliRunner().invoke(show).output.splitlines()
    assert max(display_width(line) for line in lines) == 40


def test_plain_text_when_not_a_terminal_or_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def show() -> None:
        output.print_table(["NAME"], [["a"]], active_row=0)
        output.success("done")
        output.warning("careful")
        output.print_error("broken")

    result = CliRunner().invoke(show)
    assert "\x1b[" not in result.output
    monkeypatch.setattr(output, "use_color", lambda err=False: True)
    coloured = CliRunner().invoke(show).output
    assert "\x1b[" in coloured
    monkeypatch.undo()
    monkeypatch.setenv("NO_COLOR", "1")
    assert output.use_color() is False


def test_print_data_json_and_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    data = [{"name": "default", "active": True, "count": 3, "x": None, "tags": ["a", "b"], "config": {}, "empty": []}]
    output.print_data(data, "json")
    assert json.loads(capsys.readouterr().out) == data
    output.print_data(data, "yaml")
    assert capsys.readouterr().out == dedent(
        """
        - name: default
          active: true
          count: 3
          x: null
          tags:
          - a
          - b
          config: {}
          empty: []
        """
    ) + "\n"
    with pytest.raises(ValueError):
        output.print_data(data, "xml")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("true", '"true"'),
        ("3", '"3"'),
        ("a: b", '"a: b"'),
        ("-x", '"-x"'),
        ("", '""'),
        ("/tmp/path with space", "/tmp/path with space"),
        ("#comment", '"#comment"'),
    ],
)
def test_yaml_quotes_strings_that_would_change_meaning(value: str, expected: str) -> None:
    assert to_yaml({"k": value}) == f"k: {expected}\n"


def test_wrapped_columns_fit_the_width_on_more_lines() -> None:
    lines = render_table(
        ["NAME", "STATUS"],
        [["broken", "failed\ncannot load acme.plugin: ModuleNotFoundError: No module named 'acme'"]],
        width=40,
        wrap={"STATUS"},
    )
    assert max(display_width(line) for line in lines) <= 40
    body = [line for line in lines[3:-1]]
    assert body[0].startswith("┃ broken │ failed")
    assert " ".join(line.split("│")[1].strip(" ┃") for line in body[1:]) == (
        "cannot load acme.plugin: ModuleNotFoundError: No module named 'acme'"
    )
