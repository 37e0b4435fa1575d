"""CIFAR-10 and CIFAR-100, binary version only (the Python version is pickled; never loaded).

Each record is the label byte(s) followed by 3072 pixel bytes: the 1024 red values of a
32x32 image in row order, then green, then blue. CIFAR-100 records hold the coarse label
then the fine label; cnnstudio trains on the fine one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DatasetError, DatasetNotFoundError

_PIXELS = 3 * 32 * 32
_PYTHON_VERSION_MARKERS = (
    "cifar-10-batches-py",
    "cifar-100-python",
    "data_batch_1",
    "batches.meta",
)


def read_cifar_bin(
    path: Path, label_bytes: int, label_index: int, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 3, 32, 32)`` uint8 and int64 labels of one binary CIFAR file."""
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    record = label_bytes + _PIXELS
    if raw.size == 0 or raw.size % record:
        raise DatasetError(
            f"{path}: {raw.size} bytes is not a whole number of {record}-byte records; "
            f"is it the binary version of CIFAR-{10 if label_bytes == 1 else 100}?"
        )
    records = raw.reshape(-1, record)
    labels = records[:, label_index].astype(np.int64)
    if labels.max() >= num_classes:
        raise DatasetError(f"{path}: label {labels.max()} out of range for {num_classes} classes")
    return records[:, label_bytes:].reshape(-1, 3, 32, 32), labels


def locate_cifar_folder(folder: Path, archive_folder: str, first_file: str, title: str) -> Path:
    """``folder`` itself or the archive's own subfolder, whichever holds the data."""
    for where in (folder, folder / archive_folder):
        if (where / first_file).is_file():
            return where
    hint = ""
    if any((folder / name).exists() for name in _PYTHON_VERSION_MARKERS):
        hint = "; this looks like the Python version, which is pickled: use the binary version"
    raise DatasetNotFoundError(
        f"{title} file {first_file} not found in {folder} or {folder / archive_folder}{hint}"
    )


def load_cifar_files(
    folder: Path, names: tuple[str, ...], fine_labels: bool, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated images and labels of several record files in ``folder``."""
    label_bytes, label_index = (2, 1) if fine_labels else (1, 0)
    parts = []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise DatasetNotFoundError(f"CIFAR file {path} not found")
        parts.append(read_cifar_bin(path, label_bytes, label_index, num_classes))
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])
