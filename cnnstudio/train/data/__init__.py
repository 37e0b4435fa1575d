"""Datasets for training: the built-in procedural shapes, standard datasets, image folders
and NumPy archives, all loaded into one :class:`Dataset` type (no Qt, no torchvision).

Names below are imported on first use, so the torch-free modules (``section``, ``catalog``,
``errors``, ``split``, ``shapes``' class names) load without torch: the editor starts with them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AugmentOptions": "augment",
    "augment_batch": "augment",
    "batches": "batching",
    "STANDARD_DATASETS": "catalog",
    "RemoteFile": "catalog",
    "StandardDataset": "catalog",
    "dataset_from_config": "config",
    "SOURCES": "section",
    "validate_dataset_config": "section",
    "Dataset": "dataset",
    "DataSplit": "dataset",
    "LazyImages": "dataset",
    "default_cache_dir": "download",
    "download_dataset": "download",
    "DatasetError": "errors",
    "DatasetNotFoundError": "errors",
    "DownloadCancelled": "errors",
    "LazyImageFolder": "folder",
    "load_image_folder": "folder",
    "read_idx": "idx",
    "Normalization": "normalize",
    "compute_normalization": "normalize",
    "to_float": "normalize",
    "load_npz": "npz",
    "SHAPE_CLASSES": "shapes",
    "generate_shapes": "shapes",
    "load_shapes": "shapes",
    "split_indices": "split",
    "load_standard_dataset": "standard",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
