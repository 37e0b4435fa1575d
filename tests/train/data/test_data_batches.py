"""Batching, normalisation statistics, augmentation and the stratified split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnstudio.train.data import (
    AugmentOptions,
    Dataset,
    DataSplit,
    Normalization,
    augment_batch,
    batches,
    compute_normalization,
    split_indices,
    to_float,
)


def _split(n: int = 50, shape: tuple[int, ...] = (3, 6, 5)) -> DataSplit:
    x = torch.arange(n * int(np.prod(shape)), dtype=torch.int64).remainder(256).to(torch.uint8)
    return DataSplit(x.reshape(n, *shape), torch.arange(n) % 7)


def test_every_sample_once_per_epoch_and_seeded_order() -> None:
    split = _split()
    epoch = list(batches(split, 16, shuffle=True, generator=torch.Generator().manual_seed(3)))
    assert [len(y) for _, y in epoch] == [16, 16, 16, 2]
    x = torch.cat([b for b, _ in epoch])
    y = torch.cat([b for _, b in epoch])
    assert x.dtype == torch.float32
    order = torch.randperm(50, generator=torch.Generator().manual_seed(3))
    assert torch.equal(y, split.y[order])
    assert torch.equal(x, split.x[order].float() / 255)
    again = list(batches(split, 16, shuffle=True, generator=torch.Generator().manual_seed(3)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(epoch, again, strict=True))


def test_unshuffled_and_drop_last() -> None:
    split = _split()
    got = list(batches(split, 20, drop_last=True))
    assert [len(y) for _, y in got] == [20, 20]
    assert torch.equal(torch.cat([y for _, y in got]), split.y[:40])
    with pytest.raises(ValueError, match="batch_size"):
        next(batches(split, 0))


def test_normalisation_uses_the_training_split_and_standardises() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (300, 3, 4, 4), dtype=np.uint8)
    x[:, 1] //= 4  # a channel with a different range
    split = DataSplit.from_numpy(x, np.zeros(300, np.int64))
    norm = compute_normalization(split.x)
    scaled = x / 255.0
    np.testing.assert_allclose(norm.mean, scaled.mean(axis=(0, 2, 3)), rtol=1e-9)
    np.testing.assert_allclose(norm.std, scaled.std(axis=(0, 2, 3)), rtol=1e-9)
    out = torch.cat([b for b, _ in batches(split, 64, normalization=norm)])
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        out.std(dim=(0, 2, 3), correction=0), torch.ones(3), atol=1e-4, rtol=0
    )


def test_float_data_is_taken_as_is_and_constant_channels_do_not_divide_by_zero() -> None:
    x = torch.full((10, 1, 2, 2), 3.5)
    norm = compute_normalization(x)
    assert norm.mean == (3.5,)
    assert norm.std[0] > 0
    assert torch.equal(to_float(x), x)
    assert torch.isfinite(norm.apply(x)).all()


def test_dataset_normalization_ignores_validation() -> None:
    train = DataSplit(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.zeros(4, dtype=torch.int64))
    val = DataSplit(
        torch.full((4, 1, 2, 2), 255, dtype=torch.uint8), torch.zeros(4, dtype=torch.int64)
    )
    ds = Dataset(train, val, ("a",), "test")
    assert ds.normalization.mean == (0.0,)


def test_split_validation() -> None:
    with pytest.raises(ValueError, match="int64"):
        DataSplit(torch.zeros(2, 1, 2, 2), torch.zeros(2, dtype=torch.int32))
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        DataSplit(torch.zeros(2, 1, 2, 2), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="uint8 or float32"):
        DataSplit(torch.zeros(2, 2, 2, dtype=torch.uint8), torch.zeros(2, dtype=torch.int64))


def test_augmentations_keep_shape_and_device_and_are_seeded() -> None:
    x = torch.rand(32, 3, 12, 10)
    options = AugmentOptions(crop_padding=3, hflip=True, affine=True)
    a = augment_batch(x, options, torch.Generator().manual_seed(1))
    b = augment_batch(x, options, torch.Generator().manual_seed(1))
    c = augment_batch(x, options, torch.Generator().manual_seed(2))
    assert a.shape == x.shape
    assert a.dtype == x.dtype
    assert a.device == x.device
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, x)


def test_hflip_flips_about_half_the_images_exactly() -> None:
    x = torch.rand(200, 1, 5, 7)
    out = augment_batch(x, AugmentOptions(hflip=True), torch.Generator().manual_seed(0))
    same = (out == x).flatten(1).all(1)
    flipped = (out == x.flip(3)).flatten(1).all(1)
    assert (same | flipped).all()
    assert 60 < flipped.sum() < 140


def test_crop_shifts_each_image_within_the_padding() -> None:
    x = torch.rand(100, 2, 8, 9) + 1  # strictly positive, so padding zeros are recognisable
    pad = 2
    out = augment_batch(x, AugmentOptions(crop_padding=pad), torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x, (pad,) * 4)
    shifts = set()
    for i in range(len(x)):
        matches = [
            (dy, dx)
            for dy in range(2 * pad + 1)
            for dx in range(2 * pad + 1)
            if torch.equal(out[i], padded[i, :, dy : dy + 8, dx : dx + 9])
        ]
        assert matches
        shifts.add(matches[0])
    assert len(shifts) > 15  # of the 25 possible shifts


def test_affine_with_no_range_is_the_identity_and_otherwise_moves_pixels() -> None:
    x = torch.rand(8, 1, 16, 12)
    still = AugmentOptions(affine=True, max_rotation_deg=0, max_translate=0, scale_range=(1, 1))
    torch.testing.assert_close(augment_batch(x, still), x, atol=1e-5, rtol=0)
    moved = augment_batch(x, AugmentOptions(affine=True), torch.Generator().manual_seed(0))
    assert (moved - x).abs().mean() > 0.05


def test_augment_rejects_uint8_and_batches_apply_it_to_float() -> None:
    with pytest.raises(TypeError, match="float"):
        augment_batch(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), AugmentOptions(hflip=True))
    split = _split(40)
    gen = torch.Generator().manual_seed(0)
    plain = torch.cat([b for b, _ in batches(split, 40)])
    flipped = torch.cat(
        [b for b, _ in batches(split, 40, augment=AugmentOptions(hflip=True), generator=gen)]
    )
    assert not torch.equal(plain, flipped)
    assert AugmentOptions().enabled is False
    with pytest.raises(ValueError, match="crop_padding"):
        AugmentOptions(crop_padding=-1)


def test_normalization_apply_matches_formula() -> None:
    norm = Normalization(mean=(0.5, 0.25), std=(0.5, 0.125))
    x = torch.rand(3, 2, 4, 4)
    expected = (x - torch.tensor([0.5, 0.25]).view(1, 2, 1, 1)) / torch.tensor([0.5, 0.125]).view(
        1, 2, 1, 1
    )
    torch.testing.assert_close(norm.apply(x), expected)


def test_split_is_stratified_disjoint_and_seeded() -> None:
    labels = np.repeat(np.arange(5), [30, 30, 12, 3, 1])
    train, val = split_indices(labels, 0.25, seed=9)
    assert np.intersect1d(train, val).size == 0
    assert np.union1d(train, val).tolist() == list(range(len(labels)))
    assert np.bincount(labels[val], minlength=5).tolist() == [8, 8, 3, 1, 0]  # never a whole class
    assert np.array_equal(val, split_indices(labels, 0.25, seed=9)[1])
    assert not np.array_equal(val, split_indices(labels, 0.25, seed=10)[1])
    assert split_indices(labels, 0.0, 0)[1].size == 0
    with pytest.raises(ValueError, match="val_fraction"):
        split_indices(labels, 1.0, 0)
