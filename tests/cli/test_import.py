"""``cnnstudio import``: export -f python -> import gives every example back, outputs included."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import safetensors.torch
import torch

from cnnstudio.cli import main
from cnnstudio.core.analysis import analyze
from cnnstudio.core.blocks import get_spec
from cnnstudio.core.project import load_project
from cnnstudio.torch_backend.module_source import load_module, parse_source
from cnnstudio.train.weights import load_project_weights

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.cnnstudio"))
MODELS = Path(__file__).parents[1] / "torch_backend" / "import_models" / "hand_written.py"


def structure(graph):
    """Ids, types, params and edges; a group instance by its definition, values and repeat."""
    nodes = {
        n.id: (n.definition, n.params, n.repeat)
        if n.is_group
        else (n.type, get_spec(n.type).resolve(n.params))
        for n in graph.nodes
    }
    return nodes, sorted(graph.edges)


def blocks(project):
    """The graph and every definition: inner graph, ports, output, exposed parameters."""
    definitions = {
        d.name: (structure(d.graph), d.inputs, d.output, d.params)
        for d in project.graph.definitions
    }
    return structure(project.graph), definitions


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_export_then_import_gives_the_example_back(example, tmp_path):
    code = tmp_path / f"{example.stem}.py"
    assert main(["export", str(example), "-f", "python", "-o", str(code)]) == 0
    cls = re.findall(r"^class (\w+)\(nn.Module\)", code.read_text(), re.M)[-1]  # after groups
    out = tmp_path / "imported.cnnstudio"
    weights = str(code.with_suffix(".safetensors"))
    assert main(["import", f"{code}:{cls}", "-o", str(out), "--weights", weights]) == 0
    original, imported = load_project(example), load_project(out)
    assert blocks(imported) == blocks(original)  # groups come back as groups
    assert imported.weights["file"] == "imported.safetensors"
    exported = load_module(parse_source(f"{code}:{cls}")).module
    exported.load_state_dict(safetensors.torch.load_file(code.with_suffix(".safetensors")))
    model = load_project_weights(imported)
    x = torch.randn(3, *analyze(original.graph).input_shape)
    for training in (False, True):
        a, b = copy.deepcopy(exported).train(training), copy.deepcopy(model).train(training)
        torch.manual_seed(3)
        out_a = a(x)
        torch.manual_seed(3)
        out_b = b(x)
        assert (out_a - out_b).abs().max() <= 1e-5
        theirs = b.state_dict()
        assert list(theirs) == list(a.state_dict())  # block1.conv1.weight, as exported
        for key, value in a.state_dict().items():
            assert torch.allclose(value, theirs[key], atol=1e-6), key
    analysis = analyze(imported.graph)
    assert analysis.total_params == sum(p.numel() for p in exported.parameters())
    assert analysis.macs == analyze(original.graph).macs


def test_import_with_arguments_weights_and_name(tmp_path, capsys):
    module = load_module(parse_source(f"{MODELS}:VGG(width=4, classes=3)")).module
    for p in module.parameters():
        torch.nn.init.constant_(p, 0.5)
    weights = tmp_path / "given.safetensors"
    safetensors.torch.save_file(module.state_dict(), str(weights))
    out = tmp_path / "vgg.cnnstudio"
    argv = ["import", f"{MODELS}:VGG(width=4, classes=3)", "-o", str(out)]
    argv += ["--input-shape", "3,16,16", "--weights", str(weights), "--name", "My VGG"]
    assert main(argv) == 0
    project = load_project(out)
    assert project.name == "My VGG"
    assert project.graph.node("classifier_4").params == {"out_features": 3}
    model = load_project_weights(project)
    assert torch.equal(model.features_0.weight, torch.full_like(model.features_0.weight, 0.5))
    assert "imported My VGG: 14 blocks" in capsys.readouterr().out


def test_a_refused_module_exits_1_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "lstm.cnnstudio"
    assert main(["import", f"{MODELS}:Recurrent", "-o", str(out), "--input-shape", "5,8"]) == 1
    err = capsys.readouterr().err
    assert "cannot import Recurrent: 4 operations have no block" in err
    assert "nn.LSTM (no block for this module) in lstm" in err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["import", f"{tmp_path}/none.py:Net", "-o", str(tmp_path / "x.cnnstudio")]) == 2
    assert "none.py: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("flat", [False, True])
def test_submodules_become_groups_unless_flat(tmp_path, capsys, flat):
    out = tmp_path / "resnet.cnnstudio"
    argv = ["import", f"{MODELS}:ResNet", "-o", str(out), "--input-shape", "3,16,16"]
    assert main(argv + ["--flat"] * flat) == 0
    graph = load_project(out).graph
    saved = safetensors.torch.load_file(out.with_suffix(".safetensors"))
    printed = capsys.readouterr().out
    if flat:
        assert len(graph.definitions) == 0
        assert "layer1_0_conv1.weight" in saved
        assert "group definition" not in printed
    else:
        assert graph.definitions.names == ["BasicBlock", "BasicBlock_2"]
        assert graph.node("layer1").repeat == 2
        assert "layer1.0.conv1.weight" in saved  # as the source names it
        assert "imported ResNet: 11 blocks, 2 group definitions" in printed
