"""NumPy archives: layouts, dtypes, optional arrays, and refusal of pickled content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.train.data import DatasetError, load_npz
from cnnstudio.train.data.errors import DatasetNotFoundError


def _labels(n: int, classes: int = 4) -> np.ndarray:
    return np.arange(n) % classes


def test_nchw_uint8_with_own_validation_and_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 3, 5, 6), dtype=np.uint8)
    x_val = rng.integers(0, 256, (8, 3, 5, 6), dtype=np.uint8)
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x=x,
        y=_labels(20),
        x_val=x_val,
        y_val=_labels(8),
        class_names=np.array(["a", "b", "c", "d"]),
    )
    ds = load_npz(path)
    assert ds.sample_shape == (3, 5, 6)
    assert ds.x_train.dtype == torch.uint8
    np.testing.assert_array_equal(ds.x_train.numpy(), x)
    np.testing.assert_array_equal(ds.x_val.numpy(), x_val)
    assert ds.y_train.dtype == torch.int64
    assert ds.class_names == ("a", "b", "c", "d")


def test_nhw_float_is_split_when_no_validation_given(tmp_path: Path) -> None:
    x = np.random.default_rng(1).random((30, 7, 7))
    path = tmp_path / "d.npz"
    np.savez_compressed(path, x=x, y=_labels(30, 3))
    ds = load_npz(path, seed=2)
    assert ds.sample_shape == (1, 7, 7)
    assert ds.x_train.dtype == torch.float32
    assert len(ds.train) + len(ds.val) == 30
    assert ds.class_counts("val") == [2, 2, 2]
    assert ds.class_names == ("0", "1", "2")
    rows = {tuple(np.float32(r).ravel()) for r in x}
    assert all(tuple(img.ravel().tolist()) in rows for img in ds.x_val.numpy())


def test_val_fraction_overrides_the_archives_validation(tmp_path: Path) -> None:
    x = np.zeros((40, 1, 4, 4), np.uint8)
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=_labels(40), x_val=x[:3], y_val=_labels(3))
    assert len(load_npz(path).val) == 3
    assert len(load_npz(path, val_fraction=0.5).val) == 20


def test_other_integer_and_bool_images_become_uint8(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.full((4, 2, 2), 200, np.int64), y=_labels(4, 2))
    assert load_npz(path, val_fraction=0).x_train.dtype == torch.uint8
    np.savez(path, x=np.ones((4, 2, 2), bool), y=_labels(4, 2))
    assert load_npz(path, val_fraction=0).x_train.max() == 255


def test_object_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((4, 2, 2), np.uint8), y=np.array([0, 1, None, 1], dtype=object))
    with pytest.raises(DatasetError, match="cannot read") as info:
        load_npz(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((4, 2, 2), np.uint8)}, "missing array 'y'"),
        ({"x": np.zeros((4, 2), np.uint8), "y": _labels(4)}, r"must be \(N, C, H, W\)"),
        ({"x": np.zeros((4, 2, 2), np.uint8), "y": _labels(3)}, "4 images but 3 labels"),
        ({"x": np.zeros((4, 2, 2), np.uint8), "y": np.zeros(4)}, "1-D integer array"),
        ({"x": np.zeros((4, 2, 2), np.uint8), "y": -_labels(4)}, "negative labels"),
        ({"x": np.full((4, 2, 2), 300), "y": _labels(4)}, r"0\.\.255"),
        ({"x": np.zeros((4, 2, 2), complex), "y": _labels(4)}, "unsupported dtype complex"),
        (
            {"x": np.zeros((4, 2, 2)), "y": _labels(4), "x_val": np.zeros((1, 2, 2))},
            "must come together",
        ),
        (
            {
                "x": np.zeros((4, 2, 2)),
                "y": _labels(4),
                "x_val": np.zeros((1, 3, 3)),
                "y_val": _labels(1),
            },
            r"'x_val' samples \[1, 3, 3\] differ",
        ),
        (
            {"x": np.zeros((4, 2, 2)), "y": _labels(4), "class_names": np.array(["a"])},
            "labels go up to 3",
        ),
    ],
)
def test_bad_archives_name_the_file(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetError, match=message) as info:
        load_npz(path)
    assert str(path) in str(info.value)


def test_not_an_npz(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="not found"):
        load_npz(tmp_path / "missing.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(DatasetError, match="single array"):
        load_npz(tmp_path / "single.npy")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DatasetError, match=r"cannot read as \.npz"):
        load_npz(tmp_path / "junk.npz")
