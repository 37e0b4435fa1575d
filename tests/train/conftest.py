"""Fixtures for the trainer tests: a tiny shapes dataset, LeNet-5, and a small net with dropout."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset

EXAMPLES = Path(__file__).parents[2] / "examples"
TINY_SHAPES = {"source": "shapes", "num_samples": 600}
# The projects train with one thread: on a busy shared machine two OpenMP threads can be ten
# times slower than one, which would make these tests slow and their timings meaningless.
ONE_THREAD = {"threads": 1}


@pytest.fixture(scope="session")
def shapes_600() -> Dataset:
    """600 shapes at 1x28x28 (500 train, 100 val); read-only, shared by the whole session."""
    return dataset_from_config(TINY_SHAPES, (1, 28, 28))


@pytest.fixture(scope="session")
def augmented_shapes_600() -> Dataset:
    return dataset_from_config(
        {**TINY_SHAPES, "augment": {"crop_padding": 2, "hflip": True}}, (1, 28, 28)
    )


@pytest.fixture
def lenet(tmp_path: Path) -> Project:
    """LeNet-5 saved in tmp_path, so runs and weights land there."""
    project = load_project(EXAMPLES / "lenet5.cnnstudio")
    project.dataset = copy.deepcopy(TINY_SHAPES)
    project.training = {"epochs": 2, "batch_size": 32, "lr": 0.003, **ONE_THREAD}
    project.save(tmp_path / "lenet5.cnnstudio")
    return project


def small_graph(classes: int = 10) -> GraphModel:
    """conv -> relu -> pool -> flatten -> dropout -> linear: fast, with RNG in the forward pass."""
    chain = [
        Node("input", "Input", {"shape": [1, 28, 28]}),
        Node("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
        Node("relu", "ReLU"),
        Node("pool", "MaxPool2d", {"kernel_size": 2}),
        Node("flatten", "Flatten"),
        Node("drop", "Dropout", {"p": 0.3}),
        Node("fc", "Linear", {"out_features": classes}),
        Node("out", "Output"),
    ]
    edges = [Edge(a.id, b.id) for a, b in itertools.pairwise(chain)]
    return GraphModel.from_parts(chain, edges)


@pytest.fixture
def small(tmp_path: Path) -> Project:
    project = Project("Small net", small_graph(), dataset=copy.deepcopy(TINY_SHAPES))
    project.training = {"epochs": 2, "batch_size": 50, "lr": 0.003, **ONE_THREAD}
    project.save(tmp_path / "small.cnnstudio")
    return project
