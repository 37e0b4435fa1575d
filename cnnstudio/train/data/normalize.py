"""Scaling images to float and standardising them per channel.

uint8 images are scaled to [0, 1] first; float images are taken as they are. Statistics are
on that scale, so they can be stored with a trained model and applied at inference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .dataset import LazyImages

_CHUNK = 1024
LAZY_STATS_SAMPLES = 2048
_MIN_STD = 1e-6


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 in [0, 255] to float32 in [0, 1]; float input becomes float32 unchanged."""
    if x.dtype == torch.uint8:
        return x.to(torch.float32).div_(255.0)
    return x.to(torch.float32)


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
    """Mean/std per channel, in chunks (float64 sums) so big uint8 datasets never go float.

    Lazy datasets are estimated from an evenly spread sample of at most
    ``LAZY_STATS_SAMPLES`` images, since decoding all of them could take minutes.
    """
    n = len(x)
    if n == 0:
        raise ValueError("cannot compute normalisation statistics of an empty split")
    if isinstance(x, torch.Tensor):
        channels = x.shape[1]
        chunks: Iterable[torch.Tensor] = (x[i : i + _CHUNK] for i in range(0, n, _CHUNK))
    else:
        channels = x.sample_shape[0]
        picks = torch.linspace(0, n - 1, min(n, LAZY_STATS_SAMPLES)).round().long()
        chunks = (
            torch.stack([x[int(i)] for i in picks[j : j + _CHUNK]])
            for j in range(0, len(picks), _CHUNK)
        )
    sums = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    count = 0
    for chunk in chunks:
        values = chunk.to(torch.float64)
        if chunk.dtype == torch.uint8:
            values /= 255.0
        sums += values.sum(dim=(0, 2, 3))
        squares += values.square().sum(dim=(0, 2, 3))
        count += values.numel() // channels
    mean = sums / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt().clamp_min(_MIN_STD)
    return Normalization(tuple(mean.tolist()), tuple(std.tolist()))
