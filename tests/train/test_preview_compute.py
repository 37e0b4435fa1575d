"""The preview's computation: the network as training would build it, the blocks it leaves out,
the trained weights where they fit, and a job given up when a newer one arrives."""

from __future__ import annotations

from pathlib import Path

import pytest
import safetensors.torch
import torch

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph, feature_extractor
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.data.normalize import to_float
from cnnstudio.train.preview import PreviewComputer, PreviewJob, Superseded


def sample(dataset: Dataset, index: int) -> torch.Tensor:
    return dataset.normalization.apply(to_float(dataset.val.x[index].unsqueeze(0)))


def run(graph: GraphModel, dataset: Dataset, weights: Path | None = None, index: int = 3):
    job = PreviewJob(1, graph, dataset, index, weights)
    return PreviewComputer().compute(job, lambda: False)


def test_activations_are_those_of_the_compiled_network(small: Project, shapes_600: Dataset) -> None:
    graph = small.graph
    result = run(graph, shapes_600)
    with torch.no_grad():
        expected = feature_extractor(compile_graph(graph, seed=0)).eval()(sample(shapes_600, 3))
    assert set(result.activations) == {n.id for n in graph}
    for node_id, value in expected.items():
        torch.testing.assert_close(torch.from_numpy(result.activations[node_id]), value[0])
    relu = result.activations["relu"]
    assert result.stats["relu"].zeros == pytest.approx(float((relu == 0).mean()))
    assert result.stats["conv"].max == pytest.approx(float(result.activations["conv"].max()))
    assert result.label == shapes_600.class_names[int(shapes_600.val.y[3])]
    assert result.weights == "initial weights (seed 0)"
    assert result.issues == []


def test_blocks_outside_the_model_show_their_output_too(
    small: Project, shapes_600: Dataset
) -> None:
    graph = small.graph
    graph.add_node(Node("side", "AvgPool2d", {"kernel_size": 2}))
    graph.connect(Edge("relu", "side"))  # wired from the network, not yet to the Output
    graph.add_node(Node("loose", "ReLU"))  # no input: no output either
    result = run(graph, shapes_600)
    pooled = torch.nn.functional.avg_pool2d(torch.from_numpy(result.activations["relu"]), 2)
    torch.testing.assert_close(torch.from_numpy(result.activations["side"]), pooled)
    assert "loose" not in result.activations


def test_a_network_with_errors_shows_the_part_before_them(
    small: Project, shapes_600: Dataset
) -> None:
    graph = small.graph
    graph.set_params("pool", {"kernel_size": 60})  # larger than its 26x26 input
    result = run(graph, shapes_600)
    assert set(result.activations) == {"input", "conv", "relu"}
    assert result.weights.startswith("no weights")


def test_trained_weights_are_used_where_they_still_fit(
    small: Project, shapes_600: Dataset, tmp_path
) -> None:
    graph = small.graph
    trained = compile_graph(graph, seed=7).state_dict()
    file = tmp_path / "trained.safetensors"
    safetensors.torch.save_file(dict(trained), file)
    result = run(graph, shapes_600, file)
    assert result.weights == "trained weights"
    with torch.no_grad():
        model = compile_graph(graph, seed=7)
        expected = feature_extractor(model).eval()(sample(shapes_600, 3))
    torch.testing.assert_close(torch.from_numpy(result.activations["fc"]), expected["fc"][0])

    graph.set_params("fc", {"out_features": 5})  # the classifier no longer fits the file
    partial = run(graph, shapes_600, file)
    assert partial.weights == "trained weights where they fit (2 of 4 tensors)"
    torch.testing.assert_close(torch.from_numpy(partial.activations["conv"]), expected["conv"][0])


def test_a_relu_killed_by_its_bias_is_reported_dead(
    small: Project, shapes_600: Dataset, tmp_path
) -> None:
    graph = small.graph
    weights = compile_graph(graph, seed=0).state_dict()
    weights["conv.bias"] = torch.full_like(weights["conv.bias"], -50.0)
    file = tmp_path / "dead.safetensors"
    safetensors.torch.save_file(dict(weights), file)
    result = run(graph, shapes_600, file)
    assert result.stats["relu"].zeros == 1.0
    assert [i.node for i in result.issues] == ["relu"]
    assert result.issues[0].severity == "warning"
    assert "validation sample 3" in result.issues[0].message


def test_a_superseded_job_gives_up(small: Project, shapes_600: Dataset) -> None:
    asked: list[int] = []

    def superseded() -> bool:
        asked.append(1)
        return len(asked) > 1  # a newer edit arrives after the first step

    job = PreviewJob(1, small.graph, shapes_600, 0, None)
    with pytest.raises(Superseded):
        PreviewComputer().compute(job, superseded)
