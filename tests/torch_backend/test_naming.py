"""Node ids to identifiers: valid, unique, and stable for ids that are already fine."""

from __future__ import annotations

import pytest

from cnnstudio.torch_backend.naming import class_name, fresh_name, identifier, unique_identifiers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("conv1", "conv1"),
        ("conv.1", "conv_1"),
        ("block-2.conv", "block_2_conv"),
        ("class", "class_"),
        ("match", "match_"),
        ("print", "print_"),
        ("input", "input_"),
        ("self", "self_"),
        ("torch", "torch_"),
        ("forward", "forward_"),
        ("training", "training_"),
        ("train", "train_"),
        ("graph", "graph_"),
        ("code", "code_"),
        ("meta", "meta_"),
        ("_modules", "modules_"),
        ("__init__", "init"),
        ("_", "node"),
        ("1x1", "node_1x1"),
        ("héllo", "h_llo"),
    ],
)
def test_identifier(text: str, expected: str) -> None:
    assert identifier(text) == expected


def test_unique_identifiers_keep_safe_ids_whatever_the_order() -> None:
    names = unique_identifiers(["conv-1", "conv.1", "conv_1", "conv_1_1"])
    assert names == {
        "conv-1": "conv_1_2",
        "conv.1": "conv_1_3",
        "conv_1": "conv_1",
        "conv_1_1": "conv_1_1",
    }


def test_unique_identifiers_record_what_they_hand_out() -> None:
    used = {"relu"}
    names = unique_identifiers(["relu", "relu.2"], used)
    assert names == {"relu": "relu_1", "relu.2": "relu_2"}
    assert used == {"relu", "relu_1", "relu_2"}
    assert fresh_name("relu", used) == "relu_3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LeNet-5", "LeNet5"),
        ("small resnet", "SmallResnet"),
        ("", "Network"),
        ("3d net", "Net_3dNet"),
    ],
)
def test_class_name(text: str, expected: str) -> None:
    assert class_name(text) == expected
