"""Receptive fields carried into and out of groups: a grouped network and the same network
ungrouped must give every block the same field, node for node."""

from __future__ import annotations

import pytest

from cnnstudio.core.analysis import Analysis, NodeInfo, analyze
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.groups import Ungroup, unrolled
from cnnstudio.core.project import load_project
from cnnstudio.core.shipped import examples_dir


def _resnet() -> GraphModel:
    return load_project(examples_dir() / "resnet_small.cnnstudio").graph


def _check_against_ungrouped(graph: GraphModel) -> int:
    """Ungroups each top-level group in turn and compares every node's shape and field with
    the grouped analysis (recursing into what ungrouping brings up); returns the nodes compared."""
    grouped = analyze(graph)
    compared = 0
    for group in [n.id for n in graph if n.is_group]:
        flat = graph.copy()
        node = flat.node(group)
        inner_ids = [n.id for n in flat.definitions.get(node.definition).instantiate(node.params)]
        new_ids = [n.id for n in unrolled(flat, group)[0]]
        Ungroup(group).do(flat)
        ungrouped = analyze(flat)
        pairs: list[tuple[NodeInfo, NodeInfo]] = [
            (grouped.nodes[n], ungrouped.nodes[n]) for n in grouped.order if n != group
        ]
        for rep, infos in enumerate(grouped.nodes[group].inner):
            for i, inner in enumerate(inner_ids):
                pairs.append((infos[inner], ungrouped.nodes[new_ids[rep * len(inner_ids) + i]]))
        for mine, theirs in pairs:
            assert mine.status == theirs.status == "ok", (mine.id, theirs.id)
            assert mine.output_shape == theirs.output_shape, (mine.id, theirs.id)
            assert mine.field == theirs.field, (mine.id, theirs.id)
        # the group gives what its output block gives in its last repetition
        output = graph.definitions.get(node.definition).output
        assert grouped.nodes[group].field == grouped.nodes[group].inner[-1][output].field
        compared += len(pairs) + _check_against_ungrouped(flat)
    return compared


def _field_size(result: Analysis, node_id: str) -> tuple[int, int]:
    field = result.nodes[node_id].field
    assert field is not None, node_id
    return (int(field.height.size), int(field.width.size))


@pytest.mark.parametrize("example", ["resnet_small", "inception_small"])
def test_grouped_examples_have_the_fields_of_their_ungrouped_selves(example: str) -> None:
    graph = load_project(examples_dir() / f"{example}.cnnstudio").graph
    assert any(n.is_group for n in graph)
    assert _check_against_ungrouped(graph) > 20


def test_fields_go_through_repeats() -> None:
    graph = _resnet()
    graph.set_repeat("block1", 2)
    result = analyze(graph)
    first, second = result.nodes["block1"].inner
    # each BasicBlock adds two 3×3 convs: 3 (stem) + 2·2 = 7, then 7 + 2·2 = 11
    entering, leaving = second["conv1"].field, first["relu2"].field
    assert entering is not None
    assert leaving is not None
    assert entering.height.size == leaving.height.size + 2
    assert _field_size(result, "block1") == (11, 11)
    assert result.nodes["block1"].field == second["relu2"].field
    assert _check_against_ungrouped(graph) > 20


def test_a_group_states_its_output_shape_params_and_field() -> None:
    result = analyze(_resnet())
    info = result.nodes["block2"]
    lines = info.maths().splitlines()
    assert lines[0] == "DownBlock = [32, 16, 16]   (from [16, 32, 32])"
    assert lines[1] == f"params = {info.params}   (summed over its blocks)"
    assert lines[-1].startswith("receptive field 13×13 of the 32×32 input, jump 2×2")
    # the last conv of the network sees more than the whole image, and the head says so
    assert _field_size(result, "block3") == (25, 25)
    assert result.nodes["fc"].maths().endswith("receptive field: the whole 32×32 input")
