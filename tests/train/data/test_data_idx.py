"""IDX files (MNIST family): parsing, the usual folder layouts, and errors that name the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
from dataset_files import IdxSet, idx_bytes

from cnnstudio.train.data import STANDARD_DATASETS, DatasetError, load_standard_dataset, read_idx
from cnnstudio.train.data.errors import DatasetNotFoundError


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_round_trips_from_files(tmp_path: Path, idx_set: IdxSet, gz: bool) -> None:
    idx_set.write(tmp_path, gz=gz)
    ds = load_standard_dataset("mnist", tmp_path)
    assert ds.sample_shape == (1, 28, 28)
    assert ds.x_train.dtype == torch.uint8
    np.testing.assert_array_equal(ds.x_train.numpy()[:, 0], idx_set.x_train)
    np.testing.assert_array_equal(ds.y_train.numpy(), idx_set.y_train)
    np.testing.assert_array_equal(ds.x_val.numpy()[:, 0], idx_set.x_test)  # the test set validates
    np.testing.assert_array_equal(ds.y_val.numpy(), idx_set.y_test)
    assert ds.class_names == tuple("0123456789")
    assert "test set" in ds.source


@pytest.mark.parametrize("name", ["fashion-mnist", "kmnist"])
def test_other_idx_datasets_use_their_class_names(
    tmp_path: Path, idx_set: IdxSet, name: str
) -> None:
    ds = load_standard_dataset(name, idx_set.write(tmp_path))
    assert ds.class_names == STANDARD_DATASETS[name].class_names
    assert len(ds.class_names) == 10
    assert len(ds.train) == 60


def test_val_fraction_splits_the_training_set_instead(tmp_path: Path, idx_set: IdxSet) -> None:
    ds = load_standard_dataset("mnist", idx_set.write(tmp_path), val_fraction=0.5, seed=3)
    assert len(ds.train) == len(ds.val) == 30
    assert ds.class_counts() == ds.class_counts("val") == [3] * 10
    together = np.concatenate([ds.x_train.numpy(), ds.x_val.numpy()])[:, 0]
    assert sorted(map(bytes, together)) == sorted(map(bytes, idx_set.x_train))


def test_finds_torchvision_raw_folder_and_dotted_names(tmp_path: Path, idx_set: IdxSet) -> None:
    idx_set.write(tmp_path / "raw", gz=False)
    for path in (tmp_path / "raw").iterdir():  # Kaggle spells them train-images.idx3-ubyte
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    ds = load_standard_dataset("mnist", tmp_path)
    np.testing.assert_array_equal(ds.y_train.numpy(), idx_set.y_train)


def test_read_idx_handles_big_endian_types(tmp_path: Path) -> None:
    ints = np.arange(-6, 6, dtype=">i4").reshape(3, 4)
    floats = np.linspace(-1, 1, 5, dtype=">f4")
    (tmp_path / "i").write_bytes(idx_bytes(ints))
    (tmp_path / "f").write_bytes(gzip.compress(idx_bytes(floats)))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)
    np.testing.assert_array_equal(read_idx(tmp_path / "f", ndim=1), floats)
    assert read_idx(tmp_path / "i").dtype.isnative


def _corrupt(data: bytes, how: str) -> bytes:
    raw = gzip.decompress(data)
    if how == "magic":
        return b"\x12\x34" + raw[2:]
    if how == "type":
        return raw[:2] + b"\x07" + raw[3:]
    if how == "truncated":
        return raw[:-100]
    if how == "dims":
        return raw[:3] + b"\x02" + raw[4:]
    return data[: len(data) // 2]  # a gzip stream cut short


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("magic", "not an IDX file"),
        ("type", "unknown IDX type code 0x07"),
        ("truncated", "bytes of data follow"),
        ("dims", "expected 3-dimensional"),
        ("gzip", "corrupt gzip"),
    ],
)
def test_broken_files_name_the_file(
    tmp_path: Path, idx_set: IdxSet, how: str, message: str
) -> None:
    idx_set.write(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(_corrupt(path.read_bytes(), how))
    with pytest.raises(DatasetError, match=message) as info:
        load_standard_dataset("mnist", tmp_path)
    assert str(path) in str(info.value)


def test_image_and_label_counts_must_agree(tmp_path: Path, idx_set: IdxSet) -> None:
    idx_set.y_train = idx_set.y_train[:-1]
    idx_set.write(tmp_path)
    with pytest.raises(DatasetError, match=r"60 images but .* 59 labels"):
        load_standard_dataset("mnist", tmp_path)


def test_labels_out_of_range_are_rejected(tmp_path: Path, idx_set: IdxSet) -> None:
    idx_set.y_test[3] = 10
    idx_set.write(tmp_path)
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz: label 10 out of range"):
        load_standard_dataset("mnist", tmp_path)


def test_missing_file_names_folder_and_file(tmp_path: Path, idx_set: IdxSet) -> None:
    idx_set.write(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="t10k-labels-idx1-ubyte") as info:
        load_standard_dataset("fashion-mnist", tmp_path)
    assert str(tmp_path) in str(info.value)
    assert "Fashion-MNIST" in str(info.value)
