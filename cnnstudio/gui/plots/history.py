"""The numbers a run's curves are drawn from, kept in growing numpy buffers.

The worker's reports append here (cheap); the curve view reads the arrays at its own pace and
redraws only when ``version`` has changed since it last drew. The x axis of every series is in
epochs (a batch at 40 % of epoch 3 sits at 2.4), so batch and epoch curves share one axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from cnnstudio.train.callbacks import BatchProgress, EpochMetrics
from cnnstudio.train.runs import CSV_COLUMNS

SMOOTHING = 0.95  # exponential moving average of the batch loss, debiased like TensorBoard's
_START_CAPACITY = 1024


class GrowingArray:
    """A float64 array that appends in amortised O(1) and exposes the filled part as a view."""

    def __init__(self) -> None:
        self._data = np.empty(_START_CAPACITY, np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def extend(self, values: np.ndarray | Iterable[float]) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        need = self._size + values.size
        if need > self._data.size:
            grown = np.empty(max(need, 2 * self._data.size), np.float64)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : need] = values
        self._size = need

    def clear(self) -> None:
        self._size = 0

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]


class RunHistory:
    """Batch losses (raw and smoothed), learning rate and per-epoch metrics of the current run."""

    def __init__(self) -> None:
        self.batch_x = GrowingArray()
        self.batch_loss = GrowingArray()
        self.smoothed = GrowingArray()
        self.lr_x = GrowingArray()
        self.lr = GrowingArray()
        self.epoch_x = GrowingArray()
        self.train_loss = GrowingArray()
        self.val_loss = GrowingArray()
        self.train_accuracy = GrowingArray()  # percent
        self.val_accuracy = GrowingArray()  # percent
        self.rows: list[dict[str, Any]] = []
        self.version = 0
        self._ema = 0.0
        self._ema_steps = 0

    def clear(self) -> None:
        for array in self._arrays():
            array.clear()
        self.rows = []
        self._ema, self._ema_steps = 0.0, 0
        self.version += 1

    def add_batches(self, progress: BatchProgress) -> None:
        losses = np.asarray(progress.losses, dtype=np.float64)
        if not losses.size:
            return
        per = max(progress.batches_per_epoch, 1)
        first = progress.batch - losses.size + 1
        x = (progress.epoch - 1) + np.arange(first, progress.batch + 1) / per
        self.batch_x.extend(x)
        self.batch_loss.extend(losses)
        self.smoothed.extend(self._smooth(losses))
        self.lr_x.extend([x[-1]])
        self.lr.extend([progress.lr])
        self.version += 1

    def add_epoch(self, metrics: EpochMetrics) -> None:
        self.epoch_x.extend([metrics.epoch])
        self.train_loss.extend([metrics.train_loss])
        self.val_loss.extend([metrics.val_loss])
        self.train_accuracy.extend([100.0 * metrics.train_accuracy])
        self.val_accuracy.extend([100.0 * metrics.val_accuracy])
        self.rows.append(metrics.row())
        self.version += 1

    def add_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Epochs read back from a run folder's ``metrics.jsonl`` (a reopened project, the
        earlier epochs of a continued run); they have no batch losses, and their learning rate
        is the one each epoch ended with."""
        scalars = [{k: r.get(k) for k in CSV_COLUMNS} for r in rows]  # the epoch CSV's
        if not scalars:
            return

        def column(name: str, scale: float = 1.0) -> list[float]:
            values = (r[name] for r in scalars)
            return [scale * v if isinstance(v, (int, float)) else np.nan for v in values]

        epochs = column("epoch")
        ends = [(e, lr) for e, lr in zip(epochs, column("lr"), strict=True) if np.isfinite(lr)]
        self.lr_x.extend([e for e, _ in ends])  # the lr each epoch ended with: one point each
        self.lr.extend([lr for _, lr in ends])
        self.epoch_x.extend(epochs)
        self.train_loss.extend(column("train_loss"))
        self.val_loss.extend(column("val_loss"))
        self.train_accuracy.extend(column("train_accuracy", 100.0))
        self.val_accuracy.extend(column("val_accuracy", 100.0))
        self.rows.extend(scalars)
        self.version += 1

    def _smooth(self, losses: np.ndarray) -> np.ndarray:
        out = np.empty_like(losses)
        ema, steps = self._ema, self._ema_steps
        for i, value in enumerate(losses):
            ema = SMOOTHING * ema + (1.0 - SMOOTHING) * value
            steps += 1
            out[i] = ema / (1.0 - SMOOTHING**steps)
        self._ema, self._ema_steps = ema, steps
        return out

    def _arrays(self) -> tuple[GrowingArray, ...]:
        return (
            self.batch_x,
            self.batch_loss,
            self.smoothed,
            self.lr_x,
            self.lr,
            self.epoch_x,
            self.train_loss,
            self.val_loss,
            self.train_accuracy,
            self.val_accuracy,
        )
