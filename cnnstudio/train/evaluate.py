"""Validation after each epoch, and the early-stopping rule that reads its result."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from cnnstudio.train import loop_core
from cnnstudio.train.data.batching import batches
from cnnstudio.train.loss import log_probabilities
from cnnstudio.train.metrics import confusion_matrix
from cnnstudio.train.session import Session


def validate(s: Session) -> tuple[float, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Validation loss, confusion matrix and every sample's (target, prediction, confidence)."""
    n, device = len(s.dataset.val), s.runtime.device
    predicted = torch.empty(n, dtype=torch.int64, device=device)
    confidence = torch.empty(n, dtype=torch.float32, device=device)
    targets = torch.empty(n, dtype=torch.int64, device=device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    amp = s.runtime.precision.dtype
    autocast = (
        torch.autocast(device.type, dtype=amp) if amp is not None else contextlib.nullcontext()
    )
    s.model.eval()
    try:
        with torch.no_grad(), autocast:
            start = 0
            for x, y in batches(
                s.dataset.val,
                s.eval_batch_size,
                normalization=s.normalization,
                device=device,
            ):
                outputs = s.model(x)
                end = start + y.shape[0]
                loss_sum += s.loss_fn(outputs, y).double() * y.shape[0]
                best, index = log_probabilities(outputs, s.output_kind).max(dim=1)
                predicted[start:end] = index
                confidence[start:end] = best.exp()
                targets[start:end] = y
                start = end
    finally:
        s.model.train()
    confusion = confusion_matrix(targets, predicted, s.dataset.num_classes)
    preds = (targets.cpu().numpy(), predicted.cpu().numpy(), confidence.cpu().numpy())
    return float(loss_sum) / max(n, 1), confusion, preds


def early_stop(s: Session, val_loss: float, val_accuracy: float) -> bool:
    """Apply the shared rule (``loop_core.early_stop``) to the session's position."""
    pos = s.position
    pos.early_best, pos.early_bad_epochs, stop = loop_core.early_stop(
        s.config.early_stopping, pos.early_best, pos.early_bad_epochs, val_loss, val_accuracy
    )
    return stop
