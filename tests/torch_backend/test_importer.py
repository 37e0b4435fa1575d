"""Importing hand-written nn.Modules: the blocks, the weights, and the refusals' messages."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from cnnstudio.core.analysis import analyze
from cnnstudio.torch_backend.importer import ImportFailed, import_module
from cnnstudio.torch_backend.module_source import SourceError, load_module, parse_source

MODELS = Path(__file__).parent / "import_models" / "hand_written.py"


def line(code: str) -> int:
    """The line of ``code`` in the models file, as the messages quote it."""
    return next(i for i, t in enumerate(MODELS.read_text().splitlines(), 1) if t.strip() == code)


def load(name: str) -> nn.Module:
    return load_module(parse_source(f"{MODELS}:{name}")).module


def same_outputs(module: nn.Module, model: nn.Module, shape: tuple[int, ...]) -> None:
    """Equal outputs in eval and in train mode (same dropout draws), BatchNorm stats included."""
    x = torch.randn(4, *shape)
    for training in (False, True):
        a, b = copy.deepcopy(module).train(training), copy.deepcopy(model).train(training)
        torch.manual_seed(7)
        out_a = a(x)
        torch.manual_seed(7)
        out_b = b(x)
        assert (out_a - out_b).abs().max() <= 1e-5
        stats_a = [t for n, t in a.state_dict().items() if "running" in n]
        stats_b = [t for n, t in b.state_dict().items() if "running" in n]
        assert len(stats_a) == len(stats_b)
        for s, t in zip(stats_a, stats_b, strict=True):
            assert torch.allclose(s, t, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("LeNet", (1, 28, 28)),
        ("VGG", (3, 16, 16)),
        ("ResNet", (3, 16, 16)),
        ("Inception", (3, 8, 8)),
        ("mlp", None),
    ],
)
def test_hand_written_models_import_with_their_weights(name, shape):
    module = load(name)
    imported = import_module(module, shape)
    analysis = analyze(imported.graph)
    assert analysis.valid
    assert analysis.total_params == sum(p.numel() for p in module.parameters())
    sample_shape = shape or (12,)
    assert analysis.input_shape == sample_shape
    probe = copy.deepcopy(module).eval()  # a train-mode call would move the BatchNorm stats
    assert analysis.output_shape == tuple(probe(torch.zeros(1, *sample_shape)).shape[1:])
    same_outputs(module, imported.model, sample_shape)


def test_lenet_functional_idioms_become_blocks():
    graph = import_module(load("LeNet"), (1, 28, 28)).graph
    types = [n.type for n in graph.nodes]
    assert types.count("ReLU") == 4
    assert types.count("MaxPool2d") == 2
    assert types[7:11] == ["Flatten", "Linear", "ReLU", "Dropout"]
    assert graph.node("dropout").params == {"p": 0.25}


def test_vgg_sequentials_flatten_with_ids_from_module_paths():
    graph = import_module(load("VGG"), (3, 16, 16)).graph
    assert graph.node("features_0").params == {"out_channels": 8, "padding": 1, "bias": False}
    assert graph.node("features_6").params == {"output_size": 2}
    assert graph.node("classifier_3").type == "Dropout"
    assert graph.node("classifier_4").params == {}  # out_features=10 is the default


def test_resnet_shortcuts_become_add_blocks():
    graph = import_module(load("ResNet"), (3, 16, 16), flat=True).graph
    add = [e.source for e in graph.inputs_of("layer2_0_add")]
    assert add == ["layer2_0_bn2", "layer2_0_downsample_1"]
    identity = [e.source for e in graph.inputs_of("layer1_0_add")]
    assert identity == ["layer1_0_bn2", "relu"]
    assert graph.node("layer2_0_downsample_0").params["stride"] == 2


def test_inception_branches_join_in_one_concat():
    graph = import_module(load("Inception"), (3, 8, 8)).graph
    joined = [e.source for e in graph.inputs_of("concat")]
    assert joined == ["relu", "b3_2", "b5_2", "pool_proj"]
    assert graph.node("maxpool").params == {"kernel_size": 3, "stride": 1, "padding": 1}


def test_data_dependent_branch_is_refused_with_its_line():
    with pytest.raises(ImportFailed) as info:
        import_module(load("Branchy"), (3, 8, 8))
    assert "data-dependent control flow in the top module" in str(info.value)
    assert f"hand_written.py:{line('if x.mean() > 0:')}: if x.mean() > 0:" in str(info.value)


def test_lstm_is_refused_listing_every_operation():
    with pytest.raises(ImportFailed) as info:
        import_module(load("Recurrent"), (5, 8))
    message = str(info.value)
    assert message.startswith("cannot import Recurrent: 4 operations have no block:")
    assert (
        f"nn.LSTM (no block for this module) in lstm (hand_written.py:{line('out, _ = self.lstm(x)')}"
        in message
    )
    assert (
        f"getitem in the top module (hand_written.py:{line('return self.fc(out[:, -1])')}: "
        in message
    )


def test_custom_autograd_function_is_refused_naming_its_call():
    with pytest.raises(ImportFailed) as info:
        import_module(load("CustomGrad"), (3, 8, 8))
    message = str(info.value)
    assert "function operator.mul" in message
    assert (
        f"inside the custom autograd function called at hand_written.py:{line('return Double.apply(self.conv(x))')}"
        in message
    )
    assert "Double.apply(self.conv(x))" in message


def test_the_input_shape_is_asked_for_when_the_module_does_not_tell_it():
    with pytest.raises(ImportFailed, match=r"Conv2d conv1, the first layer, does not tell it"):
        import_module(load("LeNet"))


def test_a_wrong_input_shape_names_the_shape():
    with pytest.raises(ImportFailed, match=r"fails on an input of shape \[1, 20, 20\]"):
        import_module(load("LeNet"), (1, 20, 20))


def test_source_arguments_are_literals_only():
    source = parse_source(f"{MODELS}:VGG(width=4, classes=3)")
    assert source.kwargs == {"width": 4, "classes": 3}
    with pytest.raises(SourceError, match="is not a literal"):
        parse_source(f"{MODELS}:VGG(width=__import__('os'))")
    with pytest.raises(SourceError, match="keyword arguments only"):
        parse_source(f"{MODELS}:VGG(4)")


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("LeNet", (1, 28, 28)),
        ("VGG", (3, 16, 16)),
        ("ResNet", (3, 16, 16)),
        ("Inception", (3, 8, 8)),
    ],
)
def test_imported_macs_are_the_modules_own(name, shape):
    """torch's FLOP counter (2 per multiply-add) counts convolutions and matrix products; the
    analysis also counts one operation per output element of BatchNorm and of an Add."""
    module = load(name).eval()
    flat = analyze(import_module(module, shape, flat=True).graph)
    grouped = analyze(import_module(module, shape).graph)
    with FlopCounterMode(display=False) as counter:
        module(torch.zeros(1, *shape))
    elementwise = [n for n in flat.nodes.values() if n.type in ("BatchNorm2d", "Add")]
    per_element = sum(math.prod(n.output_shape) for n in elementwise)
    assert grouped.macs == flat.macs == counter.get_total_flops() // 2 + per_element
