"""Running sums kept on the training device, so no batch waits for the GPU just to count."""

from __future__ import annotations

import numpy as np
import torch


class RunningMetrics:
    """Loss, correct predictions and sample count over one epoch's training batches.

    Per-batch values stay device tensors in a pending list until :meth:`flush`, so a batch costs
    no host-device synchronisation; the flush hands back each pending batch's loss.
    """

    def __init__(self) -> None:
        self.loss_sum = 0.0
        self.correct = 0
        self.seen = 0
        self._losses: list[torch.Tensor] = []
        self._correct: list[torch.Tensor] = []
        self._sizes: list[int] = []

    def update(self, loss: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> None:
        self.add(loss.detach(), (logits.detach().argmax(1) == targets).sum(), targets.shape[0])

    def add(self, loss: torch.Tensor, correct: torch.Tensor, size: int) -> None:
        """A batch already scored: its mean ``loss`` and ``correct`` count over ``size`` samples."""
        self._losses.append(loss)
        self._correct.append(correct)
        self._sizes.append(size)

    @property
    def pending(self) -> int:
        return len(self._losses)

    def flush(self) -> np.ndarray:
        """Fold pending batches into the sums; returns their losses (float32, in order)."""
        if not self._losses:
            return np.zeros(0, np.float32)
        losses = torch.stack(self._losses).float().cpu().numpy()
        correct = int(torch.stack(self._correct).sum())
        sizes = np.asarray(self._sizes, np.float64)
        self.loss_sum += float(losses.astype(np.float64) @ sizes)
        self.correct += correct
        self.seen += int(sizes.sum())
        self._losses, self._correct, self._sizes = [], [], []
        return losses

    def loss(self) -> float:
        return self.loss_sum / max(self.seen, 1)

    def accuracy(self) -> float:
        return self.correct / max(self.seen, 1)

    def state(self) -> dict[str, float | int]:
        self.flush()
        return {"loss_sum": self.loss_sum, "correct": self.correct, "seen": self.seen}

    def load_state(self, state: dict[str, float | int]) -> None:
        self.loss_sum = float(state["loss_sum"])
        self.correct = int(state["correct"])
        self.seen = int(state["seen"])


def confusion_matrix(targets: torch.Tensor, predictions: torch.Tensor, classes: int) -> np.ndarray:
    """``[classes, classes]`` int64 counts; row = true class, column = predicted class."""
    flat = targets.long() * classes + predictions.long()
    counts = torch.bincount(flat, minlength=classes * classes)
    return counts.reshape(classes, classes).cpu().numpy().astype(np.int64)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Recall of each class; NaN where the class has no samples."""
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)
