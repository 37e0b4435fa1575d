"""Attributions point at the evidence: a figure drawn on one side of an image draws the heat
to that side, for each method, with weights set by hand so the result is deterministic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.attribution import METHODS, AttributionError, Attributor
from cnnstudio.train.loss import output_kind
from cnnstudio.train.overlay import overlay

SIZE = 16


def blob_net() -> Attributor:
    """conv (a 3x3 sum: responds where there is ink) -> ReLU -> linear: class 0 counts ink,
    class 1 its absence; a second, constant convolution before it gives Grad-CAM a choice."""
    chain = [
        Node("input", "Input", {"shape": [1, SIZE, SIZE]}),
        Node("conv1", "Conv2d", {"out_channels": 1, "kernel_size": 3, "padding": 1}),
        Node("conv2", "Conv2d", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        Node("relu", "ReLU"),
        Node("flatten", "Flatten"),
        Node("fc", "Linear", {"out_features": 2}),
        Node("out", "Output"),
    ]
    graph = GraphModel.from_parts(chain, [Edge(a.id, b.id) for a, b in itertools.pairwise(chain)])
    analysis = analyze(graph)
    model = compile_graph(graph, analysis=analysis)
    with torch.no_grad():
        conv1, conv2, fc = (model.get_submodule(n) for n in ("conv1", "conv2", "fc"))
        conv1.weight.zero_()
        conv1.weight[0, 0, 1, 1] = 1.0  # identity
        conv1.bias.zero_()
        conv2.weight.fill_(1.0)
        conv2.bias.fill_(-0.5)
        fc.weight.zero_()
        fc.weight[0] = 1.0
        fc.weight[1] = -1.0
        fc.bias.zero_()
    assert analysis.output_id is not None
    return Attributor(model, output_kind(graph, analysis.output_id))


def figure(side: str) -> torch.Tensor:
    """A filled 4x4 square in the middle rows, near the left or the right edge."""
    image = torch.zeros(1, SIZE, SIZE)
    cols = slice(1, 5) if side == "left" else slice(SIZE - 5, SIZE - 1)
    image[0, 6:10, cols] = 1.0
    return image


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("side", ["left", "right"])
def test_heat_goes_to_the_side_of_the_figure(method: str, side: str) -> None:
    attributor = blob_net()
    result = attributor.attribute(figure(side), method)
    assert result.target == 0  # ink: class 0 is predicted and explained by default
    assert result.heat.shape == (SIZE, SIZE)
    assert result.heat.dtype == np.float32
    assert result.heat.min() >= 0.0
    assert result.heat.max() == pytest.approx(1.0)
    left, right = result.heat[:, : SIZE // 2].sum(), result.heat[:, SIZE // 2 :].sum()
    near, far = (left, right) if side == "left" else (right, left)
    assert near > 4 * far, f"{method}: {near:.2f} on the figure's side, {far:.2f} on the other"
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_grad_cam_defaults_to_the_last_convolution_and_takes_any_other() -> None:
    attributor = blob_net()
    assert list(attributor.convolutions) == ["conv1", "conv2"]
    assert attributor.attribute(figure("left")).node == "conv2"
    first = attributor.attribute(figure("left"), "gradcam", node="conv1")
    assert first.node == "conv1"
    assert first.heat[:, : SIZE // 2].sum() > first.heat[:, SIZE // 2 :].sum()


def test_a_chosen_class_is_explained_and_the_model_mode_is_kept() -> None:
    attributor = blob_net()
    attributor.model.train()
    result = attributor.attribute(figure("right"), "saliency", target=1)
    assert result.target == 1
    assert attributor.model.training
    assert all(p.grad is None for p in attributor.model.parameters())  # the optimizer's, untouched


@pytest.mark.parametrize(
    ("method", "target", "node", "words"),
    [
        ("gradcam", None, "relu", "relu is not one"),
        ("saliency", 7, None, "class 7 does not exist: the network has 2 outputs"),
        ("occlusion", None, None, "unknown attribution method 'occlusion'"),
    ],
)
def test_impossible_requests_are_named_errors(
    method: str, target: int | None, node: str | None, words: str
) -> None:
    with pytest.raises(AttributionError, match=words):
        blob_net().attribute(figure("left"), method, target, node)


def test_overlay_blends_the_heat_colours_over_the_picture() -> None:
    grey = np.full((4, 4), 100, np.uint8)
    heat = np.zeros((2, 2), np.float32)
    heat[0, 0] = 1.0
    plain = overlay(grey, heat, 0.0)
    assert plain.shape == (4, 4, 3)
    assert (plain == 100).all()
    hot = overlay(grey, heat, 1.0)
    assert tuple(hot[0, 0]) == (252, 255, 164)  # the top of the colour map, upscaled 2x2
    assert tuple(hot[1, 1]) == (252, 255, 164)
    assert tuple(hot[3, 3]) == (0, 0, 4)
