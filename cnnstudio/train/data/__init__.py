"""Datasets for training: the built-in procedural shapes, standard datasets, image folders
and NumPy archives, all loaded into one :class:`Dataset` type (no Qt, no torchvision)."""

from .augment import AugmentOptions, augment_batch
from .batches import batches
from .catalog import STANDARD_DATASETS, RemoteFile, StandardDataset
from .config import SOURCES, dataset_from_config, validate_dataset_config
from .dataset import Dataset, DataSplit, LazyImages
from .download import default_cache_dir, download_dataset
from .errors import DatasetError, DatasetNotFoundError, DownloadCancelled
from .folder import LazyImageFolder, load_image_folder
from .idx import read_idx
from .normalize import Normalization, compute_normalization, to_float
from .npz import load_npz
from .shapes import SHAPE_CLASSES, generate_shapes, load_shapes
from .split import split_indices
from .standard import load_standard_dataset

__all__ = [
    "SHAPE_CLASSES",
    "SOURCES",
    "STANDARD_DATASETS",
    "AugmentOptions",
    "DataSplit",
    "Dataset",
    "DatasetError",
    "DatasetNotFoundError",
    "DownloadCancelled",
    "LazyImageFolder",
    "LazyImages",
    "Normalization",
    "RemoteFile",
    "StandardDataset",
    "augment_batch",
    "batches",
    "compute_normalization",
    "dataset_from_config",
    "default_cache_dir",
    "download_dataset",
    "generate_shapes",
    "load_image_folder",
    "load_npz",
    "load_shapes",
    "load_standard_dataset",
    "read_idx",
    "split_indices",
    "to_float",
    "validate_dataset_config",
]
