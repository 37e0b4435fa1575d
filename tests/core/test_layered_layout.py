"""Layered layout: columns by longest path from the inputs, branches side by side."""

from __future__ import annotations

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.layout import COLUMN_WIDTH, ROW_HEIGHT, layered_layout


def test_columns_follow_the_longest_path(residual: GraphModel) -> None:
    positions = layered_layout(residual)
    columns = {node: x / COLUMN_WIDTH for node, (x, _) in positions.items()}
    assert columns == {
        "input": 0,
        "conv1": 1,
        "relu1": 2,
        "add1": 3,
        "flat": 4,
        "fc": 5,
        "out": 6,
    }
    assert all(y == 0 for _, y in positions.values())


def test_parallel_branches_get_separate_rows() -> None:
    g = GraphModel.from_parts(
        [Node("input", "Input"), *(Node(n, "ReLU") for n in "abc"), Node("cat", "Concat")],
        [Edge("input", n) for n in "abc"] + [Edge(n, "cat", i) for i, n in enumerate("abc")],
    )
    positions = layered_layout(g)
    assert [positions[n] for n in "abc"] == [
        (COLUMN_WIDTH, -ROW_HEIGHT),
        (COLUMN_WIDTH, 0.0),
        (COLUMN_WIDTH, ROW_HEIGHT),
    ]
    assert positions["cat"] == (2 * COLUMN_WIDTH, 0.0)


def test_empty_graph_has_no_positions() -> None:
    assert layered_layout(GraphModel()) == {}
