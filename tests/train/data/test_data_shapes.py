"""The procedural shapes dataset: determinism, balance, any size, and figures that are drawn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnstudio.train.data import SHAPE_CLASSES, generate_shapes, load_shapes
from cnnstudio.train.data.shapes import MIN_SIZE


def test_same_seed_same_images_other_seed_other_images() -> None:
    a, ya = generate_shapes(300, seed=11)
    b, yb = generate_shapes(300, seed=11)
    c, yc = generate_shapes(300, seed=12)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)
    assert not np.array_equal(ya, yc)


def test_more_images_than_one_render_chunk() -> None:
    big, y = generate_shapes(1500, seed=3)
    assert big.shape == (1500, 1, 28, 28)
    assert len(np.unique(big.reshape(1500, -1), axis=0)) == 1500
    assert np.bincount(y[1024:], minlength=10).min() > 30  # later chunks hold every class too


@pytest.mark.parametrize("n", [10, 95, 1000])
def test_classes_are_balanced(n: int) -> None:
    _, y = generate_shapes(n, seed=0)
    counts = np.bincount(y, minlength=10)
    assert counts.max() - counts.min() <= 1
    assert y.dtype == np.int64


@settings(max_examples=15, deadline=None)
@given(
    height=st.integers(MIN_SIZE, 48),
    width=st.integers(MIN_SIZE, 48),
    channels=st.sampled_from([1, 3]),
)
def test_any_size_and_channel_count(height: int, width: int, channels: int) -> None:
    x, y = generate_shapes(20, height, width, channels, seed=1)
    assert x.shape == (20, channels, height, width)
    assert x.dtype == np.uint8
    assert len(y) == 20
    assert x.std() > 10  # figures and backgrounds differ


def test_figures_stand_out_from_the_background() -> None:
    """Every image has a clearly brighter part (the figure) than its darkest quarter."""
    x, _ = generate_shapes(200, seed=5)
    flat = np.sort(x.reshape(200, -1).astype(float), axis=1)
    dark, bright = flat[:, : flat.shape[1] // 4].mean(1), flat[:, -20:].mean(1)
    assert (bright - dark > 60).all()


def test_edges_are_anti_aliased() -> None:
    """Noise-free coverage would be binary without anti-aliasing; here many pixels are partial."""
    from cnnstudio.train.data.shapes import _draw_geometry, _render_figures

    labels = np.arange(50) % 10
    params = _draw_geometry(np.random.default_rng(0), labels, 28, 28)
    coverage = _render_figures(labels, params, 28, 28)
    partial = ((coverage > 0.05) & (coverage < 0.95)).mean()
    assert 0.02 < partial < 0.5
    assert coverage.min() == 0.0
    assert coverage.max() == 1.0


def test_rgb_variant_is_coloured() -> None:
    x, _ = generate_shapes(100, 32, 32, 3, seed=0)
    channel_means = x.reshape(100, 3, -1).mean(axis=2)
    assert (channel_means.std(axis=1) > 5).mean() > 0.8  # most images are not grey


def test_bars_keep_their_orientation() -> None:
    """Horizontal bars change mostly from row to row, vertical bars from column to column."""
    x, y = generate_shapes(1000, seed=0)
    images = x[:, 0].astype(float)
    along_y = np.abs(np.diff(images, axis=1)).sum(axis=(1, 2))
    along_x = np.abs(np.diff(images, axis=2)).sum(axis=(1, 2))
    assert (along_y[y == 8] > along_x[y == 8]).mean() > 0.9
    assert (along_x[y == 9] > along_y[y == 9]).mean() > 0.9


def test_load_shapes_splits_with_the_same_seed() -> None:
    ds = load_shapes(600, seed=4)
    assert ds.class_names == SHAPE_CLASSES
    assert len(ds.class_names) == 10
    assert (len(ds.train), len(ds.val)) == (500, 100)
    assert ds.class_counts() == [50] * 10
    assert ds.class_counts("val") == [10] * 10
    again = load_shapes(600, seed=4)
    assert (ds.x_val == again.x_val).all()
    assert ds.source.startswith("shapes: 600 generated 1x28x28")
    assert load_shapes(60, 16, 20, 3).sample_shape == (3, 16, 20)


@pytest.mark.parametrize(
    ("args", "message"),
    [((10, 7, 28), "at least 8x8"), ((10, 28, 28, 2), "channels must be 1 or 3"), ((-1,), ">= 0")],
)
def test_invalid_arguments(args: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_shapes(*args)
