"""The result every loader returns: train and validation splits plus what the labels mean."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import torch

from .augment import AugmentOptions
from .normalize import Normalization, compute_normalization


class LazyImages(Protocol):
    """Images decoded on demand, for datasets too big to hold in memory.

    Map-style, so it works with a ``torch.utils.data.DataLoader`` and worker processes.
    """

    @property
    def sample_shape(self) -> tuple[int, int, int]: ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> torch.Tensor:
        """One uint8 ``(C, H, W)`` image."""
        ...


@dataclasses.dataclass(frozen=True, eq=False)
class DataSplit:
    """Images with their int64 labels; ``x`` is a uint8/float32 ``(N, C, H, W)`` tensor or lazy."""

    x: torch.Tensor | LazyImages
    y: torch.Tensor

    def __post_init__(self) -> None:
        if self.y.dtype != torch.int64 or self.y.ndim != 1:
            raise ValueError(
                f"labels must be a 1-D int64 tensor, got {self.y.dtype} {tuple(self.y.shape)}"
            )
        if len(self.x) != len(self.y):
            raise ValueError(f"{len(self.x)} images but {len(self.y)} labels")
        if isinstance(self.x, torch.Tensor) and (
            self.x.ndim != 4 or self.x.dtype not in (torch.uint8, torch.float32)
        ):
            shape = tuple(self.x.shape)
            raise ValueError(
                f"images must be uint8 or float32 (N, C, H, W), got {self.x.dtype} {shape}"
            )

    @classmethod
    def from_numpy(cls, x: np.ndarray, y: np.ndarray) -> DataSplit:
        """Wrap arrays without copying (float arrays become float32)."""
        if x.dtype != np.uint8:
            x = x.astype(np.float32, copy=False)
        return cls(
            torch.from_numpy(np.ascontiguousarray(x)),
            torch.from_numpy(y.astype(np.int64, copy=False)),
        )

    def __len__(self) -> int:
        return len(self.y)

    @property
    def in_memory(self) -> bool:
        return isinstance(self.x, torch.Tensor)

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        if isinstance(self.x, torch.Tensor):
            c, h, w = self.x.shape[1:]
            return (c, h, w)
        return self.x.sample_shape


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset, ready for :func:`cnnstudio.train.data.batches`.

    ``source`` describes where the data came from for the user; ``skipped`` lists the files
    that could not be read, with the reason; ``augment`` is what the project asked for, to be
    applied to training batches only.
    """

    train: DataSplit
    val: DataSplit
    class_names: tuple[str, ...]
    source: str
    skipped: list[tuple[Path, str]] = dataclasses.field(default_factory=list)
    augment: AugmentOptions | None = None

    def __post_init__(self) -> None:
        if len(self.val) and self.val.sample_shape != self.train.sample_shape:
            raise ValueError(
                f"validation samples {self.val.sample_shape} differ from training samples "
                f"{self.train.sample_shape}"
            )

    @property
    def x_train(self) -> torch.Tensor | LazyImages:
        return self.train.x

    @property
    def y_train(self) -> torch.Tensor:
        return self.train.y

    @property
    def x_val(self) -> torch.Tensor | LazyImages:
        return self.val.x

    @property
    def y_val(self) -> torch.Tensor:
        return self.val.y

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one image: what the network's Input node must declare."""
        return self.train.sample_shape

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self, split: Literal["train", "val"] = "train") -> list[int]:
        labels = self.train.y if split == "train" else self.val.y
        return torch.bincount(labels, minlength=self.num_classes).tolist()

    @functools.cached_property
    def normalization(self) -> Normalization:
        """Per-channel statistics of the training split only, so validation stays unseen."""
        return compute_normalization(self.train.x)
