"""The project's ``weights`` section: trained weights kept beside the project file.

``attach_weights`` copies a run's weights to ``<project-stem>.safetensors`` next to the project and
records them (file, sha256, run, epoch, val_accuracy); ``load_project_weights`` puts them back
into a compiled model after checking the checksum and that the graph still fits them;
``weights_mismatch`` says beforehand whether they still fit a graph edited since training.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch
import torch.fx as fx

from cnnstudio.core.fileio import atomic_path
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.checkpoint import (
    CheckpointError,
    WeightsMismatch,
    load_weights_into,
    read_weights,
    sha256,
)
from cnnstudio.train.runs import RunFolder


def attach_weights(
    project: Project,
    weights_file: str | os.PathLike[str],
    run: str | os.PathLike[str] | None = None,
    epoch: int | None = None,
    val_accuracy: float | None = None,
) -> dict[str, Any]:
    """Copy ``weights_file`` beside the project and set ``project.weights``; returns the section.

    With ``run`` (the run folder), the section also records the class names and the input
    normalisation the weights were trained with, which inference needs. The project must have
    been saved (the copy goes next to its file); saving it is left to the caller.
    """
    if project.path is None:
        raise CheckpointError("save the project first: trained weights are kept beside its file")
    source = Path(weights_file)
    target = project.path.with_suffix(".safetensors")
    read_weights(source)  # refuse to attach a file that does not load
    if source.resolve() != target.resolve():
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
    section: dict[str, Any] = {"file": target.name, "sha256": sha256(target)}
    if run is not None:
        section["run"] = _relative(Path(run), project.base_dir)
        section.update(_trained_on(Path(run)))
    if epoch is not None:
        section["epoch"] = epoch
    if val_accuracy is not None:
        section["val_accuracy"] = val_accuracy
    project.weights = section
    return section


def load_project_weights(project: Project, model: fx.GraphModule | None = None) -> fx.GraphModule:
    """Load the weights the project references into ``model`` (compiled from its graph if None)."""
    section = project.weights
    if not section or not isinstance(section.get("file"), str):
        raise CheckpointError(f"{project.name}: the project has no trained weights (weights.file)")
    path = project.base_dir / section["file"]
    if not path.exists():
        raise CheckpointError(f"weights.file: {path} does not exist")
    expected = section.get("sha256")
    if isinstance(expected, str) and sha256(path) != expected:
        raise CheckpointError(
            f"weights.sha256: {path} has changed since it was attached (checksum differs)"
        )
    model = model if model is not None else compile_graph(project.graph, name=project.name)
    tensors: dict[str, torch.Tensor] = read_weights(path)
    load_weights_into(model, tensors, str(path))
    return model


def weights_mismatch(project: Project) -> str | None:
    """How the project's trained weights no longer fit its graph, or None when they fit.

    Asked before an export, so that an edited network can be exported with fresh weights
    instead of failing. Weights that are missing or damaged are not a mismatch: loading them
    reports that itself.
    """
    if not project.weights:
        return None
    try:
        load_project_weights(project)
    except WeightsMismatch as exc:
        return str(exc)
    except CheckpointError:
        pass  # missing or damaged: the export itself says so
    return None


def _trained_on(run: Path) -> dict[str, Any]:
    """Class names and normalisation from a run's config.json, where it has them."""
    try:
        data = RunFolder(run).read_config().get("data", {})
    except (OSError, ValueError):
        return {}
    return {k: data[k] for k in ("class_names", "normalization") if k in data}


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(path.resolve())
