"""The step-memory estimate, checked against numbers worked out by hand for tiny graphs."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.memory import RUNTIME_BYTES, estimate_step_memory, format_bytes

# Input [1, 4, 4] -> Conv2d 2 @ 3x3 pad 1 -> ReLU -> Flatten -> Linear 3 -> Output.
# Parameters: conv 2*9 + 2 = 20, linear 32*3 + 3 = 99: 119, 476 bytes.
# Kept per sample: the input (16, the conv saves it), the ReLU's output (32, saved by the ReLU;
# the Linear's input is a view of it), the logits (3): 51 floats = 204 B, + log-softmax 3 * 4.
# Workspace per sample: the conv's unfolded input, 9 taps * 16 positions * 4 = 576 B, and one
# gradient of the largest activation (32 floats) = 128 B.
PARAMS, KEPT, WORKSPACE = 476, 204 + 12, 576 + 128


@pytest.fixture
def tiny(make_chain: Callable[..., GraphModel]) -> GraphModel:
    return make_chain(
        [
            ("c", "Conv2d", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
            ("r", "ReLU", {}),
            ("f", "Flatten", {}),
            ("l", "Linear", {"out_features": 3}),
        ],
        shape=(1, 4, 4),
    )


def test_a_tiny_graph_adds_up_by_hand(tiny: GraphModel) -> None:
    e = estimate_step_memory(tiny, analyze(tiny), 8, "adam")
    assert (e.parameters, e.gradients, e.optimizer_state) == (PARAMS, PARAMS, 2 * PARAMS)
    assert e.activations == 8 * KEPT
    assert e.workspace == 8 * WORKSPACE
    assert e.total == 4 * PARAMS + 8 * (KEPT + WORKSPACE) + RUNTIME_BYTES


def test_activations_grow_linearly_with_the_batch(tiny: GraphModel) -> None:
    a = analyze(tiny)
    one, many = estimate_step_memory(tiny, a, 1), estimate_step_memory(tiny, a, 96)
    assert many.activations == 96 * one.activations
    assert many.workspace == 96 * one.workspace
    assert many.fixed == one.fixed


@pytest.mark.parametrize(
    ("optimizer", "momentum", "states"),
    [
        ("sgd", 0.0, 0),
        ("sgd", 0.9, 1),
        ("adam", 0.0, 2),
        ("adamw", 0.0, 2),
        ("rmsprop", 0.0, 1),
        ("rmsprop", 0.9, 2),
        ("none", 0.0, 0),
    ],
)
def test_optimizer_state_is_a_multiple_of_the_parameters(
    tiny: GraphModel, optimizer: str, momentum: float, states: int
) -> None:
    e = estimate_step_memory(tiny, analyze(tiny), 4, optimizer, momentum=momentum)
    assert e.optimizer_state == states * PARAMS


def test_max_pooling_keeps_int64_indices(make_chain: Callable[..., GraphModel]) -> None:
    g = make_chain(
        [("p", "MaxPool2d", {"kernel_size": 2}), ("f", "Flatten", {}), ("l", "Linear", {})],
        shape=(1, 4, 4),
    )
    e = estimate_step_memory(g, analyze(g), 1, "none")
    # input 16 + pooled 4 (the Linear's input, through the Flatten view) + logits 10 floats,
    # 4 indices of 8 bytes, log-softmax of the 10 logits.
    assert e.activations == (16 + 4 + 10) * 4 + 4 * 8 + 10 * 4


def test_amp_halves_activations_and_adds_a_half_copy_of_the_weights(tiny: GraphModel) -> None:
    a = analyze(tiny)
    half = estimate_step_memory(tiny, a, 8, amp=True)
    assert half.parameters == PARAMS + PARAMS // 2
    assert half.activations == 8 * (KEPT - 204 // 2)


def test_fits_and_largest_batch_leave_ten_percent_free(tiny: GraphModel) -> None:
    e = estimate_step_memory(tiny, analyze(tiny), 8)
    room = math.ceil(e.total * 1.1) + 1
    assert e.fits(room)
    assert not e.fits(room - 3)
    assert e.largest_batch(room) == 8
    assert e.largest_batch(e.fixed) == 0


def test_describe_names_every_part() -> None:
    assert format_bytes(180_400_000) == "180 MB"
    assert format_bytes(2_150_000_000) == "2.1 GB"
    assert format_bytes(950) == "950 B"


def test_an_invalid_graph_counts_only_what_analysis_knows(
    make_chain: Callable[..., GraphModel],
) -> None:
    g = make_chain([("l", "Linear", {})], shape=(1, 4, 4))  # a Linear on an image: an error
    e = estimate_step_memory(g, analyze(g), 2)
    assert e.parameters == 0
    assert e.activations == 2 * 16 * 4  # the input batch only


def test_a_branch_point_holds_its_summed_gradient(residual: GraphModel) -> None:
    # conv1's output (8 x 8 x 8) feeds relu1 and add1: its gradient from the skip waits in memory
    # while the other branch runs backward, one more conv1-sized buffer than the chain has.
    a = analyze(residual)
    with_skip = estimate_step_memory(residual, a, 1, "none")
    residual.disconnect(residual.inputs_of("add1")[1])
    chain_like = estimate_step_memory(residual, analyze(residual), 1, "none")
    assert with_skip.workspace - chain_like.workspace == 8 * 8 * 8 * 4
