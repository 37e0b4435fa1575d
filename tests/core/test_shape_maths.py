"""Derivations written with each node's own numbers, and receptive fields, from the block specs.

Every formula is evaluated here and must give the value it states, and every stated value must
be what the shape analysis inferred: the text can never drift from the rule it explains.
"""

from __future__ import annotations

import math
import re

from hypothesis import HealthCheck, given, settings
from strategies import graphs

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import load_project
from cnnstudio.core.shipped import examples_dir

_ALLOWED = re.compile(r"^[0-9.+\-*/() ]*$")
_AXES = {"C_out": 0, "H_out": 1, "W_out": 2}


def _evaluate(formula: str) -> float:
    """The arithmetic of a derivation's formula, with its floor and ceiling brackets."""
    text = formula.replace("·", "*").replace("−", "-")
    text = text.replace("⌊", "floor(").replace("⌋", ")").replace("⌈", "ceil(").replace("⌉", ")")
    assert _ALLOWED.match(text.replace("floor", "").replace("ceil", "")), formula
    return float(eval(text, {"__builtins__": {}, "floor": math.floor, "ceil": math.ceil}))


def _chain(shape: list[int], *layers: tuple[str, dict[str, object]]) -> GraphModel:
    graph = GraphModel()
    graph.add_node(Node("x", "Input", {"shape": shape}))
    last = "x"
    for i, (block, params) in enumerate(layers):
        node = f"n{i}"
        graph.add_node(Node(node, block, params))
        graph.connect(Edge(last, node, 0))
        last = node
    graph.add_node(Node("out", "Output", {}))
    graph.connect(Edge(last, "out", 0))
    return graph


def _check_consistent(result: Analysis) -> int:
    """Asserts every ok node's derivation against the analysis; returns the lines checked."""
    checked = 0
    for info in result.nodes.values():
        if info.status != "ok":
            assert not info.derivation
            continue
        assert info.derivation, info.id
        shape = info.output_shape
        assert shape is not None
        for line in info.derivation:
            if line.formula:
                assert _evaluate(line.formula) == line.value, (info.id, line.text())
            if line.name == "params":
                assert line.value == info.params
            elif line.name == "MACs":
                assert line.value == info.macs
            elif line.name == "shape":
                assert line.value == shape
            elif line.name in _AXES and len(shape) == 3:
                assert line.value == shape[_AXES[line.name]], (info.id, line.text())
            elif line.name == "features" and len(shape) == 1:
                assert line.value == shape[0]
            checked += 1
        names = {line.name for line in info.derivation}
        assert ("params" in names) == bool(info.params)
        assert ("MACs" in names) == bool(info.macs)
    return checked


def test_lenet_derivations_read_with_their_numbers() -> None:
    result = analyze(load_project(examples_dir() / "lenet5.cnnstudio").graph)
    conv1 = result.nodes["conv1"].maths().splitlines()
    assert conv1[0] == "H_out = ⌊(28 + 2·2 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28"
    assert conv1[1] == "W_out = ⌊(28 + 2·2 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28"
    assert "params = 6 · (1 · 5 · 5) + 6 = 156" in conv1
    assert "MACs = 6 · 28 · 28 · (1 · 5 · 5) = 117600" in conv1
    pool1 = result.nodes["pool1"].maths().splitlines()
    assert pool1[0] == "H_out = ⌊(28 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = 14"
    fc1 = result.nodes["fc1"].maths().splitlines()
    assert fc1[1].startswith("params = 400 · 120 + 120 = 48120")
    flatten = result.nodes["flatten"].maths().splitlines()
    assert flatten[0].startswith("features = 16 · 5 · 5 = 400")
    assert flatten[-1] == "receptive field: the whole 28×28 input"


def test_lenet_receptive_fields_grow_through_convs_and_pools() -> None:
    result = analyze(load_project(examples_dir() / "lenet5.cnnstudio").graph)
    sizes = {
        n: (int(f.height.size), int(f.height.jump))
        for n, f in ((n, result.nodes[n].field) for n in ("conv1", "pool1", "conv2", "pool2"))
        if f is not None
    }
    assert sizes == {"conv1": (5, 1), "pool1": (6, 2), "conv2": (14, 2), "pool2": (16, 4)}
    assert (
        result.nodes["pool2"]
        .maths()
        .endswith(
            "receptive field 16×16 of the 28×28 input, jump 4×4 (input pixels between neighbouring"
            " outputs)"
        )
    )


def test_dilated_strided_and_ceil_mode_derivations() -> None:
    graph = _chain(
        [2, 17, 15],
        ("Conv2d", {"out_channels": 4, "kernel_size": [3, 5], "dilation": [2, 1], "stride": 2}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True, "padding": 1}),
        ("Conv2d", {"out_channels": 3, "kernel_size": 2, "padding": "same", "groups": 1}),
    )
    result = analyze(graph)
    assert result.valid
    conv = result.nodes["n0"].derivation
    assert conv[0].text() == "H_out = ⌊(17 + 2·0 − 2·(3 − 1) − 1) / 2⌋ + 1 = 7"
    assert conv[1].text() == "W_out = ⌊(15 + 2·0 − 1·(5 − 1) − 1) / 2⌋ + 1 = 6"
    pool = result.nodes["n1"].derivation
    assert pool[0].formula.startswith("⌈(7 + 2·1 − 1·(3 − 1) − 1) / 2⌉ + 1")
    assert "padding 'same'" in result.nodes["n2"].maths()
    field = result.nodes["n0"].field
    assert field is not None
    assert (field.height.size, field.width.size) == (5, 5)
    assert (field.height.jump, field.width.jump) == (2, 2)
    assert _check_consistent(result) > 10


def test_every_example_derivation_agrees_with_the_analysis() -> None:
    for path in sorted(examples_dir().glob("*.cnnstudio")):
        assert _check_consistent(analyze(load_project(path).graph)) > 0, path.name


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(graphs(valid=False))
def test_random_graph_derivations_agree_with_the_analysis(graph: GraphModel) -> None:
    _check_consistent(analyze(graph))


def test_a_vector_input_has_no_receptive_field() -> None:
    result = analyze(_chain([12], ("Linear", {"out_features": 3})))
    assert result.nodes["n0"].field is None
    assert (
        result.nodes["n0"].maths().splitlines()[1]
        == "params = 12 · 3 + 3 = 39   (a weight per input and output)"
    )
