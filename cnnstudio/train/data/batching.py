"""Iterating over a split in ready-to-train batches."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader

from .augment import AugmentOptions, augment_batch
from .dataset import DataSplit, LazyImages
from .normalize import Normalization, to_float


def batches(
    split: DataSplit,
    batch_size: int,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    *,
    normalization: Normalization | None = None,
    augment: AugmentOptions | None = None,
    device: torch.device | str | None = None,
    drop_last: bool = False,
    num_workers: int = 0,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(images, labels)``: float32 ``(B, C, H, W)`` and int64 ``(B,)`` on ``device``.

    In-memory splits are batched by tensor indexing (a DataLoader would cost a Python call
    per sample); uint8 images travel to the device as bytes and become float there, then
    get augmented and normalised. Lazy splits go through a DataLoader with ``num_workers``.
    ``generator`` (a CPU generator) drives both the shuffle and the augmentation.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if isinstance(split.x, torch.Tensor):
        raw = _index_batches(split.x, split.y, batch_size, shuffle, generator, drop_last)
    else:
        loader = DataLoader(
            _Labelled(split.x, split.y),
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
            drop_last=drop_last,
            num_workers=num_workers,
        )
        raw = iter(loader)
    for x, y in raw:
        x = to_float(x.to(device, non_blocking=True))
        if augment is not None and augment.enabled:
            x = augment_batch(x, augment, generator)
        if normalization is not None:
            x = normalization.apply(x)
        yield x, y.to(device, non_blocking=True)


def _index_batches(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    shuffle: bool,
    generator: torch.Generator | None,
    drop_last: bool,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    n = len(y)
    order = torch.randperm(n, generator=generator) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            yield x[start : start + batch_size], y[start : start + batch_size]
        else:
            index = order[start : start + batch_size]
            yield x[index], y[index]


class _Labelled(torch.utils.data.Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Pairs lazily decoded images with their labels for a DataLoader."""

    def __init__(self, images: LazyImages, labels: torch.Tensor) -> None:
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]
