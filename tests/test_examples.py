"""Every shipped example loads, analyses cleanly, compiles and runs; `summary` tells the truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import load_project
from cnnstudio.torch_backend.compiler import NODE_IDS, compile_graph, feature_extractor

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.cnnstudio"))


def test_examples_exist() -> None:
    assert {p.stem for p in EXAMPLES} >= {"lenet5", "vgg_small", "resnet_small", "inception_small"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_compiles_and_runs(path: Path) -> None:
    project = load_project(path)
    analysis = analyze(project.graph)
    assert analysis.issues == []
    assert analysis.input_shape is not None
    assert analysis.output_shape is not None
    model = compile_graph(project.graph, name=project.name, analysis=analysis)
    x = torch.randn(2, *analysis.input_shape)
    with torch.no_grad():
        assert model(x).shape == (2, *analysis.output_shape)
        features = feature_extractor(model).eval()(x)
    for node_id, value in features.items():
        assert value.shape == (2, *analysis.nodes[node_id].output_shape), node_id


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_summary_reports_the_compiled_parameter_count(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    model = compile_graph(load_project(path).graph)
    assert report["total_params"] == sum(p.numel() for p in model.parameters())
    modules = dict(model.named_children())
    ids = model.meta[NODE_IDS]
    names = {node_id: name for name, node_id in ids.items()}
    for node in report["nodes"]:
        module = modules.get(names.get(node["id"], ""))
        expected = sum(p.numel() for p in module.parameters()) if module is not None else 0
        assert node["params"] == expected, node["id"]


def test_lenet5_has_the_textbook_parameter_count() -> None:
    """LeNet-5 with a padded first convolution has 61,706 parameters."""
    graph = load_project(next(p for p in EXAMPLES if p.stem == "lenet5")).graph
    assert analyze(graph).total_params == 61_706
