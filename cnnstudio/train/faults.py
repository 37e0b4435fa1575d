"""How a run fails: the errors the trainer raises, and turning any exception into a report.

Every exception that ends a run becomes a TrainingFailure whose ``kind`` tells the editor and
the CLI how to present it (an input problem, a diverged run, a bug) and whose message is fit to
show as it is.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

import torch

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.torch_backend.compiler import CompileError
from cnnstudio.train.callbacks import TrainingFailure
from cnnstudio.train.checkpoint import CheckpointError
from cnnstudio.train.config import ConfigError
from cnnstudio.train.data.errors import DatasetError
from cnnstudio.train.memory import out_of_memory_message

if TYPE_CHECKING:
    from cnnstudio.train.session import Session


class TrainingError(CnnStudioError):
    """A run cannot go on. ``kind``: graph, data, nan, oom, checkpoint; epoch/batch where known."""

    def __init__(
        self, kind: str, message: str, epoch: int | None = None, batch: int | None = None
    ) -> None:
        super().__init__(message)
        self.kind, self.epoch, self.batch = kind, epoch, batch


class CallbackFailed(Exception):
    """A callback raised; the run fails with kind ``callback`` and the callback's message."""


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text
    )


def describe_failure(exc: Exception, s: Session | None) -> TrainingFailure:
    epoch = s.position.epochs_done + 1 if s is not None else None
    if isinstance(exc, TrainingError):
        return TrainingFailure(exc.kind, str(exc), exc.epoch or epoch, exc.batch)
    if isinstance(exc, ConfigError):
        return TrainingFailure("config", str(exc))
    if isinstance(exc, DatasetError):
        return TrainingFailure("data", str(exc))
    if isinstance(exc, CompileError):
        return TrainingFailure("graph", str(exc))
    if isinstance(exc, CheckpointError):
        return TrainingFailure("checkpoint", str(exc))
    if isinstance(exc, CallbackFailed):
        return TrainingFailure("callback", str(exc), epoch, details=_trace(exc.__cause__ or exc))
    if is_oom(exc):
        if s is not None and s.runtime.device.type == "cuda":
            torch.cuda.empty_cache()
        if s is None:
            return TrainingFailure("oom", "out of memory; use a smaller network", epoch)
        return TrainingFailure(
            "oom", out_of_memory_message(s.project, s.config, s.runtime.device), epoch
        )
    if isinstance(exc, CnnStudioError):
        return TrainingFailure("graph", str(exc), epoch)
    return TrainingFailure(
        "internal", f"training failed: {type(exc).__name__}: {exc}", epoch, details=_trace(exc)
    )


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))
