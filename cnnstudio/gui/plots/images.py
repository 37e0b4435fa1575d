"""Dataset samples and numpy pictures as QImages (copies: a QImage must not outlive its buffer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

if TYPE_CHECKING:
    import torch

# A dataset's tensor or a numpy array; torch is not imported for it (the editor starts without).
Sample: TypeAlias = "torch.Tensor | np.ndarray"


def to_display(sample: Sample) -> np.ndarray:
    """One ``(C, H, W)`` sample as ``(H, W)`` or ``(H, W, 3)`` uint8, whatever its dtype/range."""
    data = sample if isinstance(sample, np.ndarray) else sample.detach().cpu().numpy()
    if data.dtype != np.uint8:
        data = data.astype(np.float32)
        low, high = float(data.min(initial=0.0)), float(data.max(initial=0.0))
        if low >= 0.0 and high <= 1.0:  # already scaled to [0, 1]
            low, high = 0.0, 1.0
        data = np.clip((data - low) / max(high - low, 1e-12) * 255.0 + 0.5, 0, 255)
        data = data.astype(np.uint8)
    if data.ndim == 3 and data.shape[0] == 1:
        return data[0]
    if data.ndim == 3 and data.shape[0] == 3:
        return np.ascontiguousarray(data.transpose(1, 2, 0))
    if data.ndim == 3:  # other channel counts: show the first channel
        return data[0]
    return data


def qimage(array: np.ndarray) -> QImage:
    """``(H, W)`` grey or ``(H, W, 3)`` RGB uint8 as a QImage that owns its pixels."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    h, w = data.shape[:2]
    if data.ndim == 2:
        image = QImage(data.data, w, h, data.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(data.data, w, h, data.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


def sample_pixmap(sample: Sample, size: int) -> QPixmap:
    """A sample scaled up to ``size`` pixels with hard pixel edges (small images stay readable)."""
    image = qimage(to_display(sample))
    return QPixmap.fromImage(
        image.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
    )
