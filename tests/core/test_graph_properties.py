"""Property tests over random graphs: analysis never raises, files and undo round-trip exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import LAYER_TYPES, block_params, graphs

from cnnstudio.core.analysis import analyze
from cnnstudio.core.commands import (
    AddNode,
    Command,
    Connect,
    Disconnect,
    Move,
    RemoveNode,
    Rename,
    SetParams,
    remove_nodes,
)
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.layout import layered_layout
from cnnstudio.core.project import Project, graph_to_dict

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(graphs(valid=False))
def test_analysis_never_raises_and_is_consistent(graph: GraphModel) -> None:
    result = analyze(graph)
    assert set(result.nodes) == {n.id for n in graph}
    order = result.order
    assert sorted(order) == sorted(result.nodes)
    for edge in graph.edges:
        assert order.index(edge.source) < order.index(edge.target)
        if result.nodes[edge.source].status != "ok":
            assert result.nodes[edge.target].status != "ok"
    for info in result.nodes.values():
        assert (info.status == "ok") == (info.output_shape is not None)
        if info.status == "ok":
            assert all(s >= 1 for s in info.output_shape or ())
            assert info.params >= 0
            assert info.macs >= 0
        else:
            assert info.message.startswith(f"{info.id} ({info.type}): ")
        if info.status == "error":
            assert any(i.node == info.id and i.message == info.message for i in result.errors)
    model = [n for n in result.nodes.values() if n.in_model and n.status == "ok"]
    assert result.total_params == sum(n.params for n in model)
    assert result.macs == sum(n.macs for n in model)
    assert result.valid == (not result.errors)


@PROPERTY
@given(graphs())
def test_generated_graphs_are_valid_and_round_trip(graph: GraphModel) -> None:
    result = analyze(graph)
    assert result.valid, [i.message for i in result.errors]
    assert result.output_shape is not None
    assert len(result.output_shape) == 1
    doc = Project("random", graph).to_dict()
    again = Project.from_dict(doc)
    assert again.to_dict() == doc
    assert analyze(again.graph).nodes == result.nodes
    positions = layered_layout(graph)
    assert set(positions) == {n.id for n in graph}
    assert len(set(positions.values())) == len(graph)


@st.composite
def _commands(draw: st.DrawFn, graph: GraphModel) -> list[Command]:
    """Edits of ``graph``, some of which fail (cycles, bad params, taken ids) as a user's might."""
    ids = st.sampled_from([n.id for n in graph] + ["ghost"])
    port = st.integers(0, 3)
    block = draw(st.sampled_from(LAYER_TYPES))
    options: list[st.SearchStrategy[Command]] = [
        st.builds(RemoveNode, ids),
        st.builds(Rename, ids, st.sampled_from(["renamed", "input", "x y"])),
        st.builds(
            Move,
            st.dictionaries(ids, st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), max_size=3),
        ),
        st.builds(Connect, st.builds(Edge, ids, ids, port)),
        st.builds(
            SetParams,
            ids,
            st.dictionaries(
                st.sampled_from(["out_channels", "p", "dim", "bogus"]),
                st.integers(-1, 4),
                max_size=2,
            ),
        ),
        st.builds(
            AddNode,
            st.builds(Node, st.sampled_from(["new", "input"]), st.just(block), block_params(block)),
        ),
    ]
    if graph.edges:
        options.append(st.builds(Disconnect, st.sampled_from(graph.edges)))
        options.append(
            st.builds(
                lambda n, e: remove_nodes(graph, n, e),
                st.lists(ids, max_size=3),
                st.lists(st.sampled_from(graph.edges), max_size=2),
            )
        )
    return draw(st.lists(st.one_of(options), min_size=1, max_size=6))


@PROPERTY
@given(st.data())
def test_any_edit_sequence_undoes_to_the_exact_start(data: st.DataObject) -> None:
    graph = data.draw(graphs(max_steps=3))
    start = graph_to_dict(graph)
    done: list[tuple[Command, dict[str, Any]]] = []
    for command in data.draw(_commands(graph)):
        before = graph_to_dict(graph)
        try:
            command.do(graph)
        except GraphError:
            assert graph_to_dict(graph) == before
            continue
        done.append((command, graph_to_dict(graph)))
    end = graph_to_dict(graph)
    for command, _ in reversed(done):
        command.undo(graph)
    assert graph_to_dict(graph) == start
    for command, after in done:
        command.do(graph)
        assert graph_to_dict(graph) == after
    assert graph_to_dict(graph) == end
