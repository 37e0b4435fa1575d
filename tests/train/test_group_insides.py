"""Blocks inside groups in the training views and the preview: captured, attributed and checked
by their path (``block2/conv1``), found in the compiled model by qualified name (``block2.conv1``)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from test_trainer_run import Recorder

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import Edge
from cnnstudio.core.project import Project, load_project
from cnnstudio.core.shipped import examples_dir
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.attribution import Attributor
from cnnstudio.train.capture import CaptureSettings
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.preview import PreviewComputer, PreviewJob
from cnnstudio.train.trainer import Trainer

RGB_SHAPES = {"source": "shapes-rgb", "num_samples": 120}


@pytest.fixture(scope="module")
def rgb_shapes() -> Dataset:
    return dataset_from_config(RGB_SHAPES, (3, 32, 32))


@pytest.fixture
def resnet(tmp_path: Path) -> Project:
    """The grouped Small ResNet, its first block repeated, saved in tmp_path."""
    project = load_project(examples_dir() / "resnet_small.cnnstudio")
    project.graph.set_repeat("block1", 2)
    project.dataset = copy.deepcopy(RGB_SHAPES)
    project.training = {"epochs": 1, "batch_size": 50, "lr": 0.003, "threads": 1}
    project.save(tmp_path / "resnet_small.cnnstudio")
    return project


def test_a_run_captures_a_convolution_inside_a_group(resnet: Project, rgb_shapes: Dataset) -> None:
    recorder = Recorder()
    wanted = ("block1.1/conv2", "block2/conv1", "block2")
    capture = CaptureSettings(every=1, nodes=wanted, weights=("block2/conv1",))
    result = Trainer(resnet, recorder, dataset=rgb_shapes, capture=capture).run()
    assert result.status == "completed"
    assert recorder.features
    analysis = analyze(resnet.graph)
    shapes = {i.path: i.output_shape for i in analysis.every_node()}
    for f in recorder.features:
        assert set(f.activations) == set(wanted)
        for path, activation in f.activations.items():
            assert activation.shape == shapes[path], path
        assert f.weights["block2/conv1"].shape == (32, 16, 3, 3)
        assert f.weights["stem"].shape == (16, 3, 3, 3)  # the first convolution, as always
    # The weights sent are the module's own: the last capture holds the trained ones.
    assert result.last_weights is not None
    trained = safetensors.torch.load_file(result.last_weights)
    last = recorder.features[-1]
    np.testing.assert_array_equal(last.weights["block2/conv1"], trained["block2.conv1.weight"])


def test_every_node_capture_includes_the_blocks_inside_groups(
    resnet: Project, rgb_shapes: Dataset
) -> None:
    recorder = Recorder()
    capture = CaptureSettings(every=0)
    assert Trainer(resnet, recorder, dataset=rgb_shapes, capture=capture).run().status == (
        "completed"
    )
    activations = recorder.features[-1].activations
    inner = {i.path for i in analyze(resnet.graph).every_node() if "/" in i.path}
    assert inner <= set(activations)
    # a group's output is its output block's, through the repeat
    np.testing.assert_array_equal(activations["block1"], activations["block1.1/relu2"])


def test_grad_cam_offers_and_uses_convolutions_inside_groups(resnet: Project) -> None:
    model = compile_graph(resnet.graph, seed=0)
    attributor = Attributor(model, "logits")
    assert "stem" in attributor.convolutions
    assert attributor.convolutions["block1.1/conv2"] == "block1.1.conv2"
    assert attributor.default_node is not None
    assert attributor.default_node.startswith("block3/")
    heat = attributor.attribute(torch.randn(3, 32, 32), "gradcam", node="block2/conv1")
    assert heat.node == "block2/conv1"
    assert heat.heat.shape == (32, 32)


def test_the_preview_shows_groups_and_names_a_dead_relu_inside_one(
    resnet: Project, rgb_shapes: Dataset, tmp_path: Path
) -> None:
    graph = resnet.graph
    weights = compile_graph(graph, seed=0).state_dict()
    weights["block2.bn1.bias"] = torch.full_like(weights["block2.bn1.bias"], -100.0)
    file = tmp_path / "killed.safetensors"
    safetensors.torch.save_file(dict(weights), file)
    job = PreviewJob(1, graph, rgb_shapes, 0, file)
    result = PreviewComputer().compute(job, lambda: False)
    assert result.weights == "trained weights"
    assert result.activations["block2"].shape == (32, 16, 16)  # the group's own picture
    assert result.stats["block2"].describe()
    dead = [i for i in result.issues if "dead activations" in i.message]
    assert [(i.node, i.message.split(" — ")[0]) for i in dead] == [
        ("block2", "block2/relu1 (ReLU): dead activations")
    ]


def test_the_preview_runs_groups_the_model_leaves_out(resnet: Project, rgb_shapes: Dataset) -> None:
    graph = resnet.graph
    graph.disconnect(Edge("block3", "gap", 0))  # gap's input is missing: no compiled model
    result = PreviewComputer().compute(PreviewJob(1, graph, rgb_shapes, 0, None), lambda: False)
    assert result.weights.startswith("no weights")
    assert result.activations["block3"].shape == (64, 8, 8)
    assert "gap" not in result.activations
