"""Groups in the core: grouping a selection, ungrouping, definitions, instances and undo."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import graphs

from cnnstudio.core.analysis import analyze
from cnnstudio.core.commands import Command, SetParams
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import GROUP, Edge, ExposedParam, GraphModel, InputPort, Node
from cnnstudio.core.groups import (
    EditDefinition,
    GroupNodes,
    MakeUnique,
    RenameDefinition,
    SetRepeat,
    Ungroup,
    flattened,
    instance_params,
)
from cnnstudio.core.memory import estimate_step_memory
from cnnstudio.core.project import Project, graph_to_dict

BLOCK = ["conv1", "bn1", "relu1", "conv2", "bn2", "add", "relu2"]


def _conv(out: int, stride: int = 1) -> dict[str, Any]:
    return {"out_channels": out, "kernel_size": 3, "stride": stride, "padding": 1, "bias": False}


def residual() -> GraphModel:
    """Input -> stem -> one identity residual block -> head -> Output, laid out left to right."""
    g = GraphModel()
    spec = [
        ("x", "Input", {"shape": [3, 16, 16]}, []),
        ("stem", "Conv2d", _conv(8), ["x"]),
        ("conv1", "Conv2d", _conv(8), ["stem"]),
        ("bn1", "BatchNorm2d", {}, ["conv1"]),
        ("relu1", "ReLU", {}, ["bn1"]),
        ("conv2", "Conv2d", _conv(8), ["relu1"]),
        ("bn2", "BatchNorm2d", {}, ["conv2"]),
        ("add", "Add", {}, ["bn2", "stem"]),
        ("relu2", "ReLU", {}, ["add"]),
        ("pool", "AdaptiveAvgPool2d", {"output_size": 1}, ["relu2"]),
        ("flat", "Flatten", {}, ["pool"]),
        ("fc", "Linear", {"out_features": 10}, ["flat"]),
        ("out", "Output", {}, ["fc"]),
    ]
    for i, (node_id, block, params, _) in enumerate(spec):
        g.add_node(Node(node_id, block, params, (100.0 * i, 10.0 * (i % 3))))
    for node_id, _, _, sources in spec:
        for port, s in enumerate(sources):
            g.connect(Edge(s, node_id, port))
    return g


def state(graph: GraphModel) -> dict[str, Any]:
    """Everything saved of a graph, nodes keyed by id so insertion order does not matter."""
    doc = graph_to_dict(graph)
    return {**doc, "nodes": {n["id"]: n for n in doc["nodes"]}}


def test_grouping_infers_ordered_named_ports_and_keeps_the_inner_blocks() -> None:
    g = residual()
    GroupNodes(BLOCK, "BasicBlock", "layer1").do(g)
    assert [n.id for n in g] == ["x", "stem", "layer1", "pool", "flat", "fc", "out"]
    node = g.node("layer1")
    assert (node.type, node.definition, node.repeat) == (GROUP, "BasicBlock", 1)
    assert g.inputs_of("layer1") == [Edge("stem", "layer1", 0)]
    assert g.outputs_of("layer1") == [Edge("layer1", "pool", 0)]
    d = g.definitions.get("BasicBlock")
    assert d.inputs == [InputPort("conv1", (("conv1", 0), ("add", 1)))]
    assert d.output == "relu2"
    assert [n.id for n in d.graph] == BLOCK
    assert d.graph.node("conv2").position == (500.0, 20.0)


def test_ports_are_named_after_the_inner_port_and_ordered_by_the_blocks_they_reach() -> None:
    g = residual()
    GroupNodes(["bn2", "add"], "Merge", "m").do(g)
    d = g.definitions.get("Merge")
    assert [p.name for p in d.inputs] == ["bn2", "add.1"]
    assert g.inputs_of("m") == [Edge("conv2", "m", 0), Edge("stem", "m", 1)]


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ([], "select the blocks to group first"),
        (["x", "stem"], r"x \(Input\) cannot go inside a group"),
        (["conv1", "relu2"], "relu2 lies between|conv1 and relu2|lies between"),
        (["conv2", "stem"], "a group has one output, but stem and conv2"),
        (["nope"], "no node named 'nope'"),
    ],
)
def test_selections_that_cannot_be_one_group_are_refused_unchanged(
    selection: list[str], message: str
) -> None:
    g = residual()
    before = state(g)
    with pytest.raises(GraphError, match=message):
        GroupNodes(selection, "G").do(g)
    assert state(g) == before
    assert len(g.definitions) == 0


def test_group_undo_and_ungroup_both_restore_the_exact_graph() -> None:
    g = residual()
    before = state(g)
    group = GroupNodes(BLOCK, "BasicBlock", "layer1")
    group.do(g)
    grouped = state(g)
    group.undo(g)
    assert state(g) == before
    assert len(g.definitions) == 0
    assert [n.id for n in g] == [n.id for n in residual()]
    group.do(g)
    ungroup = Ungroup("layer1")
    ungroup.do(g)
    assert state(g) == before
    assert len(g.definitions) == 0
    ungroup.undo(g)
    assert state(g) == grouped


def test_ungroup_writes_the_instance_parameters_and_follows_the_moved_group() -> None:
    g = residual()
    GroupNodes(BLOCK, "BasicBlock", "layer1").do(g)
    EditDefinition(
        "BasicBlock",
        params=[ExposedParam("channels", (("conv1", "out_channels"), ("conv2", "out_channels")))],
    ).do(g)
    g.set_params("layer1", {"channels": 8})
    centre = g.node("layer1").position
    g.move("layer1", (centre[0] + 1000, centre[1]))
    Ungroup("layer1").do(g)
    assert g.node("conv1").params["out_channels"] == 8
    assert g.node("conv2").position == (1500.0, 20.0)


def test_ungrouping_a_repeat_chains_the_copies_under_fresh_ids() -> None:
    g = residual()
    GroupNodes(BLOCK, "BasicBlock", "layer1").do(g)
    SetRepeat("layer1", 2).do(g)
    Ungroup("layer1").do(g)
    assert g.edge_at("layer1_1_conv1", 0) == Edge("layer1_0_relu2", "layer1_1_conv1", 0)
    assert g.edge_at("layer1_1_add", 1) == Edge("layer1_0_relu2", "layer1_1_add", 1)
    assert g.edge_at("layer1_0_add", 1) == Edge("stem", "layer1_0_add", 1)
    assert g.edge_at("pool", 0) == Edge("layer1_1_relu2", "pool", 0)


def two_instances() -> GraphModel:
    """Two instances of one definition in a row (``layer1`` and ``layer2``)."""
    g = residual()
    GroupNodes(BLOCK, "BasicBlock", "layer1").do(g)
    d = g.definitions.get("BasicBlock")
    g.add_node(Node("layer2", GROUP, {}, (0, 0), "BasicBlock"))
    g.connect(Edge("layer1", "layer2", 0))
    g.connect(Edge("layer2", "pool", 0))
    assert d is g.definitions.get("BasicBlock")
    return g


def test_editing_a_definition_updates_every_instance_and_undoes() -> None:
    g = two_instances()
    changes: list[None] = []
    g.changed.connect(lambda: changes.append(None))
    inner = g.definitions.get("BasicBlock").graph
    edit = SetParams("conv2", {"kernel_size": 5, "padding": 2})
    edit.do(inner)  # an ordinary edit inside the group
    assert changes, "the root graph re-announces a change inside a definition"
    assert inner.node("conv2").params["kernel_size"] == 5
    expose = EditDefinition(
        "BasicBlock",
        params=[ExposedParam("channels", (("conv1", "out_channels"), ("conv2", "out_channels")))],
    )
    expose.do(g)
    assert instance_params(g, "layer1") == instance_params(g, "layer2") == {"channels": 8}
    g.set_params("layer2", {"channels": 16})
    with pytest.raises(GraphError, match=r"layer2 .*channels"):
        EditDefinition("BasicBlock", params=[]).do(g)
    g.set_params("layer2", {}, replace=True)
    expose.undo(g)
    assert g.definitions.get("BasicBlock").params == []
    edit.undo(inner)
    assert inner.node("conv2").params["kernel_size"] == 3


def test_instance_parameters_are_checked_against_the_bound_block_parameter() -> None:
    g = two_instances()
    EditDefinition("BasicBlock", params=[ExposedParam("stride", (("conv1", "stride"),))]).do(g)
    with pytest.raises(GraphError, match="unknown parameter 'channels'; known: stride"):
        g.set_params("layer1", {"channels": 3})
    with pytest.raises(GraphError, match="stride"):
        g.set_params("layer1", {"stride": 0})
    command = SetParams("layer1", {"stride": 2})
    command.do(g)
    assert g.node("layer1").params == {"stride": 2}
    command.undo(g)
    assert g.node("layer1").params == {}


def test_make_unique_detaches_one_instance_and_undoes() -> None:
    g = two_instances()
    command = MakeUnique("layer2")
    command.do(g)
    assert g.node("layer2").definition == "BasicBlock_2"
    SetParams("conv1", {"out_channels": 4}).do(g.definitions.get("BasicBlock_2").graph)
    assert g.definitions.get("BasicBlock").graph.node("conv1").params["out_channels"] == 8
    command.undo(g)
    assert g.node("layer2").definition == "BasicBlock"
    assert g.definitions.names == ["BasicBlock"]


def test_renaming_a_definition_renames_every_instance_nested_too_and_undoes() -> None:
    g = two_instances()
    GroupNodes(["layer1"], "Outer").do(g)  # BasicBlock used at the top and inside Outer
    before, analysed = state(g), analyze(g).total_params
    changed: list[str] = []
    g.changed.connect(lambda: changed.append("root"))
    command = RenameDefinition("BasicBlock", "ResBlock")
    command.do(g)
    assert g.definitions.names == ["ResBlock", "Outer"]  # its place in the file order kept
    resblock = g.definitions.get("ResBlock")
    assert resblock.name == resblock.graph.owner == "ResBlock"
    assert g.definitions.users("ResBlock") == ["layer2", "Outer/layer1"]
    assert analyze(g).total_params == analysed
    assert changed
    with pytest.raises(GraphError, match="already exists"):
        RenameDefinition("ResBlock", "Outer").do(g)
    with pytest.raises(GraphError, match="invalid group name"):
        RenameDefinition("ResBlock", "2 blocks").do(g)
    assert g.definitions.names == ["ResBlock", "Outer"]  # refused renames changed nothing
    command.undo(g)
    assert state(g) == before


def test_repeat_is_bounded_and_undoes() -> None:
    g = two_instances()
    command = SetRepeat("layer1", 3)
    command.do(g)
    assert g.node("layer1").repeat == 3
    command.undo(g)
    assert g.node("layer1").repeat == 1
    with pytest.raises(GraphError, match="repeat must be an integer from 1 to 64"):
        g.set_repeat("layer1", 0)
    with pytest.raises(GraphError, match="only groups repeat"):
        g.set_repeat("stem", 2)


def test_a_definition_cannot_contain_itself_or_be_removed_while_used() -> None:
    g = two_instances()
    inner = g.definitions.get("BasicBlock").graph
    with pytest.raises(GraphError, match="cannot go inside BasicBlock"):
        inner.add_node(Node("again", GROUP, {}, (0, 0), "BasicBlock"))
    with pytest.raises(GraphError, match="still used by layer1, layer2"):
        g.definitions.remove("BasicBlock")
    with pytest.raises(GraphError, match="no group definition named 'Nope'"):
        g.add_node(Node("n", GROUP, {}, (0, 0), "Nope"))


def test_renaming_an_inner_block_renames_it_in_ports_and_bindings() -> None:
    g = two_instances()
    EditDefinition("BasicBlock", params=[ExposedParam("stride", (("conv1", "stride"),))]).do(g)
    d = g.definitions.get("BasicBlock")
    d.graph.rename("conv1", "first")
    assert d.inputs == [InputPort("conv1", (("first", 0), ("add", 1)))]
    assert d.params == [ExposedParam("stride", (("first", "stride"),))]


def test_groups_survive_save_and_load(tmp_path: Any) -> None:
    g = two_instances()
    EditDefinition("BasicBlock", params=[ExposedParam("stride", (("conv1", "stride"),))]).do(g)
    g.set_params("layer2", {"stride": 2})
    g.set_repeat("layer2", 2)
    project = Project(name="G", graph=g)
    project.save(tmp_path / "g.cnnstudio")
    loaded = Project.from_dict(project.to_dict())
    assert loaded.to_dict() == project.to_dict()
    assert loaded.graph.node("layer2").params == {"stride": 2}
    assert loaded.graph.definitions.get("BasicBlock").graph.owner == "BasicBlock"
    copy = g.copy()
    assert graph_to_dict(copy) == graph_to_dict(g)
    assert copy.definitions.get("BasicBlock") is not g.definitions.get("BasicBlock")


def _undo_all(graph: GraphModel, done: list[Command]) -> None:
    for c in reversed(done):
        c.undo(graph)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), data=st.data())
def test_grouping_any_selection_round_trips_exactly(graph: GraphModel, data: st.DataObject) -> None:
    before = state(graph)
    inner = [n.id for n in graph if n.type not in ("Input", "Output")]
    assume(inner)
    chosen = data.draw(st.lists(st.sampled_from(inner), min_size=1, unique=True))
    group = GroupNodes(chosen, "G", "grp")
    try:
        group.do(graph)
    except GraphError:
        assert state(graph) == before
        return
    grouped = state(graph)
    a, b = analyze(graph), analyze(flattened(graph))
    assert (a.valid, a.output_shape, a.total_params, a.macs) == (
        b.valid,
        b.output_shape,
        b.total_params,
        b.macs,
    )
    ungroup = Ungroup("grp")
    ungroup.do(graph)
    assert state(graph) == before
    _undo_all(graph, [ungroup])
    assert state(graph) == grouped
    group.undo(graph)
    assert state(graph) == before
    assert len(graph.definitions) == 0


def channels_block() -> GraphModel:
    g = two_instances()
    EditDefinition(
        "BasicBlock",
        params=[ExposedParam("channels", (("conv1", "out_channels"), ("conv2", "out_channels")))],
    ).do(g)
    return g


def test_a_group_analyses_like_its_blocks_and_a_repeat_multiplies_the_cost() -> None:
    flat = analyze(residual())
    g = residual()
    GroupNodes(BLOCK, "BasicBlock", "layer1").do(g)
    grouped = analyze(g)
    assert grouped.valid
    info = grouped.nodes["layer1"]
    assert (info.output_shape, info.input_shapes) == ((8, 16, 16), [(8, 16, 16)])
    assert grouped.total_params == flat.total_params
    assert grouped.macs == flat.macs
    assert info.inner[0]["conv2"].output_shape == (8, 16, 16)
    memory = estimate_step_memory(g, grouped, 8)
    assert memory == estimate_step_memory(residual(), flat, 8)
    block = sum(flat.nodes[n].params for n in BLOCK)
    g.set_repeat("layer1", 3)
    tripled = analyze(g)
    assert tripled.total_params == flat.total_params + 2 * block
    assert len(tripled.nodes["layer1"].inner) == 3
    assert estimate_step_memory(g, tripled, 8).activations > memory.activations


def test_instance_parameters_change_the_instance_shape_and_errors_name_the_inner_path() -> None:
    g = channels_block()
    g.set_params("layer2", {"channels": 16})
    result = analyze(g)
    assert not result.valid
    assert result.errors[0].node == "layer2"
    assert result.errors[0].message.startswith("layer2/add (Add): ")
    assert result.nodes["layer1"].status == "ok"
    g.set_repeat("layer2", 2)
    assert analyze(g).errors[0].message.startswith("layer2.0/add (Add): ")


def test_a_repeat_needs_the_output_to_fit_the_input() -> None:
    g = residual()
    GroupNodes(["conv1", "bn1", "relu1"], "Down", "down").do(g)
    EditDefinition("Down", params=[ExposedParam("stride", (("conv1", "stride"),))]).do(g)
    g.set_params("down", {"stride": 2})
    g.set_repeat("down", 2)
    message = next(i.message for i in analyze(g).errors if i.node == "down")
    assert message == (
        "down (Down x2): repeat needs the output shape to equal the input shape, but "
        "[8, 16, 16] becomes [8, 8, 8]"
    )


def test_editing_a_definition_from_inside_a_group_checks_every_instance() -> None:
    g = channels_block()
    g.set_params("layer2", {"channels": 16})
    inner = g.definitions.get("BasicBlock").graph  # the graph an entered group shows
    with pytest.raises(GraphError, match="layer2"):
        EditDefinition("BasicBlock", params=[]).do(inner)


def test_a_part_of_the_graph_brings_the_definitions_its_groups_use() -> None:
    g = two_instances()
    GroupNodes(["layer1", "layer2"], "Stage", "stage").do(g)
    g.add_node(Node("other", GROUP, {}, (0, 0), "BasicBlock"))  # used, but not in the part
    part = g.part(["stage"])
    assert part.definitions.names == ["BasicBlock", "Stage"]
    assert [n.id for n in part] == ["stage"]
    assert part.definitions.get("Stage").graph is not g.definitions.get("Stage").graph
    assert g.part(["stem", "pool"]).definitions.names == []
