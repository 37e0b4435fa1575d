"""Auto-layout: skip connections get a lane of their own, long networks wrap into rows."""

from __future__ import annotations

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.layout import COLUMN_WIDTH, ROW_HEIGHT, layered_layout
from cnnstudio.gui.editor.flow_layout import flow_layout


def _chain(n: int) -> GraphModel:
    g = GraphModel()
    g.add_node(Node("input", "Input", {"shape": [4]}))
    for i in range(n):
        g.add_node(Node(f"fc{i}", "Linear", {"out_features": 4}))
        g.connect(Edge("input" if i == 0 else f"fc{i - 1}", f"fc{i}"))
    return g


def _residual() -> GraphModel:
    """input → conv → relu → add ← input (the skip), then flatten."""
    g = GraphModel()
    g.add_node(Node("input", "Input", {"shape": [3, 8, 8]}))
    g.add_node(Node("conv", "Conv2d", {"out_channels": 3, "padding": 1}))
    g.add_node(Node("relu", "ReLU"))
    g.add_node(Node("add", "Add"))
    g.add_node(Node("flat", "Flatten"))
    for edge in (
        Edge("input", "conv"),
        Edge("conv", "relu"),
        Edge("relu", "add", 0),
        Edge("input", "add", 1),
        Edge("add", "flat"),
    ):
        g.connect(edge)
    return g


def test_without_a_view_a_chain_is_one_row_as_the_core_lays_it_out() -> None:
    g = _chain(6)
    assert flow_layout(g) == layered_layout(g)
    assert flow_layout(GraphModel()) == {}


def test_a_skip_connection_runs_in_its_own_lane_beside_the_blocks_it_skips() -> None:
    p = flow_layout(_residual())
    assert p["input"][1] == p["add"][1] == p["flat"][1] == 0.0
    assert p["conv"][1] == p["relu"][1] == -ROW_HEIGHT / 2  # the skip runs at +ROW_HEIGHT / 2
    assert [p[n][0] for n in ("input", "conv", "relu", "add", "flat")] == [
        i * COLUMN_WIDTH for i in range(5)
    ]


def test_a_long_chain_wraps_into_rows_that_fit_the_view() -> None:
    g = _chain(13)
    wide = flow_layout(g, (4000, 400))
    assert {y for _, y in wide.values()} == {0.0}  # fits on one line: stays there
    p = flow_layout(g, (900, 800))
    rows = sorted({y for _, y in p.values()})
    assert len(rows) > 1
    assert max(x for x, _ in p.values()) + 164 + 2 * 40 <= 900  # every row fits the width
    assert len(set(p.values())) == len(p)
    order = g.topological_order()
    assert sorted(order, key=lambda n: (p[n][1], p[n][0])) == order  # read like text


def test_rows_never_break_inside_a_residual_block() -> None:
    g = _residual()
    for width in (300, 600, 900, 1200):
        p = flow_layout(g, (width, 2000))
        assert [p[n][0] for n in ("input", "conv", "relu", "add")] == [0, 200, 400, 600]
        assert p["flat"][0] in (0.0, 800.0)  # after the Add is the only place a row may end
