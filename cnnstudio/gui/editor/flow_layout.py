"""Auto-layout for the canvas: layered columns, long wires in lanes of their own, wrapped rows.

Core's ``layered_layout`` puts the whole network on one line, so a 30-block network becomes a row
far wider than any window, and a skip connection runs straight behind the blocks it skips,
where nobody can see it. Here a long wire holds a slot in every column it crosses (the dummy
nodes of a Sugiyama layout), so it gets a lane beside the blocks; and the columns are broken into
rows, read like lines of text, at the row length that shows the network largest in the view.
Rows break only where a single wire goes on to the next column, never inside a residual or
inception block.

Pure Python (no Qt): a graph in, positions out, like the core layout it builds on.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

from cnnstudio.core.graph import Edge, GraphModel
from cnnstudio.core.layout import COLUMN_WIDTH, ROW_HEIGHT

NODE_WIDTH = 164.0  # the canvas's node width (``node_item.WIDTH``), for the layout's bounds
NODE_EXTENT = 45.0  # half a node's height and a little room: rows keep this clear of each other
ROW_GAP = 50.0  # between rows, where the wires back to the next row's start run
VIEW_MARGIN = 40.0  # the margin ``GraphView.fit_all`` leaves around the network
RETURN_BULGE = 60.0  # how far a wire back to the next row turns out beside the rows
Position = tuple[float, float]


@dataclass(frozen=True)
class _Lane:
    """The slot a long edge holds in one column it crosses."""

    edge: Edge
    column: int


@dataclass(frozen=True)
class _Row:
    first: int  # first and last column of the row
    last: int
    top: float  # extent around the row's own y = 0 line
    bottom: float


def flow_layout(graph: GraphModel, *views: tuple[float, float]) -> dict[str, Position]:
    """Positions for every node, in rows that show the network largest in a (width, height)
    view; given several views, largest on balance (the product of the zooms).

    Without a view the network stays on one row. Row 0's middle is y = 0 and the first column
    x = 0, so a chain that fits on one line lands where ``layered_layout`` puts it.
    """
    order = graph.topological_order()
    if not order:
        return {}
    depth: dict[str, int] = {}
    for node in order:
        depth[node] = max((depth[e.source] + 1 for e in graph.inputs_of(node)), default=0)
    slot_row, extent = _slot_rows(graph, order, depth)
    columns = max(depth.values()) + 1
    pieces = _pieces(graph, depth, columns)
    options = [_wrap(pieces, limit, extent) for limit in range(1, columns + 1)]

    def score(rows: list[_Row]) -> tuple[float, int]:  # largest zoom first; on a tie, fewer rows
        return round(math.prod(_zoom(rows, view) for view in views), 6), -len(rows)

    rows = max(options, key=score) if views else options[-1]
    positions: dict[str, Position] = {}
    offset = 0.0
    for i, row in enumerate(rows):
        if i:
            offset += rows[i - 1].bottom + ROW_GAP - row.top
        for node in order:
            if row.first <= depth[node] <= row.last:
                x = (depth[node] - row.first) * COLUMN_WIDTH
                positions[node] = (x, offset + slot_row[node] * ROW_HEIGHT)
    return positions


def _slot_rows(
    graph: GraphModel, order: list[str], depth: dict[str, int]
) -> tuple[dict[Hashable, float], dict[int, tuple[float, float]]]:
    """Row of every node and lane (0 = middle, in ROW_HEIGHT units) by barycentre sweeps, and
    each column's (top, bottom) in scene units."""
    columns: dict[int, list[Hashable]] = {}
    feeds: dict[Hashable, list[Hashable]] = {}
    for node in order:
        columns.setdefault(depth[node], []).append(node)
    for node in order:
        for edge in graph.inputs_of(node):
            before: Hashable = edge.source
            for column in range(depth[edge.source] + 1, depth[node]):
                lane = _Lane(edge, column)
                columns[column].append(lane)  # after the blocks: on a tie a block goes above
                feeds[lane] = [before]
                before = lane
            feeds.setdefault(node, []).append(before)
    row: dict[Hashable, float] = {}
    for _ in range(2):
        for column in sorted(columns):
            slots = columns[column]

            def key(slot: Hashable) -> float:
                sources = [row[s] for s in feeds.get(slot, ()) if s in row]
                return sum(sources) / len(sources) if sources else row.get(slot, 0.0)

            slots.sort(key=key)
            for i, slot in enumerate(slots):
                row[slot] = i - (len(slots) - 1) / 2
    extent = {
        column: (
            min(row[s] for s in slots) * ROW_HEIGHT - NODE_EXTENT,
            max(row[s] for s in slots) * ROW_HEIGHT + NODE_EXTENT,
        )
        for column, slots in columns.items()
    }
    return row, extent


def _pieces(graph: GraphModel, depth: dict[str, int], columns: int) -> list[tuple[int, int]]:
    """Runs of columns that stay on one row: a row may end after column ``c`` only where at
    most one wire crosses to ``c + 1`` (so one wire, or none, runs back to the next row)."""
    crossing: dict[int, int] = dict.fromkeys(range(columns - 1), 0)
    for edge in graph.edges:
        for c in range(depth[edge.source], depth[edge.target]):
            crossing[c] += 1
    pieces: list[tuple[int, int]] = []
    start = 0
    for c in range(columns - 1):
        if crossing[c] <= 1:
            pieces.append((start, c))
            start = c + 1
    pieces.append((start, columns - 1))
    return pieces


def _wrap(
    pieces: list[tuple[int, int]], limit: int, extent: dict[int, tuple[float, float]]
) -> list[_Row]:
    """Pieces packed greedily into rows of at most ``limit`` columns (a longer piece alone)."""
    spans: list[tuple[int, int]] = []
    for first, last in pieces:
        if spans and last - spans[-1][0] + 1 <= limit:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((first, last))
    return [
        _Row(
            first,
            last,
            min(extent[c][0] for c in range(first, last + 1)),
            max(extent[c][1] for c in range(first, last + 1)),
        )
        for first, last in spans
    ]


def _zoom(rows: list[_Row], view: tuple[float, float]) -> float:
    """The zoom at which ``fit_all`` would show these rows (at most 100 %)."""
    width = max(r.last - r.first for r in rows) * COLUMN_WIDTH + NODE_WIDTH
    if len(rows) > 1:
        width += 2 * RETURN_BULGE
    height = sum(r.bottom - r.top for r in rows) + ROW_GAP * (len(rows) - 1)
    return min(
        view[0] / (width + 2 * VIEW_MARGIN),
        view[1] / (height + 2 * VIEW_MARGIN),
        1.0,
    )
