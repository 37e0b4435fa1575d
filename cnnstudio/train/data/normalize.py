"""Scaling images to float and standardising them per channel.

uint8 images are scaled to [0, 1] first; float images are taken as they are. Statistics are
on that scale, so they can be stored with a trained model and applied at inference.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import torch

from cnnstudio.train.loop_core import channel_stats, to_float

if TYPE_CHECKING:
    from .dataset import LazyImages

__all__ = ["Normalization", "compute_normalization", "to_float"]


@dataclasses.dataclass(frozen=True)
class Normalization:
    """Per-channel mean and standard deviation (plain floats, so they serialise as JSON)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Standardise a float ``(N, C, H, W)`` batch on whatever device it lives."""
        mean, std = self._tensors(x.dtype, x.device)
        return (x - mean) / std

    def _tensors(
        self, dtype: torch.dtype, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and std as ``(1, C, 1, 1)`` tensors, made once per dtype and device (building
        them for every batch cost two tensor creations and copies per training step)."""
        cache: dict[tuple[torch.dtype, torch.device], tuple[torch.Tensor, torch.Tensor]]
        cache = self.__dict__.setdefault("_cache", {})
        key = (dtype, device)
        if key not in cache:
            shape = (1, len(self.mean), 1, 1)
            cache[key] = (
                torch.tensor(self.mean, dtype=dtype, device=device).view(shape),
                torch.tensor(self.std, dtype=dtype, device=device).view(shape),
            )
        return cache[key]


def compute_normalization(x: torch.Tensor | LazyImages) -> Normalization:
    """Mean/std per channel (``loop_core.channel_stats``, which the exported script shares)."""
    mean, std = channel_stats(x)
    return Normalization(tuple(mean.tolist()), tuple(std.tolist()))
