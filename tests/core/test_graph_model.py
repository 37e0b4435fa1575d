"""GraphModel: every mutation is validated before it happens and announced once afterwards."""

from __future__ import annotations

import math

import pytest

from cnnstudio.core.errors import GraphError, ParamError
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import graph_to_dict


def test_add_node_normalises_params_and_announces(signal_log) -> None:
    g = GraphModel()
    log = signal_log(g)
    node = g.add_node(Node("conv", "Conv2d", {"kernel_size": [3, 5], "padding": "same"}))
    assert node is g.node("conv")
    assert node.params == {"kernel_size": [3, 5], "padding": "same"}
    assert log.names() == ["node_added", "changed"]
    assert log.events[0][1] == (node,)


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (Node("1conv", "ReLU"), "invalid node id '1conv'"),
        (Node("", "ReLU"), "invalid node id ''"),
        (Node("a b", "ReLU"), "invalid node id 'a b'"),
        (Node("x" * 65, "ReLU"), "invalid node id"),
        (Node("conv", "Conv3d"), "unknown block type 'Conv3d'"),
        (
            Node("conv", "Conv2d", {"kernal_size": 3}),
            "conv (Conv2d): unknown parameter 'kernal_size'",
        ),
        (Node("conv", "Conv2d", {"out_channels": 0}), "out_channels must be >= 1, got 0"),
    ],
)
def test_add_node_refuses_bad_nodes_and_changes_nothing(
    node: Node, message: str, signal_log
) -> None:
    g = GraphModel()
    g.add_node(Node("keep", "ReLU"))
    log = signal_log(g)
    with pytest.raises(GraphError, match=message.replace("(", r"\(").replace(")", r"\)")):
        g.add_node(node)
    assert [n.id for n in g] == ["keep"]
    assert log.events == []


def test_add_node_refuses_a_taken_id() -> None:
    g = GraphModel()
    g.add_node(Node("a", "ReLU"))
    with pytest.raises(GraphError, match="a node named 'a' already exists"):
        g.add_node(Node("a", "Tanh"))
    assert g.node("a").type == "ReLU"


def test_add_node_at_index_keeps_the_rest_in_order() -> None:
    g = GraphModel.from_parts([Node("a", "ReLU"), Node("c", "ReLU")], [])
    g.add_node(Node("b", "ReLU"), index=1)
    g.add_node(Node("d", "ReLU"), index=99)
    assert [n.id for n in g.nodes] == ["a", "b", "c", "d"]
    assert [g.index(n) for n in "abcd"] == [0, 1, 2, 3]


def test_unknown_node_lookups_name_the_node() -> None:
    g = GraphModel()
    with pytest.raises(GraphError, match="no node named 'ghost'"):
        g.node("ghost")
    with pytest.raises(GraphError, match="no node named 'ghost'"):
        g.index("ghost")
    with pytest.raises(GraphError, match="no node named 'ghost'"):
        g.remove_node("ghost")
    assert "ghost" not in g


def test_connect_announces_the_edge_once(residual: GraphModel, signal_log) -> None:
    residual.disconnect(Edge("conv1", "add1", 1))
    log = signal_log(residual)
    assert residual.connect(Edge("conv1", "add1", 1)) is None
    assert log.events == [("edge_added", (Edge("conv1", "add1", 1),)), ("changed", ())]


def test_connect_replaces_the_edge_on_an_occupied_port(residual: GraphModel, signal_log) -> None:
    log = signal_log(residual)
    old = residual.connect(Edge("input", "add1", 1))
    assert old == Edge("conv1", "add1", 1)
    assert residual.inputs_of("add1") == [Edge("relu1", "add1", 0), Edge("input", "add1", 1)]
    assert not residual.has_edge(old)
    assert log.events == [
        ("edge_removed", (old,)),
        ("edge_added", (Edge("input", "add1", 1),)),
        ("changed", ()),
    ]


def test_connecting_an_existing_edge_changes_nothing(residual: GraphModel, signal_log) -> None:
    before = graph_to_dict(residual)
    log = signal_log(residual)
    assert residual.connect(Edge("conv1", "add1", 1)) is None
    assert graph_to_dict(residual) == before
    assert log.events == []


def test_cycle_is_refused_at_connect_time_with_a_message(residual: GraphModel, signal_log) -> None:
    before = graph_to_dict(residual)
    log = signal_log(residual)
    with pytest.raises(
        GraphError,
        match=r"connecting add1 to conv1 would create a cycle \(conv1 already feeds add1\)",
    ):
        residual.connect(Edge("add1", "conv1", 0))
    with pytest.raises(GraphError, match="cannot connect relu1 to itself"):
        residual.connect(Edge("relu1", "relu1", 0))
    assert graph_to_dict(residual) == before
    assert log.events == []


@pytest.mark.parametrize(
    ("edge", "message"),
    [
        (Edge("conv1", "relu1", 1), r"relu1 \(ReLU\) has 1 input; port 1 does not exist"),
        (Edge("conv1", "relu1", -1), r"relu1 \(ReLU\) has 1 input; port -1 does not exist"),
        (Edge("conv1", "add1", -1), r"add1 \(Add\) has 2 inputs; port -1 does not exist"),
        (Edge("conv1", "add1", 1024), r"add1 \(Add\): port 1024 is out of range"),
        (Edge("conv1", "input", 0), r"input \(Input\) has no input"),
        (Edge("out", "relu1", 0), r"out \(Output\) has no output"),
        (Edge("ghost", "relu1", 0), "no node named 'ghost'"),
        (Edge("conv1", "ghost", 0), "no node named 'ghost'"),
    ],
)
def test_port_counts_are_enforced(residual: GraphModel, edge: Edge, message: str) -> None:
    before = graph_to_dict(residual)
    with pytest.raises(GraphError, match=message):
        residual.connect(edge)
    assert graph_to_dict(residual) == before


def test_variadic_merges_take_any_number_of_ports_in_port_order() -> None:
    g = GraphModel()
    for i in range(4):
        g.add_node(Node(f"r{i}", "ReLU"))
    g.add_node(Node("cat", "Concat"))
    for port, src in [(3, "r0"), (0, "r1"), (7, "r2"), (1, "r3")]:
        g.connect(Edge(src, "cat", port))
    assert [(e.source, e.target_port) for e in g.inputs_of("cat")] == [
        ("r1", 0),
        ("r3", 1),
        ("r0", 3),
        ("r2", 7),
    ]
    assert g.edge_at("cat", 7) == Edge("r2", "cat", 7)
    assert g.edge_at("cat", 2) is None
    assert g.outputs_of("r0") == [Edge("r0", "cat", 3)]


def test_one_source_may_feed_several_ports_of_a_merge() -> None:
    g = GraphModel.from_parts([Node("r", "ReLU"), Node("add", "Add")], [])
    g.connect(Edge("r", "add", 0))
    g.connect(Edge("r", "add", 1))
    assert g.inputs_of("add") == [Edge("r", "add", 0), Edge("r", "add", 1)]


def test_disconnect(residual: GraphModel, signal_log) -> None:
    log = signal_log(residual)
    residual.disconnect(Edge("conv1", "add1", 1))
    assert log.events == [("edge_removed", (Edge("conv1", "add1", 1),)), ("changed", ())]
    with pytest.raises(GraphError, match="no edge from conv1 to add1:1"):
        residual.disconnect(Edge("conv1", "add1", 1))


def test_remove_node_takes_its_edges_and_announces_each(residual: GraphModel, signal_log) -> None:
    log = signal_log(residual)
    node = residual.remove_node("conv1")
    assert node.id == "conv1"
    assert "conv1" not in residual
    assert all("conv1" not in (e.source, e.target) for e in residual.edges)
    assert log.names() == ["edge_removed"] * 3 + ["node_removed", "changed"]
    removed = {args[0] for name, args in log.events if name == "edge_removed"}
    assert removed == {Edge("input", "conv1"), Edge("conv1", "relu1"), Edge("conv1", "add1", 1)}


def test_set_params_merges_validates_and_returns_the_old_dict(
    residual: GraphModel, signal_log
) -> None:
    log = signal_log(residual)
    old = residual.set_params("conv1", {"kernel_size": 5, "padding": 2})
    assert old == {"out_channels": 8, "padding": 1}
    assert residual.node("conv1").params == {"out_channels": 8, "padding": 2, "kernel_size": 5}
    assert log.events == [("params_changed", ("conv1",)), ("changed", ())]
    residual.set_params("conv1", {"stride": 2}, replace=True)
    assert residual.node("conv1").params == {"stride": 2}


def test_set_params_refuses_bad_values_and_changes_nothing(
    residual: GraphModel, signal_log
) -> None:
    log = signal_log(residual)
    with pytest.raises(ParamError, match="conv1 \\(Conv2d\\): stride must be >= 1, got 0") as info:
        residual.set_params("conv1", {"kernel_size": 5, "stride": 0})
    assert info.value.param == "stride"
    assert residual.node("conv1").params == {"out_channels": 8, "padding": 1}
    assert log.events == []


def test_rename_keeps_edges_ports_and_order(residual: GraphModel, signal_log) -> None:
    order = [n.id for n in residual]
    log = signal_log(residual)
    residual.rename("conv1", "stem")
    assert [n.id for n in residual] == [("stem" if n == "conv1" else n) for n in order]
    assert residual.node("stem").id == "stem"
    assert residual.inputs_of("stem") == [Edge("input", "stem")]
    assert residual.outputs_of("stem") == [Edge("stem", "add1", 1), Edge("stem", "relu1")]
    assert residual.inputs_of("add1") == [Edge("relu1", "add1", 0), Edge("stem", "add1", 1)]
    assert log.events == [("node_renamed", ("conv1", "stem")), ("changed", ())]


def test_rename_refusals(residual: GraphModel, signal_log) -> None:
    log = signal_log(residual)
    residual.rename("conv1", "conv1")
    with pytest.raises(GraphError, match="a node named 'relu1' already exists"):
        residual.rename("conv1", "relu1")
    with pytest.raises(GraphError, match="invalid node id 'no spaces'"):
        residual.rename("conv1", "no spaces")
    with pytest.raises(GraphError, match="no node named 'ghost'"):
        residual.rename("ghost", "other")
    assert log.events == []
    assert "conv1" in residual


def test_move_announces_only_node_moved(residual: GraphModel, signal_log) -> None:
    log = signal_log(residual)
    residual.move("conv1", (10, -2.5))
    residual.move("conv1", (10.0, -2.5))
    assert residual.node("conv1").position == (10.0, -2.5)
    assert log.events == [("node_moved", ("conv1", (10.0, -2.5)))]
    with pytest.raises(GraphError, match="position must be finite"):
        residual.move("conv1", (math.nan, 0))
    assert residual.node("conv1").position == (10.0, -2.5)


def test_topological_order_follows_edges_and_breaks_ties_by_insertion() -> None:
    nodes = [Node(n, "ReLU") for n in ("d", "c", "b", "a")]
    edges = [Edge("a", "b"), Edge("b", "c")]
    g = GraphModel.from_parts(nodes, edges)
    assert g.topological_order() == ["d", "a", "b", "c"]
    add = g.add_node(Node("m", "Add"))
    g.connect(Edge("c", add.id, 0))
    g.connect(Edge("d", add.id, 1))
    order = g.topological_order()
    assert all(order.index(e.source) < order.index(e.target) for e in g.edges)
    assert order == ["d", "a", "b", "c", "m"]


def test_has_path() -> None:
    g = GraphModel.from_parts([Node(n, "ReLU") for n in "abc"], [Edge("a", "b"), Edge("b", "c")])
    assert g.has_path("a", "c")
    assert not g.has_path("c", "a")
    assert g.has_path("b", "b")


def test_copy_is_equal_and_independent(residual: GraphModel) -> None:
    clone = residual.copy()
    assert graph_to_dict(clone) == graph_to_dict(residual)
    clone.set_params("conv1", {"out_channels": 4})
    clone.move("fc", (5, 5))
    assert residual.node("conv1").params["out_channels"] == 8
    assert residual.node("fc").position == (0.0, 0.0)


def test_subgraph_copies_nodes_and_inner_edges(residual: GraphModel) -> None:
    nodes, edges = residual.subgraph(["conv1", "relu1", "add1"])
    assert [n.id for n in nodes] == ["conv1", "relu1", "add1"]
    assert edges == [Edge("conv1", "add1", 1), Edge("conv1", "relu1"), Edge("relu1", "add1")]
    nodes[0].params["out_channels"] = 1
    assert residual.node("conv1").params["out_channels"] == 8


def test_clear_removes_everything(residual: GraphModel) -> None:
    residual.clear()
    assert len(residual) == 0
    assert residual.edges == []


def test_new_ids_follow_one_scheme_for_every_block() -> None:
    g = GraphModel()
    for block in ("Input", "Conv2d", "Conv2d", "BatchNorm1d", "Output"):
        g.add_node(Node(g.new_id(block), block))
    assert [n.id for n in g.nodes] == ["input_1", "conv_1", "conv_2", "batchnorm_1", "output_1"]
    g.remove_node("conv_1")
    assert g.new_id("Conv2d") == "conv_1"  # the smallest free number
    assert g.new_id("Input") == "input_2"
