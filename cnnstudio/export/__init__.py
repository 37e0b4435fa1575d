"""Export a project to files that run without cnnstudio: PyTorch code, a training script, ONNX,
TorchScript and ``torch.export`` programs.

``export_project`` is the one entry point (the CLI and the editor's menu call it). Every format
starts from the same compiled model with the project's trained weights, or weights seeded from
``training.seed`` when it has none, and every file is written atomically: an export that fails
leaves no file behind, and one that succeeds replaces the old files whole.

Importing this package is cheap (no torch): the CLI lists the formats before it knows whether
it will export at all.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from cnnstudio.core.project import Project
from cnnstudio.export.errors import EXTRA_HINT, ExportError, StaleWeightsError

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("python", ".py", "a PyTorch nn.Module in one .py file, weights beside it"),
        Format(
            "script", ".py", "a training script for python or torchrun (DDP), weights beside it"
        ),
        Format("onnx", ".onnx", "an ONNX model (opset 18, dynamic batch) for onnxruntime"),
        Format("torchscript", ".pt", "a TorchScript module for torch.jit.load and LibTorch"),
        Format("pt2", ".pt2", "a torch.export program for torch.export.load"),
    )
}


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """What an export wrote and, in words, where its weights came from."""

    format: str
    files: tuple[Path, ...]
    weights: str


def export_project(
    project: Project,
    fmt: str,
    out: str | os.PathLike[str],
    *,
    fresh_weights: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Write ``project`` to ``out`` in format ``fmt`` (a key of ``FORMATS``).

    ``python`` and ``script`` also write the weights beside ``out`` (same name, ``.safetensors``).
    ``fresh_weights`` ignores trained weights. ``progress`` receives one-line messages as the
    export goes, among them ``weights: trained (...)`` or ``weights: freshly initialised
    (seed N)``. Everything a user can cause (an invalid graph, a missing package, a block a
    format cannot express, an unwritable path) raises :class:`ExportError`, whose message is
    fit to show as it is; trained weights that no longer fit the edited network raise its
    subclass :class:`StaleWeightsError` (``fresh_weights`` exports without them).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    target = Path(out)
    _check_target(target, FORMATS[fmt])
    from cnnstudio.export.pipeline import write_export  # imports torch

    files, weights = write_export(project, fmt, target, fresh_weights, progress or _ignore)
    return ExportResult(fmt, files, weights)


def stale_weights(project: Project) -> str | None:
    """Why ``project``'s trained weights do not fit its network, or None (they fit, or none).

    Ask before exporting, to offer an export with fresh weights instead of a failure.
    """
    from cnnstudio.train.weights import weights_mismatch  # imports torch

    return weights_mismatch(project)


def _ignore(message: str) -> None:
    del message


def _check_target(target: Path, fmt: Format) -> None:
    if target.is_dir():
        example = target / f"model{fmt.suffix}"
        raise ExportError(f"{target} is a folder; give a file name, e.g. {example}")
    if fmt.suffix == ".py" and target.suffix != ".py":
        raise ExportError(
            f"the {fmt.name} format writes Python code (and its weights beside it); "
            f"give a file name ending in .py, not {target.name!r}"
        )
    if not target.parent.is_dir():
        raise ExportError(f"cannot write {target}: the folder {target.parent} does not exist")


__all__ = [
    "EXTRA_HINT",
    "FORMATS",
    "ExportError",
    "ExportResult",
    "Format",
    "StaleWeightsError",
    "export_project",
    "stale_weights",
]
