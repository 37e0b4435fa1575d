"""From a project to files on disk: prepare the model once, render the format, write atomically."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import safetensors.torch

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.fileio import atomic_path
from cnnstudio.core.project import Project
from cnnstudio.export.errors import ExportError
from cnnstudio.export.model import ExportModel, export_model
from cnnstudio.export.onnx_export import onnx_bytes
from cnnstudio.export.python_code import model_code, python_file
from cnnstudio.export.script import training_script
from cnnstudio.export.torchscript import torchscript_bytes
from cnnstudio.export.traced import pt2_bytes


def write_export(
    project: Project, fmt: str, target: Path, fresh_weights: bool, say: Callable[[str], None]
) -> tuple[tuple[Path, ...], str]:
    """Export and write; returns the files written and the weights' description."""
    say(f"exporting {project.name!r} as {fmt}")
    try:
        prepared = export_model(project, fresh_weights)
    except ExportError:
        raise
    except CnnStudioError as exc:  # weights or training settings that do not fit
        raise ExportError(str(exc)) from None
    say(f"weights: {prepared.weights}")
    files = _write(project, fmt, target, prepared, say)
    for path in files:
        say(f"wrote {path} ({_size(path.stat().st_size)})")
    return files, prepared.weights


def _write(
    project: Project, fmt: str, target: Path, prepared: ExportModel, say: Callable[[str], None]
) -> tuple[Path, ...]:
    model, analysis = prepared.model, prepared.analysis
    shape = analysis.input_shape
    assert shape is not None
    if fmt in ("python", "script"):
        weights = target.with_suffix(".safetensors")
        if fmt == "python":
            code = model_code(model, analysis, project.name)
            source = python_file(code, project.name, weights.name)
        else:
            source = training_script(project, model, analysis, target.name)
        tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        with _writing(target) as tmp_code, _writing(weights) as tmp_weights:
            safetensors.torch.save_file(tensors, str(tmp_weights), metadata={"format": "pt"})
            tmp_code.write_text(source, encoding="utf-8")
        return target, weights
    if fmt == "onnx":
        say("converting with torch.onnx (the torch.export-based exporter)")
        data = onnx_bytes(model, shape)
    elif fmt == "torchscript":
        data, notes = torchscript_bytes(model)
        for note in notes:
            say(note)
    else:
        data = pt2_bytes(model, shape)
    with _writing(target) as tmp:
        tmp.write_bytes(data)
    return (target,)


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[Path]:
    """``atomic_path`` with OS errors turned into one-line export errors."""
    try:
        with atomic_path(path) as tmp:
            yield tmp
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def _size(n: int) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
