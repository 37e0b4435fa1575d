"""Compiled graphs compute exactly what the same network written by hand in PyTorch computes."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from graph_recipes import inception_block, lenet5, residual_block

from cnnstudio.core.graph import GraphModel
from cnnstudio.torch_backend.compiler import compile_graph


class LeNet5(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def _conv_relu(cin: int, cout: int, kernel: int, padding: int = 0) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=padding), nn.ReLU())


class Inception(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.branch1 = _conv_relu(8, 4, 1)
        self.branch2 = nn.Sequential(_conv_relu(8, 4, 1), _conv_relu(4, 6, 3, 1))
        self.branch3 = nn.Sequential(_conv_relu(8, 2, 1), _conv_relu(2, 3, 5, 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), _conv_relu(8, 3, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        y = F.adaptive_avg_pool2d(torch.cat(branches, 1), 1)
        return self.fc(torch.flatten(y, 1))


class Twin(NamedTuple):
    graph: Callable[[], GraphModel]
    hand: Callable[[], nn.Module]
    # Module prefix in the compiled model -> the same layer's prefix in the hand-written one.
    prefixes: dict[str, str]
    input_shape: tuple[int, ...]


CASES = {
    "lenet5": Twin(lenet5, LeNet5, {}, (1, 28, 28)),
    "residual": Twin(
        residual_block,
        lambda: ResidualBlock(8, 16, 2),
        {"proj.": "shortcut.0.", "proj_bn.": "shortcut.1."},
        (8, 16, 16),
    ),
    "inception": Twin(
        inception_block,
        Inception,
        {
            "b1.": "branch1.0.",
            "b2_reduce.": "branch2.0.0.",
            "b2.": "branch2.1.0.",
            "b3_reduce.": "branch3.0.0.",
            "b3.": "branch3.1.0.",
            "b4.": "branch4.1.0.",
        },
        (8, 12, 12),
    ),
}


def _hand_name(name: str, prefixes: dict[str, str]) -> str:
    for ours, theirs in prefixes.items():
        if name.startswith(ours):
            return theirs + name[len(ours) :]
    return name


def _twins(twin: Twin) -> tuple[fx.GraphModule, nn.Module, dict[str, str]]:
    """The compiled model, the hand-written one holding the same weights and statistics, and
    the map from the compiled model's state_dict keys to the hand-written one's."""
    model = compile_graph(twin.graph(), seed=3)
    # Some batches' statistics, so that BatchNorm's running mean and variance are not trivial.
    with torch.no_grad():
        model(torch.randn(8, *twin.input_shape))
    hand = twin.hand()
    names = {k: _hand_name(k, twin.prefixes) for k in model.state_dict()}
    assert sorted(names.values()) == sorted(hand.state_dict()), "the name mapping is incomplete"
    hand.load_state_dict({names[k]: v for k, v in model.state_dict().items()})
    return model, hand, names


@pytest.mark.parametrize("case", CASES)
def test_eval_outputs_equal(case: str) -> None:
    model, hand, _ = _twins(CASES[case])
    model.eval()
    hand.eval()
    x = torch.randn(5, *CASES[case].input_shape)
    with torch.no_grad():
        torch.testing.assert_close(model(x), hand(x))


@pytest.mark.parametrize("case", CASES)
def test_training_gradients_equal(case: str) -> None:
    """In training mode (BatchNorm on batch statistics) the loss, every gradient and the running
    statistics agree."""
    model, hand, names = _twins(CASES[case])
    x = torch.randn(6, *CASES[case].input_shape)
    losses = [m(x).square().mean() for m in (model, hand)]
    for loss in losses:
        loss.backward()
    torch.testing.assert_close(losses[0], losses[1])
    hand_params = dict(hand.named_parameters())
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        torch.testing.assert_close(param.grad, hand_params[names[name]].grad, msg=name)
    hand_state = hand.state_dict()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, hand_state[names[name]], msg=name)
