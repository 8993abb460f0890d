"""Laying out a step graph in layers and drawing it."""

from __future__ import annotations

from stackyard_dashboard.graph import layers, svg


def test_a_diamond_has_three_layers() -> None:
    upstream = {"source": [], "double": ["source"], "triple": ["source"], "add": ["double", "triple"]}
    assert layers(upstream) == [["source"], ["double", "triple"], ["add"]]


def test_a_step_goes_below_its_deepest_parent_and_keeps_start_order() -> None:
    upstream = {"a": [], "b": ["a"], "x": [], "c": ["b", "x"], "d": ["a"]}
    assert layers(upstream) == [["a", "x"], ["b", "d"], ["c"]]


def test_steps_that_have_not_started_are_ignored() -> None:
    assert layers({"after": ["wait_for"]}) == [["after"]]
    assert layers({}) == []


def test_the_drawing_has_a_node_per_step_and_a_path_per_edge() -> None:
    upstream = {"source": [], "double": ["source"], "triple": ["source"], "add": ["double", "triple"]}
    status = {"source": "completed", "double": "completed", "triple": "failed", "add": "running"}
    drawn = svg(layers(upstream), upstream, status, {})
    assert drawn.count('<g class="node') == 4 and drawn.count('<path class="edge"') == 4
    assert 'data-step="triple" data-status="failed"' in drawn
    assert 'data-from="double" data-to="add"' in drawn


def test_step_names_are_escaped() -> None:
    drawn = svg([["<b>"]], {"<b>": []}, {"<b>": "completed"}, {})
    assert "<b>" not in drawn.replace('<path d="M 0', "") and "&lt;b&gt;" in drawn
