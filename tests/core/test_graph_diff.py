"""The architecture diff: matching by id, then by type and topological place; params and edges."""

from __future__ import annotations

from collections.abc import Callable

from cnnstudio.core.analysis import analyze
from cnnstudio.core.diff import Comparison, diff_graphs, diff_lines
from cnnstudio.core.graph import Edge, GraphModel, Node

CHAIN = [
    ("conv1", "Conv2d", {"out_channels": 8, "padding": 1}),
    ("relu1", "ReLU", {}),
    ("flat", "Flatten", {}),
    ("fc", "Linear", {"out_features": 10}),
]


def test_a_copy_is_identical(residual: GraphModel) -> None:
    d = diff_graphs(residual, residual.copy())
    assert d.identical
    assert d.to_dict() == {
        "identical": True,
        "added": [],
        "removed": [],
        "changed": [],
        "edges_added": [],
        "edges_removed": [],
        "params_delta": 0,
        "macs_delta": 0,
    }


def test_an_explicit_default_is_no_change(make_chain: Callable[..., GraphModel]) -> None:
    old = make_chain(CHAIN)
    new = old.copy()
    new.set_params("conv1", {"stride": 1})  # Conv2d's default stride
    assert diff_graphs(old, new).identical


def test_changed_params_list_old_and_new_values_and_costs(
    make_chain: Callable[..., GraphModel],
) -> None:
    old = make_chain(CHAIN)
    new = old.copy()
    new.set_params("conv1", {"out_channels": 16, "kernel_size": 5, "padding": 2})
    d = diff_graphs(old, new)
    assert not d.identical
    assert d.added == []
    assert d.removed == []
    assert d.edges_added == []
    assert d.edges_removed == []
    assert [c.to_dict() for c in d.changed] == [
        {
            "node": "conv1",
            "type": None,
            "params": {"kernel_size": [3, 5], "out_channels": [8, 16], "padding": [1, 2]},
        }
    ]
    a_old, a_new = analyze(old), analyze(new)
    assert d.params_delta == a_new.total_params - a_old.total_params > 0
    assert d.macs_delta == a_new.macs - a_old.macs > 0


def test_renamed_nodes_are_matched_by_type_and_place(
    make_chain: Callable[..., GraphModel],
) -> None:
    old = make_chain(CHAIN)
    new = old.copy()
    new.rename("conv1", "features")
    new.rename("fc", "classifier")
    new.set_params("classifier", {"out_features": 5})
    d = diff_graphs(old, new)
    assert d.added == []
    assert d.removed == []
    assert d.edges_added == []
    assert d.edges_removed == []
    assert [c.to_dict() for c in d.changed] == [
        {"node": "features", "type": None, "params": {}, "renamed_from": "conv1"},
        {
            "node": "classifier",
            "type": None,
            "params": {"out_features": [10, 5]},
            "renamed_from": "fc",
        },
    ]
    assert d.matches["conv1"] == "features"
    assert d.matches["fc"] == "classifier"


def test_an_inserted_block_is_added_with_its_wires(
    make_chain: Callable[..., GraphModel],
) -> None:
    old = make_chain(CHAIN)
    new = old.copy()
    new.add_node(Node("bn1", "BatchNorm2d"))
    new.disconnect(Edge("conv1", "relu1"))
    new.connect(Edge("conv1", "bn1"))
    new.connect(Edge("bn1", "relu1"))
    d = diff_graphs(old, new)
    assert d.added == ["bn1"]
    assert d.removed == []
    assert d.changed == []
    assert d.edges_added == [Edge("bn1", "relu1"), Edge("conv1", "bn1")]
    assert d.edges_removed == [Edge("conv1", "relu1")]
    assert d.params_delta == 2 * 8  # weight and bias of 8 channels
    assert d.to_dict()["edges_added"] == [["bn1", "relu1", 0], ["conv1", "bn1", 0]]


def test_an_inserted_block_of_a_renamed_type_is_not_mistaken_for_the_rename(
    make_chain: Callable[..., GraphModel],
) -> None:
    """A second ReLU inserted under a fresh id while the first was renamed: one match, one add."""
    old = make_chain(CHAIN)
    new = make_chain(
        [
            ("conv1", "Conv2d", {"out_channels": 8, "padding": 1}),
            ("act", "ReLU", {}),
            ("conv2", "Conv2d", {"out_channels": 8, "padding": 1}),
            ("act2", "ReLU", {}),
            ("flat", "Flatten", {}),
            ("fc", "Linear", {"out_features": 10}),
        ]
    )
    d = diff_graphs(old, new)
    assert d.matches["relu1"] == "act"
    assert sorted(d.added) == ["act2", "conv2"]
    assert d.removed == []
    assert [c.node for c in d.changed] == ["act"]


def test_a_removed_block_keeps_its_old_ids(make_chain: Callable[..., GraphModel]) -> None:
    old = make_chain(CHAIN)
    new = make_chain([c for c in CHAIN if c[0] != "relu1"])
    d = diff_graphs(old, new)
    assert d.removed == ["relu1"]
    assert d.added == []
    assert d.changed == []
    assert d.edges_removed == [Edge("conv1", "relu1"), Edge("relu1", "flat")]
    assert d.edges_added == [Edge("conv1", "flat")]


def test_a_changed_merge_reports_the_type_and_the_cost(residual: GraphModel) -> None:
    """Add -> Concat under the same id doubles the channels the classifier sees."""
    new = GraphModel.from_parts(
        [n.copy() if n.id != "add1" else Node("add1", "Concat", {}, n.position) for n in residual],
        residual.edges,
    )
    d = diff_graphs(residual, new)
    assert [c.to_dict() for c in d.changed] == [
        {"node": "add1", "type": ["Add", "Concat"], "params": {}}
    ]
    assert d.edges_added == []
    assert d.edges_removed == []
    assert d.params_delta == 8 * 8 * 8 * 10  # fc's weights for the extra 8 x 8 x 8 features


def test_a_rewired_merge_port_is_an_edge_change(residual: GraphModel) -> None:
    new = residual.copy()
    new.disconnect(Edge("conv1", "add1", 1))
    new.disconnect(Edge("relu1", "add1", 0))
    new.connect(Edge("relu1", "add1", 1))
    new.connect(Edge("conv1", "add1", 0))
    d = diff_graphs(residual, new)
    assert d.changed == []
    assert d.added == []
    assert d.removed == []
    assert d.edges_added == [Edge("conv1", "add1", 0), Edge("relu1", "add1", 1)]
    assert d.edges_removed == [Edge("conv1", "add1", 1), Edge("relu1", "add1", 0)]
    assert d.params_delta == 0
    assert d.macs_delta == 0


def test_listed_changes_name_the_node_to_show(make_chain: Callable[..., GraphModel]) -> None:
    """The canvas list centres each change's block: new ids, or old ones for what is gone."""
    old = make_chain(CHAIN)
    new = make_chain([c for c in CHAIN if c[0] != "relu1"])
    new.set_params("fc", {"out_features": 5})
    comparison = Comparison.of(old, new, "run A", "current")
    new.set_params("fc", {"out_features": 7})  # a later edit leaves the comparison as it was
    entries = comparison.entries()
    assert [(e.text, e.node, e.in_old) for e in entries] == [
        ("- relu1 (ReLU)", "relu1", True),
        ("~ fc: out_features 10 -> 5", "fc", False),
        ("+ wire conv1 -> flat:0", "flat", False),
        ("- wire conv1 -> relu1:0", "relu1", True),
        ("- wire relu1 -> flat:0", "flat", True),
        (entries[-1].text, None, False),
    ]
    assert entries[-1].text.startswith("params ")
    assert [e.text for e in entries] == diff_lines(comparison.diff, old, comparison.new)
