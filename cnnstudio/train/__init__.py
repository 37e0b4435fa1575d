"""Datasets and the trainer (no Qt): everything needed to train a project headless.

``cnnstudio.train(project, ...)`` is the one-call API. This package has the same name, and
importing any of its modules makes ``cnnstudio.train`` refer to the package, so the package
itself is callable: calling it runs :func:`cnnstudio.train.trainer.train`. Names below are
imported on first use, so ``import cnnstudio.train`` does not load torch.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_EXPORTS = {
    "Trainer": "cnnstudio.train.trainer",
    "train": "cnnstudio.train.trainer",
    "TrainingCallbacks": "cnnstudio.train.callbacks",
    "TrainingResult": "cnnstudio.train.callbacks",
    "CaptureSettings": "cnnstudio.train.capture_settings",
    "TrainingConfig": "cnnstudio.train.config",
    "ConfigError": "cnnstudio.train.config",
    "training_config": "cnnstudio.train.config",
    "attach_weights": "cnnstudio.train.weights",
    "load_project_weights": "cnnstudio.train.weights",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from cnnstudio.train.trainer import train

        return train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
