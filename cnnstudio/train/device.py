"""Turns ``auto`` settings into a concrete device, precision and CPU thread count."""

from __future__ import annotations

import dataclasses
import os

import torch

from cnnstudio.train.config import ConfigError, TrainingConfig


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


def available_devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    if _mps_available():
        found.insert(-1, "mps")
    return found


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; asking for an absent device is a ConfigError."""
    found = available_devices()
    if name == "auto":
        return torch.device(found[0])
    if name not in found:
        raise ConfigError(
            "training.device",
            f"{name!r} is not available on this machine (available: {', '.join(found)})",
        )
    return torch.device(name)


def resolve_precision(amp: str, device: torch.device) -> Precision:
    """``auto``: bf16 on CUDA GPUs that support it, else fp16 with a GradScaler; off elsewhere."""
    if amp == "off" or (amp == "auto" and device.type != "cuda"):
        return Precision()
    if amp == "auto":
        amp = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if amp == "fp16":
        if device.type != "cuda":
            raise ConfigError("training.amp", f"'fp16' needs a CUDA device, the run uses {device}")
        return Precision(torch.float16, grad_scaler=True)
    if device.type == "mps":
        raise ConfigError("training.amp", "'bf16' is not supported on mps; use 'off'")
    return Precision(torch.bfloat16)


def resolve_threads(threads: int | str, processes: int = 1) -> int:
    """``auto`` = every core: a run has its own process (the editor's training process too);
    with several training processes on one machine, each gets its share of the cores."""
    if threads != "auto":
        return int(threads)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // processes)


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
