"""Which devices a run can use and how much memory it may take, answered without importing torch
where only the CPU can compute.

The editor asks at start-up (the Settings tab's device list, Will it fit?), and importing torch
would cost it a second there; torch is imported only where a GPU driver is installed, since only
torch can say whether it can use that GPU. ``device.py`` turns these answers into torch objects.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from typing import TYPE_CHECKING

from cnnstudio.train.config import ConfigError

if TYPE_CHECKING:
    import torch

# NVIDIA's driver, AMD's ROCm kernel driver (torch's ROCm build answers as "cuda").
_LINUX_GPU_DRIVERS = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd")


def gpu_driver_present() -> bool:
    """A GPU torch might use: a CUDA/ROCm driver, or macOS (Metal, the mps device)."""
    if sys.platform == "darwin":
        return True
    if sys.platform == "win32":
        return ctypes.util.find_library("nvcuda") is not None
    return any(os.path.exists(path) for path in _LINUX_GPU_DRIVERS)


def available_devices() -> list[str]:
    """The devices a run can use, best first (``auto`` takes the first)."""
    if not gpu_driver_present():
        return ["cpu"]
    import torch  # only torch knows whether it can use the GPU the driver serves

    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.insert(-1, "mps")
    return found


def resolve_device_name(name: str) -> str:
    """``auto`` picks cuda, then mps, then cpu; asking for an absent device is a ConfigError."""
    found = available_devices()
    if name == "auto":
        return found[0]
    if name not in found:
        raise ConfigError(
            "training.device",
            f"{name!r} is not available on this machine (available: {', '.join(found)})",
        )
    return name


def amp_dtype_name(amp: str, device_type: str) -> str | None:
    """The autocast dtype (``float16``/``bfloat16``) a run uses, None for plain float32.

    ``auto``: bf16 on CUDA GPUs that support it, else fp16 with a GradScaler; off elsewhere.
    """
    if amp == "off" or (amp == "auto" and device_type != "cuda"):
        return None
    if amp == "auto":
        import torch  # a CUDA device: torch is needed (and loaded) to use it anyway

        amp = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if amp == "fp16":
        if device_type != "cuda":
            raise ConfigError(
                "training.amp", f"'fp16' needs a CUDA device, the run uses {device_type}"
            )
        return "float16"
    if device_type == "mps":
        raise ConfigError("training.amp", "'bf16' is not supported on mps; use 'off'")
    return "bfloat16"


def available_bytes(device: str | torch.device = "cpu") -> int:
    """Memory a run on ``device`` may still take: the GPU's free memory, or RAM available
    (psutil: Linux's MemAvailable, Windows' and macOS's own figures)."""
    if str(device).startswith("cuda"):
        import torch  # a CUDA device: torch is needed (and loaded) to use it anyway

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)


def resolve_threads(threads: int | str, processes: int = 1) -> int:
    """``auto`` = every core: a run has its own process (the editor's training process too);
    with several training processes on one machine, each gets its share of the cores."""
    if threads != "auto":
        return int(threads)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // processes)
