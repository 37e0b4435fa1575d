"""Starting points for a new project: a blank graph, one of the example projects shipped with
cnnstudio (``examples/``) or a network built in code (``core/networks.py``).

A template opens as an unsaved copy, so Save asks for a new file instead of overwriting the example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cnnstudio.core.networks import resnet18
from cnnstudio.core.project import EXTENSION, Project, load_project
from cnnstudio.core.shipped import examples_dir

DEFAULT_TEMPLATE = "lenet5"


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    help: str
    example: str | None  # file stem in examples/, None for the blank graph or a built one
    build: Callable[[], Project] | None = None


TEMPLATES: tuple[Template, ...] = (
    Template("blank", "Blank", "An empty canvas.", None),
    Template("lenet5", "LeNet-5", "Two convolutions and three linear layers (1x28x28).", "lenet5"),
    Template("vgg", "VGG-style", "Stacks of 3x3 convolutions and pooling (3x32x32).", "vgg_small"),
    Template("resnet", "ResNet-style", "Residual blocks joined by Add (3x32x32).", "resnet_small"),
    Template(
        "inception",
        "Inception-style",
        "Parallel branches joined by Concat (3x32x32).",
        "inception_small",
    ),
    Template(
        "resnet18",
        "ResNet-18",
        "torchvision's ResNet-18 from BasicBlock groups (3x224x224, 1000 classes).",
        None,
        resnet18,
    ),
)


def get_template(key: str) -> Template:
    for t in TEMPLATES:
        if t.key == key:
            return t
    raise KeyError(key)


def new_project(key: str) -> Project:
    """A fresh, unsaved project from template ``key`` (raises ProjectFileError if the example is
    missing or unreadable)."""
    template = get_template(key)
    if template.build is not None:
        return template.build()
    if template.example is None:
        return Project(name="Untitled")
    project = load_project(examples_dir() / f"{template.example}{EXTENSION}")
    project.path = None
    return project
