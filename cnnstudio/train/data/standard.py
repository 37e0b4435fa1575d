"""Loading the standard datasets (MNIST family, CIFAR) from a local folder."""

from __future__ import annotations

from pathlib import Path

from .catalog import STANDARD_DATASETS
from .cifar import load_cifar_files, locate_cifar_folder
from .dataset import Dataset, DataSplit
from .errors import DatasetError
from .idx import load_idx_pair
from .split import split_arrays


def load_standard_dataset(
    name: str, folder: Path, *, val_fraction: float | None = None, seed: int = 0
) -> Dataset:
    """Load ``name`` (a :data:`STANDARD_DATASETS` key) from ``folder``.

    Validation is the dataset's own test set, unless ``val_fraction`` is given: then it is a
    seeded stratified part of the training set and the test set stays untouched.
    """
    spec = STANDARD_DATASETS.get(name)
    if spec is None:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(STANDARD_DATASETS)}")
    num_classes = len(spec.class_names)
    if spec.layout == "idx":
        where = folder
        x_train, y_train = load_idx_pair(folder, "train", num_classes, spec.title)
        x_test, y_test = load_idx_pair(folder, "t10k", num_classes, spec.title)
    else:
        assert spec.archive_folder is not None
        *train_files, test_file = spec.data_files
        where = locate_cifar_folder(folder, spec.archive_folder, train_files[0], spec.title)
        fine = spec.layout == "cifar100"
        x_train, y_train = load_cifar_files(where, tuple(train_files), fine, num_classes)
        x_test, y_test = load_cifar_files(where, (test_file,), fine, num_classes)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DatasetError(
            f"{spec.title} in {where}: training images {list(x_train.shape[1:])} and test "
            f"images {list(x_test.shape[1:])} differ in size"
        )
    if val_fraction is None:
        x_val, y_val, how = x_test, y_test, "test set as validation"
    else:
        x_train, y_train, x_val, y_val = split_arrays(x_train, y_train, val_fraction, seed)
        how = f"{val_fraction:g} of the training set as validation"
    return Dataset(
        train=DataSplit.from_numpy(x_train, y_train),
        val=DataSplit.from_numpy(x_val, y_val),
        class_names=spec.class_names,
        source=f"{spec.title} from {where}: {len(y_train)} train / {len(y_val)} val ({how})",
    )
