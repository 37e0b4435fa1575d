"""Checkpoints: weights as safetensors, the rest of the training state in a weights-only torch file.

The weights file's keys are the compiled model's ``state_dict`` keys, so any tool can load it
into ``compile_graph(project.graph)`` with ``strict=True``. The state file holds only tensors,
numbers, strings, lists and dicts, which ``torch.load(..., weights_only=True)`` reads without
unpickling any object. Both are written atomically: a crash leaves the previous checkpoint.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.fileio import atomic_path

STATE_FORMAT = "cnnstudio-training-state"
STATE_VERSION = 1


class CheckpointError(CnnStudioError):
    """A checkpoint or weights file that is missing, damaged or does not fit the graph."""


class WeightsMismatch(CheckpointError):
    """Readable weights whose tensors do not fit the graph: it was edited after they were saved."""


def _tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def save_weights(path: Path, model: torch.nn.Module, metadata: dict[str, str] | None = None) -> str:
    """Write the model's state_dict as safetensors; returns the file's sha256."""
    with atomic_path(path) as tmp:
        safetensors.torch.save_file(_tensors(model), str(tmp), metadata=metadata)
        digest = sha256(tmp)
    return digest


def save_checkpoint(
    weights_path: Path,
    state_path: Path,
    model: torch.nn.Module,
    metadata: dict[str, str],
    state: dict[str, Any],
) -> None:
    """Weights and training state, both complete before either replaces the previous pair.

    The state records the weights' sha256, so a crash between the two renames is detected
    when resuming instead of pairing new weights with old optimizer state.
    """
    with atomic_path(weights_path) as weights_tmp, atomic_path(state_path) as state_tmp:
        safetensors.torch.save_file(_tensors(model), str(weights_tmp), metadata=metadata)
        header = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "weights_sha256": sha256(weights_tmp),
        }
        torch.save({**header, **state}, state_tmp)


def load_checkpoint(
    weights_path: Path, state_path: Path
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The weights and state of a checkpoint, checked to belong together."""
    state = load_state(state_path)
    tensors = read_weights(weights_path)
    if sha256(weights_path) != state.get("weights_sha256"):
        raise CheckpointError(
            f"{weights_path}: does not belong to {state_path.name} (the run was interrupted "
            "while saving); the checkpoint cannot be resumed"
        )
    return tensors, state


def sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    try:
        return safetensors.torch.load_file(str(path))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such weights file") from None
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None


def load_weights_into(
    model: torch.nn.Module, tensors: dict[str, torch.Tensor], source: str
) -> None:
    """Strict load with a message that says how the graph and the file differ."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    mismatched = [
        f"{k} is {list(tensors[k].shape)} in the file but {list(v.shape)} in the graph"
        for k, v in expected.items()
        if k in tensors and tensors[k].shape != v.shape
    ]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
        if unexpected:
            parts.append(
                "not in the graph "
                + ", ".join(unexpected[:5])
                + (" ..." if len(unexpected) > 5 else "")
            )
        parts += mismatched[:5]
        raise WeightsMismatch(
            f"{source}: the weights do not fit the graph (it changed since they were saved): "
            + "; ".join(parts)
        )
    model.load_state_dict(tensors, strict=True)


def load_state(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable training checkpoint ({exc})") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path}: not a cnnstudio training checkpoint")
    if state.get("version") != STATE_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {state.get('version')!r} is not supported "
            f"(this cnnstudio reads version {STATE_VERSION})"
        )
    return state
