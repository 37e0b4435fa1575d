"""Seeded, stratified train/validation splits."""

from __future__ import annotations

import numpy as np

DEFAULT_VAL_FRACTION = 0.1667


def split_indices(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices, each in ascending order.

    Stratified, so every class keeps its share in both parts even for small datasets:
    each class gives ``round(count * val_fraction)`` samples to validation, but never all
    of them, so no class vanishes from training.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    val_parts = []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        take = min(int(np.floor(members.size * val_fraction + 0.5)), members.size - 1)
        val_parts.append(members[:take])
    val = np.sort(np.concatenate(val_parts)) if val_parts else np.empty(0, np.int64)
    train = np.setdiff1d(np.arange(labels.size), val, assume_unique=True)
    return train, val.astype(np.int64)


def split_arrays(
    x: np.ndarray, y: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x_train, y_train, x_val, y_val`` of a stratified split."""
    train, val = split_indices(y, val_fraction, seed)
    return x[train], y[train], x[val], y[val]
