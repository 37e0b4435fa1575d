"""CIFAR binary files: record layout, folder layouts, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from dataset_files import CifarSet

from cnnstudio.train.data import STANDARD_DATASETS, DatasetError, load_standard_dataset
from cnnstudio.train.data.errors import DatasetNotFoundError


@pytest.mark.parametrize("subfolder", ["", "cifar-10-batches-bin"])
def test_cifar10_round_trips(tmp_path: Path, cifar10_set: CifarSet, subfolder: str) -> None:
    cifar10_set.write(tmp_path / subfolder)
    ds = load_standard_dataset("cifar10", tmp_path)
    assert ds.sample_shape == (3, 32, 32)
    assert ds.x_train.dtype == torch.uint8
    np.testing.assert_array_equal(ds.x_train.numpy(), np.concatenate(cifar10_set.images[:5]))
    np.testing.assert_array_equal(ds.y_train.numpy(), np.concatenate(cifar10_set.labels[:5]))
    np.testing.assert_array_equal(ds.x_val.numpy(), cifar10_set.images[5])
    np.testing.assert_array_equal(ds.y_val.numpy(), cifar10_set.labels[5])
    assert ds.class_names[0] == "airplane"
    assert len(ds.class_names) == 10


def test_cifar10_pixels_are_channel_planes(tmp_path: Path, cifar10_set: CifarSet) -> None:
    """Within a record: 1024 red bytes (row by row), then green, then blue."""
    cifar10_set.write(tmp_path)
    record = (tmp_path / "test_batch.bin").read_bytes()[:3073]
    ds = load_standard_dataset("cifar10", tmp_path)
    first = ds.x_val[0].numpy()
    assert record[0] == ds.y_val[0]
    assert first[0, 0, 1] == record[1 + 1]  # red, row 0, column 1
    assert first[1, 2, 0] == record[1 + 1024 + 2 * 32]  # green, row 2, column 0
    assert first[2, 31, 31] == record[3072]  # blue, last pixel


def test_cifar100_uses_fine_labels(tmp_path: Path, cifar100_set: CifarSet) -> None:
    cifar100_set.write(tmp_path / "cifar-100-binary")
    ds = load_standard_dataset("cifar100", tmp_path)
    np.testing.assert_array_equal(ds.y_train.numpy(), cifar100_set.labels[0])
    np.testing.assert_array_equal(ds.x_val.numpy(), cifar100_set.images[1])
    names = STANDARD_DATASETS["cifar100"].class_names
    assert ds.class_names == names
    assert len(names) == len(set(names)) == 100
    assert (names[0], names[19], names[99]) == ("apple", "cattle", "worm")


def test_val_fraction_leaves_the_test_batch_alone(tmp_path: Path, cifar10_set: CifarSet) -> None:
    ds = load_standard_dataset("cifar10", cifar10_set.write(tmp_path), val_fraction=0.25, seed=1)
    assert len(ds.train) + len(ds.val) == 60
    assert 10 <= len(ds.val) <= 20


def test_wrong_record_size_names_the_file(tmp_path: Path, cifar10_set: CifarSet) -> None:
    cifar10_set.write(tmp_path)
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DatasetError, match="3073-byte records") as info:
        load_standard_dataset("cifar10", tmp_path)
    assert str(path) in str(info.value)


def test_cifar100_file_read_as_cifar10_is_caught(tmp_path: Path, cifar100_set: CifarSet) -> None:
    """A CIFAR-100 record is 3074 bytes: a file of them cannot pass for CIFAR-10."""
    files = cifar100_set.files()
    for name in (*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"):
        (tmp_path / name).write_bytes(files["train.bin"][: 3074 * 5])
    with pytest.raises(DatasetError, match=r"data_batch_1\.bin"):
        load_standard_dataset("cifar10", tmp_path)


def test_labels_out_of_range(tmp_path: Path, cifar10_set: CifarSet) -> None:
    cifar10_set.labels[5][0] = 10
    cifar10_set.write(tmp_path)
    with pytest.raises(DatasetError, match=r"test_batch\.bin: label 10 out of range"):
        load_standard_dataset("cifar10", tmp_path)


def test_missing_files_and_python_version_hint(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"data_batch_1\.bin not found") as info:
        load_standard_dataset("cifar10", tmp_path)
    assert str(tmp_path / "cifar-10-batches-bin") in str(info.value)
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DatasetNotFoundError, match="Python version, which is pickled"):
        load_standard_dataset("cifar10", tmp_path)


def test_a_missing_later_batch_is_named(tmp_path: Path, cifar10_set: CifarSet) -> None:
    cifar10_set.write(tmp_path)
    (tmp_path / "data_batch_4.bin").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"data_batch_4\.bin"):
        load_standard_dataset("cifar10", tmp_path)
