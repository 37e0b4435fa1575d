"""compile_graph: deterministic initialisation, readable generated code, safe names, probes."""

from __future__ import annotations

import copy
import keyword

import pytest
import torch
import torch.fx as fx
from graph_recipes import chain, graph_of, inception_block, lenet5, residual_block

from cnnstudio.core.analysis import analyze
from cnnstudio.core.blocks import get_spec
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.torch_backend.compiler import (
    NODE_IDS,
    CompileError,
    compile_graph,
    feature_extractor,
    resolve,
)


def _states_equal(a: fx.GraphModule, b: fx.GraphModule) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_same_seed_same_weights() -> None:
    assert _states_equal(compile_graph(lenet5(), seed=7), compile_graph(lenet5(), seed=7))


def test_other_seed_other_weights() -> None:
    a, b = compile_graph(lenet5(), seed=7), compile_graph(lenet5(), seed=8)
    assert not torch.equal(a.conv1.weight, b.conv1.weight)
    assert not torch.equal(a.fc3.weight, b.fc3.weight)


def test_no_seed_draws_a_fresh_initialisation() -> None:
    a, b = compile_graph(lenet5(), seed=None), compile_graph(lenet5(), seed=None)
    assert not torch.equal(a.conv1.weight, b.conv1.weight)


@pytest.mark.parametrize("seed", [0, None])
def test_global_rng_untouched(seed: int | None) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    compile_graph(residual_block(), seed=seed)
    assert torch.equal(torch.rand(3), expected)


def test_class_named_after_project() -> None:
    model = compile_graph(lenet5(), name="LeNet-5")
    assert type(model).__name__ == "LeNet5"
    assert type(feature_extractor(model)).__name__ == "LeNet5Features"


def test_generated_code_reads_like_pytorch() -> None:
    model = compile_graph(lenet5())
    code = model.code
    assert "def forward(self, x)" in code
    assert "conv1 = self.conv1(x)" in code
    assert "relu1 = self.relu1(conv1)" in code
    assert "fc3 = self.fc3(relu4)" in code
    assert "return fc3" in code
    assert [name for name, _ in model.named_children()] == [
        n for n in analyze(lenet5()).model_order() if n not in ("x", "out")
    ]


def test_merges_read_as_operators() -> None:
    assert "add = bn2 + proj_bn" in compile_graph(residual_block()).code
    code = compile_graph(inception_block()).code.replace(" = 1)", "=1)")
    assert "cat = torch.cat([b1_relu, b2_relu, b3_relu, b4_relu], dim=1)" in code


def _three_input_add() -> GraphModel:
    return graph_of(
        ("x", "Input", {"shape": [4]}, []),
        ("a", "Linear", {"out_features": 3}, ["x"]),
        ("b", "Linear", {"out_features": 3}, ["x"]),
        ("c", "Linear", {"out_features": 3}, ["x"]),
        ("sum", "Add", {}, ["a", "b", "c"]),
        ("out", "Output", {}, ["sum"]),
    )


def test_add_of_three_inputs() -> None:
    model = compile_graph(_three_input_add())
    assert "sum_partial = a + b" in model.code
    assert "sum_ = sum_partial + c" in model.code
    x = torch.randn(2, 4)
    torch.testing.assert_close(model(x), model.a(x) + model.b(x) + model.c(x))
    assert set(feature_extractor(model)(x)) == {"x", "a", "b", "c", "sum", "out"}


@pytest.mark.parametrize(
    "graph",
    [lenet5(), residual_block(), inception_block(), _three_input_add()],
    ids=["lenet5", "residual", "inception", "add3"],
)
def test_each_block_compiles_to_what_its_spec_says(graph: GraphModel) -> None:
    model = compile_graph(graph)
    ids = model.meta[NODE_IDS]
    assert sorted(ids.values()) == sorted(analyze(graph).model_order())
    for node in model.graph.nodes:
        if node.name not in ids:  # a partial sum: the same function as the block it feeds
            (user,) = node.users
            assert (node.op, node.target) == (user.op, user.target)
            continue
        spec = get_spec(graph.node(ids[node.name]).type)
        assert node.op == spec.lowering.value, node.name
        if spec.function is not None:
            assert node.target is resolve(spec.function.path)
        elif spec.torch_class is not None:
            assert type(model.get_submodule(node.target)) is resolve(spec.torch_class)


AWKWARD_IDS = [
    "conv.1",
    "conv-1",
    "conv_1",
    "class",
    "match",
    "sum",
    "print",
    "input",
    "self",
    "torch",
    "forward",
    "training",
    "train",
    "graph",
    "code",
    "meta",
    "state_dict",
    "_modules",
    "__init__",
    "_",
]


def _awkward_chain() -> GraphModel:
    return chain([3, 4, 4], *((i, "ReLU", {}) for i in AWKWARD_IDS), ("flat", "Flatten", {}))


def test_awkward_ids_become_safe_unique_identifiers() -> None:
    model = compile_graph(_awkward_chain())
    ids = model.meta[NODE_IDS]
    assert sorted(ids.values()) == sorted(["x", *AWKWARD_IDS, "flat", "out"])
    names = [n for n, i in ids.items() if i != "out"]
    assert len(set(names)) == len(names)
    bare = fx.GraphModule(torch.nn.Module(), fx.Graph())
    for name in names:
        assert name.isidentifier(), name
        assert not keyword.iskeyword(name), name
        assert not hasattr(bare, name), name
    assert "conv_1 = self.conv_1(" in model.code, "an id that is already safe keeps its name"


def test_awkward_ids_leave_the_module_working() -> None:
    model = compile_graph(_awkward_chain())
    assert isinstance(model.graph, fx.Graph)
    assert isinstance(model.code, str)
    model.train(False)
    assert model.training is False
    x = torch.randn(2, 3, 4, 4)
    assert model(x).shape == (2, 48)
    features = feature_extractor(model)(x)
    assert set(features) == {"x", *AWKWARD_IDS, "flat", "out"}
    state = copy.deepcopy(model).state_dict()
    assert state.keys() == model.state_dict().keys()


def test_feature_extractor_returns_every_activation() -> None:
    graph = inception_block()
    analysis = analyze(graph)
    model = compile_graph(graph, seed=1)
    x = torch.randn(2, 8, 12, 12)
    features = feature_extractor(model)(x)
    assert set(features) == set(analysis.model_order())
    for node_id, value in features.items():
        assert value.shape == (2, *analysis.nodes[node_id].output_shape), node_id
    torch.testing.assert_close(features["out"], model(x))
    torch.testing.assert_close(
        features["b2_relu"], model.b2_relu(model.b2(features["b2_reduce_relu"]))
    )


def test_feature_extractor_shares_parameters() -> None:
    model = compile_graph(residual_block())
    probe = feature_extractor(model)
    ours = dict(model.named_parameters())
    theirs = dict(probe.named_parameters())
    assert ours.keys() == theirs.keys()
    assert all(ours[k] is theirs[k] for k in ours)
    assert probe.bn1.running_mean is model.bn1.running_mean
    with torch.no_grad():
        model.conv1.weight.zero_()
    assert not probe.conv1.weight.any()


def test_feature_extractor_needs_no_hooks() -> None:
    model = compile_graph(lenet5())
    feature_extractor(model)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_nodes_outside_the_model_are_left_out() -> None:
    graph = lenet5()
    graph.add_node(Node("stray", "Conv2d", {"out_channels": 4}))
    graph.connect(Edge("x", "stray"))
    assert analyze(graph).valid
    model = compile_graph(graph)
    assert not hasattr(model, "stray")
    assert "stray" not in model.meta[NODE_IDS].values()


def test_invalid_graph_is_refused_with_the_analysis_message() -> None:
    graph = chain([1, 3, 3], ("conv", "Conv2d", {"kernel_size": 5}), ("flat", "Flatten", {}))
    with pytest.raises(CompileError, match=r"conv \(Conv2d\): kernel 5x5 is larger than its 3x3"):
        compile_graph(graph)


def test_weights_move_between_compiled_models() -> None:
    """What checkpoints rely on: a state_dict from one compile loads into another."""
    a, b = compile_graph(residual_block(), seed=1), compile_graph(residual_block(), seed=2)
    b.load_state_dict(a.state_dict())
    a.eval()
    b.eval()
    x = torch.randn(2, 8, 16, 16)
    torch.testing.assert_close(a(x), b(x))


def test_deepcopy_keeps_node_ids() -> None:
    model = compile_graph(lenet5())
    clone = copy.deepcopy(model)
    assert clone.meta[NODE_IDS] == model.meta[NODE_IDS]
    assert clone.conv1.weight is not model.conv1.weight
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(feature_extractor(clone)(x)["fc3"], model(x))
