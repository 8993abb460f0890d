"""A step graph laid out in layers, and drawn as SVG.

A step's layer is one more than the deepest layer of the steps it waits
for, so every edge points down; within a layer steps keep the order they
started in. Upstream names that are not in the graph (steps of a running
run that have not started yet) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

NODE_WIDTH = 170
NODE_HEIGHT = 46
GAP_X = 30
GAP_Y = 56
MARGIN = 12


def layers(upstream: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The steps in layers: ``upstream`` maps each step to the steps it waits for (in start order)."""
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in depth:
            parents = [p for p in upstream.get(name, ()) if p in upstream and p not in seen]
            depth[name] = 1 + max((depth_of(p, seen | {name}) for p in parents), default=-1)
        return depth[name]

    result: list[list[str]] = []
    for name in upstream:
        level = depth_of(name)
        while len(result) <= level:
            result.append([])
        result[level].append(name)
    return result


def positions(graph_layers: Sequence[Sequence[str]]) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Top-left corner of each node, and the drawing's width and height; each layer centred."""
    widest = max((len(layer) for layer in graph_layers), default=0)
    width = 2 * MARGIN + widest * NODE_WIDTH + max(widest - 1, 0) * GAP_X
    height = 2 * MARGIN + len(graph_layers) * NODE_HEIGHT + max(len(graph_layers) - 1, 0) * GAP_Y
    found = {}
    for row, layer in enumerate(graph_layers):
        span = len(layer) * NODE_WIDTH + (len(layer) - 1) * GAP_X
        left = (width - span) // 2
        for column, name in enumerate(layer):
            found[name] = (left + column * (NODE_WIDTH + GAP_X), MARGIN + row * (NODE_HEIGHT + GAP_Y))
    return found, width, height


def svg(graph_layers: Sequence[Sequence[str]], upstream: Mapping[str, Sequence[str]], status: Mapping[str, str],
        labels: Mapping[str, str]) -> str:
    """The graph as an inline SVG: one ``g.node`` per step (``data-step``, ``data-status``), one ``path.edge`` per edge."""
    where, width, height = positions(graph_layers)
    parts = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="step graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>',
    ]
    for name, parents in upstream.items():
        for parent in parents:
            if parent not in where or name not in where:
                continue
            (x1, y1), (x2, y2) = where[parent], where[name]
            sx, sy = x1 + NODE_WIDTH // 2, y1 + NODE_HEIGHT
            tx, ty = x2 + NODE_WIDTH // 2, y2
            mid = (sy + ty) // 2
            parts.append(
                f'<path class="edge" data-from="{escape(parent)}" data-to="{escape(name)}" '
                f'd="M {sx} {sy} C {sx} {mid}, {tx} {mid}, {tx} {ty - 2}" marker-end="url(#arrow)"/>'
            )
    for name, (x, y) in where.items():
        state = status.get(name, "")
        parts.append(
            f'<g class="node status-{escape(state)}" data-step="{escape(name)}" data-status="{escape(state)}" '
            f'transform="translate({x},{y})"><a href="#step-{escape(name)}">'
            f'<rect width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="8"/>'
            f'<text x="12" y="19" class="step-name">{escape(_short(name, 20))}</text>'
            f'<text x="12" y="36" class="step-state">{escape(labels.get(name, state))}</text></a></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
