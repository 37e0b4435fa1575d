"""Importing modules built from submodule classes: groups named after the classes, shared
definitions with exposed parameters, repeats for Sequentials of equal blocks, weights mapped."""

from __future__ import annotations

import copy
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import ExposedParam
from cnnstudio.core.groups import flattened
from cnnstudio.torch_backend.importer import import_module


class Block(nn.Module):
    """torchvision's BasicBlock, a ``downsample`` branch only where the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TinyResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8))
        self.layer1 = nn.Sequential(Block(8, 8), Block(8, 8))
        self.layer2 = nn.Sequential(Block(8, 16, 2), Block(16, 16))
        self.layer3 = nn.Sequential(Block(16, 32, 2), Block(32, 32))
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(F.relu(self.stem(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InceptionModule(nn.Module):
    def __init__(
        self, cin: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int
    ) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(cin, ch1x1, 1)
        self.b3 = nn.Sequential(
            nn.Conv2d(cin, ch3x3red, 1), nn.ReLU(), nn.Conv2d(ch3x3red, ch3x3, 3, padding=1)
        )
        self.b5 = nn.Sequential(
            nn.Conv2d(cin, ch5x5red, 1), nn.ReLU(), nn.Conv2d(ch5x5red, ch5x5, 5, padding=2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x)], 1)


class TinyInception(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.inception1 = InceptionModule(8, 4, 4, 8, 2, 4)
        self.inception2 = InceptionModule(16, 8, 6, 12, 2, 4)
        self.fc = nn.Linear(24, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inception2(F.max_pool2d(self.inception1(F.relu(self.stem(x))), 2))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Stage(nn.Module):
    """A group of groups: two equal blocks after a strided one."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.down = Block(cin, cout, 2)
        self.blocks = nn.Sequential(Block(cout, cout), Block(cout, cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.down(x))


class Staged(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stage1 = Stage(3, 8)
        self.stage2 = Stage(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stage2(self.stage1(x))


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(x)


class SharedActivation(nn.Module):
    """One parameterless submodule called twice cannot be one group instance."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.conv2 = nn.Conv2d(4, 4, 3)
        self.act = Swish()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv2(self.act(self.conv1(x))))


def trained(module: nn.Module) -> nn.Module:
    """Weights and BatchNorm statistics that differ from a fresh initialisation."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for tensor in module.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
    return module


def same_outputs(module: nn.Module, model: nn.Module, shape: tuple[int, ...]) -> None:
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(2))
    for training in (False, True):
        a, b = copy.deepcopy(module).train(training), copy.deepcopy(model).train(training)
        assert (a(x) - b(x)).abs().max() <= 1e-5


def test_resnet_blocks_become_basic_block_groups_and_a_repeat():
    module = trained(TinyResNet())
    imported = import_module(module, (3, 16, 16))
    graph = imported.graph
    groups = [(n.id, n.definition, n.params, n.repeat) for n in graph if n.is_group]
    assert groups == [
        ("layer1", "Block", {}, 2),  # two equal blocks: one instance repeated
        ("layer2_0", "Block_2", {}, 1),  # a downsample branch: another structure
        ("layer2_1", "Block", {"cout": 16}, 1),
        ("layer3_0", "Block_2", {"cout": 32}, 1),
        ("layer3_1", "Block", {"cout": 32}, 1),
    ]
    assert [n.id for n in graph if not n.is_group] == [
        "input", "stem_0", "stem_1", "relu", "adaptiveavgpool", "flatten", "fc", "output"
    ]  # fmt: skip
    block, down = graph.definitions.get("Block"), graph.definitions.get("Block_2")
    assert [n.id for n in block.graph] == ["conv1", "bn1", "relu", "conv2", "bn2", "add", "relu_1"]
    assert block.output == "relu_1"
    assert [p.targets for p in block.inputs] == [(("conv1", 0), ("add", 1))]
    # The constructor's arguments passed straight to the layers are the exposed parameters.
    assert block.params == [
        ExposedParam("cout", (("conv1", "out_channels"), ("conv2", "out_channels"))),
        ExposedParam("stride", (("conv1", "stride"),)),
    ]
    assert down.params == [
        ExposedParam(
            "cout",
            (
                ("conv1", "out_channels"),
                ("conv2", "out_channels"),
                ("downsample_0", "out_channels"),
            ),
        ),
        ExposedParam("stride", (("conv1", "stride"), ("downsample_0", "stride"))),
    ]
    assert down.defaults() == {"cout": 16, "stride": 2}
    assert imported.max_difference <= 1e-5
    same_outputs(module, imported.model, (3, 16, 16))
    flat = import_module(module, (3, 16, 16), flat=True)
    assert len(flattened(graph)) == len(flat.graph)
    assert analyze(graph).total_params == analyze(flat.graph).total_params


def test_resnet_weights_keep_their_source_names():
    module = trained(TinyResNet())
    ours = import_module(module, (3, 16, 16)).model.state_dict()
    theirs = module.state_dict()

    def renamed(key: str) -> str:
        """A repeat keeps ``layer1.0.``; single instances read ``layer2_0.``; Sequentials
        inside a group are flat blocks (``downsample_0``)."""
        key = re.sub(r"^(layer[23])\.(\d)\.", r"\1_\2.", key)
        return re.sub(r"\b(stem|downsample)\.(\d)\.", r"\1_\2.", key)

    assert sorted(ours) == sorted(renamed(k) for k in theirs)
    assert "layer1.0.conv1.weight" in ours
    assert "layer1.1.bn2.running_var" in ours
    for key, value in theirs.items():
        assert torch.equal(ours[renamed(key)], value), key


def test_flat_keeps_every_layer_at_the_top():
    module = trained(TinyResNet())
    imported = import_module(module, (3, 16, 16), flat=True)
    assert len(imported.graph.definitions) == 0
    assert not any(n.is_group for n in imported.graph)
    assert "layer2_0_downsample_0" in imported.graph
    same_outputs(module, imported.model, (3, 16, 16))


def test_inception_modules_share_one_definition_with_their_arguments_exposed():
    module = trained(TinyInception())
    imported = import_module(module, (3, 16, 16))
    graph = imported.graph
    assert graph.definitions.names == ["InceptionModule"]
    definition = graph.definitions.get("InceptionModule")
    assert [(p.name, p.bindings) for p in definition.params] == [
        ("ch1x1", (("b1", "out_channels"),)),
        ("ch3x3red", (("b3_0", "out_channels"),)),
        ("ch3x3", (("b3_2", "out_channels"),)),
        ("ch5x5red", (("b5_0", "out_channels"),)),
        ("ch5x5", (("b5_2", "out_channels"),)),
    ]
    assert definition.graph.node("concat").type == "Concat"
    assert graph.node("inception1").params == {}
    assert graph.node("inception2").params == {"ch1x1": 8, "ch3x3red": 6, "ch3x3": 12}
    same_outputs(module, imported.model, (3, 16, 16))


def test_nested_classes_become_nested_groups():
    module = trained(Staged())
    imported = import_module(module, (3, 16, 16))
    graph = imported.graph
    assert [(n.id, n.definition, n.params) for n in graph if n.is_group] == [
        ("stage1", "Stage", {}),
        ("stage2", "Stage", {}),
    ]
    stage = graph.definitions.get("Stage")
    inner = [(n.id, n.definition, n.repeat) for n in stage.graph]
    assert inner == [("down", "Block_2", 1), ("blocks", "Block", 2)]
    # One Stage definition fits both, whose inner blocks differ in input channels only.
    assert graph.definitions.users("Block") == ["Stage/blocks"]
    state = imported.model.state_dict()
    assert torch.equal(state["stage2.blocks.1.conv2.weight"], module.stage2.blocks[1].conv2.weight)
    same_outputs(module, imported.model, (3, 16, 16))


def test_a_submodule_called_twice_stays_flat():
    module = SharedActivation()
    imported = import_module(module, (3, 8, 8))
    assert len(imported.graph.definitions) == 0
    assert [n.type for n in imported.graph] == [
        "Input",
        "Conv2d",
        "SiLU",
        "Conv2d",
        "SiLU",
        "Output",
    ]
    same_outputs(module, imported.model, (3, 8, 8))


@pytest.mark.parametrize("module", [TinyResNet(), TinyInception(), Staged()], ids=type)
def test_grouped_and_flat_imports_compute_the_same(module):
    module = trained(module)
    grouped = import_module(module, (3, 16, 16)).model
    flat = import_module(module, (3, 16, 16), flat=True).model
    same_outputs(grouped, flat, (3, 16, 16))
