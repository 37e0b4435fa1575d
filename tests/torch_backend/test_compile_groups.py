"""A group compiles to a nested module computing what its blocks compute ungrouped."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.fx as fx
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import graphs

from cnnstudio.core.analysis import analyze
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.groups import GroupNodes, flattened
from cnnstudio.core.networks import resnet18
from cnnstudio.core.project import load_project
from cnnstudio.torch_backend.compiler import compile_graph

EXAMPLES = Path(__file__).parents[2] / "examples"
RESNET18_PARAMS = 11_689_512  # torchvision.models.resnet18(num_classes=1000)


def same_function(grouped: GraphModel, batch: torch.Tensor) -> tuple[fx.GraphModule, int]:
    """Compile ``grouped`` and its ungrouped copy, give the flat one the grouped one's weights
    (matched in order, which follows the blocks) and check both give the same output."""
    model = compile_graph(grouped, seed=1).eval()
    flat = compile_graph(flattened(grouped), seed=2).eval()
    ours, theirs = model.state_dict(), flat.state_dict()
    assert [v.shape for v in ours.values()] == [v.shape for v in theirs.values()]
    flat.load_state_dict(dict(zip(theirs, ours.values(), strict=True)), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(model(batch), flat(batch), rtol=1e-4, atol=1e-5)
    return model, sum(p.numel() for p in model.parameters())


def test_grouped_resnet18_equals_its_ungrouped_self() -> None:
    project = resnet18()
    assert analyze(project.graph).total_params == RESNET18_PARAMS
    # Any size works with the adaptive pooling; 64x64 keeps the test fast.
    model, params = same_function(project.graph, torch.randn(2, 3, 64, 64))
    assert params == RESNET18_PARAMS
    keys = list(model.state_dict())
    assert "layer1.0.conv1.weight" in keys
    assert "layer1.1.bn2.running_var" in keys
    assert "layer2_0.downsample.weight" in keys
    assert type(model.get_submodule("layer2_0")).__name__ == "DownBlock"
    assert "def forward(self, x):" in model.get_submodule("layer1.0").code


def test_nested_groups_compile_to_nested_modules() -> None:
    project = load_project(EXAMPLES / "resnet_small.cnnstudio")
    graph = project.graph
    GroupNodes(["block2", "block3"], "Stage", "stage").do(graph)
    model, _ = same_function(graph, torch.randn(2, 3, 32, 32))
    assert "stage.block2.conv1.weight" in model.state_dict()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), data=st.data())
def test_any_grouped_selection_computes_the_same_function(
    graph: GraphModel, data: st.DataObject
) -> None:
    inner = [n.id for n in graph if n.type not in ("Input", "Output")]
    assume(inner)
    chosen = data.draw(st.lists(st.sampled_from(inner), min_size=1, unique=True))
    try:
        GroupNodes(chosen, "G", "grp").do(graph)
    except GraphError:
        assume(False)
    analysis = analyze(graph)
    assert analysis.valid
    assert analysis.input_shape is not None
    generator = torch.Generator().manual_seed(0)
    same_function(graph, torch.randn(2, *analysis.input_shape, generator=generator))
