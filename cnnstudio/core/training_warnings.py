"""Warnings read from a run's figures: vanishing gradients, overfitting, dead ReLUs.

Pure functions of plain numbers (no torch), so they are tested on made-up sequences and the
editor lists their issues beside the graph's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from cnnstudio.core.analysis import Issue

VANISHING_SHARE = 1e-3  # of the largest layer's gradient norm, at every measured batch
OVERFIT_EPOCHS = 3  # epochs in a row of rising validation loss and falling training loss
DEAD_RELU_ZEROS = 0.95  # share of zero outputs over the validation capture batch


def vanishing_gradients(layers: Sequence[str], peak_share: Sequence[float]) -> list[Issue]:
    """The layers whose gradient stayed below ``VANISHING_SHARE`` of the largest layer's in
    every measured batch of an epoch (``peak_share``: the largest share each reached)."""
    return [
        Issue(
            layer,
            f"vanishing gradients before {layer} — consider BatchNorm or a residual connection "
            f"(its gradient stayed below 1/{round(1 / VANISHING_SHARE)} of the largest layer's "
            "for a whole epoch)",
            "warning",
        )
        for layer, share in zip(layers, peak_share, strict=True)
        if math.isfinite(share) and share < VANISHING_SHARE
    ]


def overfitting_since(
    epochs: Sequence[int], train_loss: Sequence[float], val_loss: Sequence[float]
) -> int | None:
    """The first epoch of a run of at least ``OVERFIT_EPOCHS`` epochs, up to the last one, in
    which the validation loss rose while the training loss fell; None if the last epochs are
    not such a run."""
    since = None
    for i in range(len(epochs) - 1, 0, -1):
        if val_loss[i] > val_loss[i - 1] and train_loss[i] < train_loss[i - 1]:
            since = epochs[i]
        else:
            break
    if since is None or epochs[-1] - since + 1 < OVERFIT_EPOCHS:
        return None
    return since


def overfitting(
    epochs: Sequence[int], train_loss: Sequence[float], val_loss: Sequence[float]
) -> list[Issue]:
    since = overfitting_since(epochs, train_loss, val_loss)
    if since is None:
        return []
    return [
        Issue(
            None,
            f"overfitting since epoch {since} — consider Dropout, augmentation or early stopping "
            "(validation loss rose while training loss fell)",
            "warning",
        )
    ]


def dead_relus(zeros: Mapping[str, float]) -> list[Issue]:
    """ReLU nodes whose outputs were at least ``DEAD_RELU_ZEROS`` zeros on the validation batch."""
    return [
        Issue(
            node,
            f"{node} (ReLU): dead on the validation set — {share:.0%} of its outputs are zero; "
            "consider a lower learning rate, LeakyReLU or BatchNorm before it",
            "warning",
        )
        for node, share in zeros.items()
        if share >= DEAD_RELU_ZEROS
    ]
