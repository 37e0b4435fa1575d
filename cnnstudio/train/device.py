"""Turns ``auto`` settings into a concrete device, precision and CPU thread count."""

from __future__ import annotations

import dataclasses

import torch

from cnnstudio.train.config import TrainingConfig
from cnnstudio.train.hardware import amp_dtype_name, resolve_device_name, resolve_threads


@dataclasses.dataclass(frozen=True)
class Precision:
    """Autocast settings; ``dtype`` None means plain float32 and no autocast."""

    dtype: torch.dtype | None = None
    grad_scaler: bool = False

    @property
    def name(self) -> str:
        if self.dtype is None:
            return "off"
        return "bf16" if self.dtype == torch.bfloat16 else "fp16"


def resolve_device(name: str) -> torch.device:
    """The device ``resolve_device_name`` picks for the ``device`` setting."""
    return torch.device(resolve_device_name(name))


def resolve_precision(amp: str, device: torch.device) -> Precision:
    """Autocast as ``amp_dtype_name`` picks it; fp16 comes with a GradScaler."""
    dtype = amp_dtype_name(amp, device.type)
    if dtype is None:
        return Precision()
    return Precision(getattr(torch, dtype), grad_scaler=dtype == "float16")


@dataclasses.dataclass(frozen=True)
class Runtime:
    """Where and how a run computes, resolved once at its start."""

    device: torch.device
    precision: Precision
    threads: int


def resolve_runtime(config: TrainingConfig, processes: int = 1) -> Runtime:
    """``processes`` is the size of the torchrun job this process belongs to (1 without one)."""
    device = resolve_device(config.device)
    threads = resolve_threads(config.threads, processes)
    return Runtime(device, resolve_precision(config.amp, device), threads)
