"""Layered left-to-right layout (a small Sugiyama): columns by longest path, rows by barycentre."""

from __future__ import annotations

from cnnstudio.core.graph import GraphModel

COLUMN_WIDTH = 200.0
ROW_HEIGHT = 120.0


def layered_layout(graph: GraphModel) -> dict[str, tuple[float, float]]:
    """Positions for every node: each column holds nodes at equal longest-path depth.

    Rows are ordered by the mean row of each node's inputs (two sweeps), so branches stay
    beside each other and residual wires run straight.
    """
    order = graph.topological_order()
    depth: dict[str, int] = {}
    for n in order:
        depth[n] = max((depth[e.source] + 1 for e in graph.inputs_of(n)), default=0)
    columns: dict[int, list[str]] = {}
    for n in order:
        columns.setdefault(depth[n], []).append(n)
    row: dict[str, float] = {}
    for _ in range(2):
        for d in sorted(columns):
            nodes = columns[d]

            def key(n: str) -> float:
                srcs = [row[e.source] for e in graph.inputs_of(n) if e.source in row]
                return sum(srcs) / len(srcs) if srcs else row.get(n, 0.0)

            nodes.sort(key=key)
            for i, n in enumerate(nodes):
                row[n] = i - (len(nodes) - 1) / 2
    return {n: (depth[n] * COLUMN_WIDTH, row[n] * ROW_HEIGHT) for n in order}
