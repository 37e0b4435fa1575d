"""Procedural geometric figures: the built-in dataset, available offline and at any image size.

Each figure is a signed distance function (SDF) evaluated for a whole chunk of images at
once; a pixel's coverage is ``clip(0.5 - d, 0, 1)`` with ``d`` the distance to the edge in
pixels: an area-coverage estimate that anti-aliases edges without supersampling.
Position, size, rotation, stroke, contrast, a lighting gradient, clutter strokes and noise
all vary, so a classifier has to be translation-tolerant: a small CNN learns the task, a
plain MLP of similar size clearly lags behind.
"""

# numpy's ufunc stubs return Any, which would flag every distance function below.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from .split import DEFAULT_VAL_FRACTION, split_arrays

if TYPE_CHECKING:
    from .dataset import Dataset

SHAPE_CLASSES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "cross",
    "star",
    "ring",
    "ellipse",
    "diamond",
    "horizontal bars",
    "vertical bars",
)
(CIRCLE, SQUARE, TRIANGLE, CROSS, STAR, RING, ELLIPSE, DIAMOND, HBARS, VBARS) = range(10)
_OUTLINABLE = (SQUARE, TRIANGLE, STAR, ELLIPSE, DIAMOND)
# Classes told apart by orientation (bars, square vs diamond) only rotate a little.
_TILT = {SQUARE: 0.4, DIAMOND: 0.3, HBARS: 0.3, VBARS: 0.3}

MIN_SIZE = 8
_CHUNK = 1024  # images rendered together; fixed so the output never depends on memory
_MAX_CLUTTER = 2
_F = np.float32
_Arr = np.ndarray


@dataclasses.dataclass(frozen=True)
class _Params:
    """Per-image random parameters; every field is a float32 array of length N."""

    cx: _Arr
    cy: _Arr
    size: _Arr  # half extent of the figure, pixels
    angle: _Arr
    aspect: _Arr
    stroke: _Arr  # outline width in pixels, or 0 for a filled figure
    k1: _Arr  # class-specific shape parameters in [0, 1)
    k2: _Arr

    def take(self, index: _Arr | slice) -> _Params:
        return _Params(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})


def generate_shapes(
    num_samples: int,
    height: int = 28,
    width: int = 28,
    channels: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``num_samples`` figures as uint8 ``(N, C, H, W)`` plus int64 labels.

    Classes are balanced (counts differ by at most one) and the output is a pure function of
    the arguments. ``channels`` 1 gives grey figures on a dark background, 3 random colours.
    """
    if num_samples < 0:
        raise ValueError(f"num_samples must be >= 0, got {num_samples}")
    if height < MIN_SIZE or width < MIN_SIZE:
        raise ValueError(f"images must be at least {MIN_SIZE}x{MIN_SIZE}, got {height}x{width}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    rng = np.random.default_rng(seed)
    n = num_samples
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES))
    params = _draw_geometry(rng, labels, height, width)
    fg, bg = _draw_colours(rng, n, channels)
    out = np.empty((n, channels, height, width), np.uint8)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        cov = _render_figures(labels[sl], params.take(sl), height, width)
        _add_clutter(rng, cov)
        out[sl] = _compose(rng, cov, fg[sl], bg[sl])
    return out, labels.astype(np.int64)


def load_shapes(
    num_samples: int = 12000,
    height: int = 28,
    width: int = 28,
    channels: int = 1,
    *,
    seed: int = 0,
    val_fraction: float = DEFAULT_VAL_FRACTION,
) -> Dataset:
    """Generate the shapes dataset and split it (stratified, same seed)."""
    from .dataset import Dataset, DataSplit  # torch: the rest of this module is torch-free

    x, y = generate_shapes(num_samples, height, width, channels, seed)
    x_train, y_train, x_val, y_val = split_arrays(x, y, val_fraction, seed)
    name = "shapes" if channels == 1 else "shapes-rgb"
    return Dataset(
        train=DataSplit.from_numpy(x_train, y_train),
        val=DataSplit.from_numpy(x_val, y_val),
        class_names=SHAPE_CLASSES,
        source=(
            f"{name}: {num_samples} generated {channels}x{height}x{width} images (seed {seed}), "
            f"{len(y_train)} train / {len(y_val)} val"
        ),
    )


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> _Arr:
    return rng.uniform(low, high, n).astype(_F)


def _draw_geometry(rng: np.random.Generator, labels: _Arr, height: int, width: int) -> _Params:
    n = labels.shape[0]
    unit = min(height, width)
    size = _uniform(rng, 0.25, 0.42, n) * unit
    margin = 0.85 * size
    cx = margin + _uniform(rng, 0.0, 1.0, n) * (width - 2 * margin)
    cy = margin + _uniform(rng, 0.0, 1.0, n) * (height - 2 * margin)
    angle = _uniform(rng, 0.0, 2 * math.pi, n)
    tilt = _uniform(rng, -1.0, 1.0, n)
    for cls, max_tilt in _TILT.items():
        mask = labels == cls
        angle[mask] = tilt[mask] * max_tilt + (math.pi / 2 if cls == VBARS else 0.0)
    stroke = np.maximum(_uniform(rng, 1.0, 2.2, n) * unit / 28, 1.0).astype(_F)
    outline = np.isin(labels, _OUTLINABLE) & (rng.random(n) < 0.5)
    return _Params(
        cx=cx,
        cy=cy,
        size=size,
        angle=angle,
        aspect=_uniform(rng, 0.4, 0.7, n),
        stroke=np.where(outline, stroke, 0).astype(_F),
        k1=_uniform(rng, 0.0, 1.0, n),
        k2=_uniform(rng, 0.0, 1.0, n),
    )


def _draw_colours(rng: np.random.Generator, n: int, channels: int) -> tuple[_Arr, _Arr]:
    """Foreground and background per image and channel, always at least 0.2 apart."""
    if channels == 1:
        bg = _uniform(rng, 0.0, 0.35, n)[:, None]
        return bg + _uniform(rng, 0.4, 0.65, n)[:, None], bg
    low = rng.uniform(0.0, 0.4, (n, channels)).astype(_F)
    high = rng.uniform(0.6, 1.0, (n, channels)).astype(_F)
    light_figure = rng.random((n, channels)) < 0.5
    return np.where(light_figure, high, low), np.where(light_figure, low, high)


def _grid(height: int, width: int) -> tuple[_Arr, _Arr]:
    """Pixel-centre coordinates shaped to broadcast against ``(n, 1, 1)`` parameters."""
    ys = (np.arange(height, dtype=_F) + 0.5)[None, :, None]
    xs = (np.arange(width, dtype=_F) + 0.5)[None, None, :]
    return ys, xs


def _col(a: _Arr) -> _Arr:
    return a[:, None, None]


def _local(p: _Params, height: int, width: int) -> tuple[_Arr, _Arr]:
    """Pixel coordinates in each figure's own frame (centred, unrotated)."""
    ys, xs = _grid(height, width)
    cos, sin = _col(np.cos(p.angle)), _col(np.sin(p.angle))
    dx, dy = xs - _col(p.cx), ys - _col(p.cy)
    return cos * dx + sin * dy, cos * dy - sin * dx


def _render_figures(labels: _Arr, p: _Params, height: int, width: int) -> _Arr:
    cov = np.empty((labels.shape[0], height, width), _F)
    for cls, sdf in enumerate(_SDFS):
        index = np.flatnonzero(labels == cls)
        if index.size == 0:
            continue
        q = p.take(index)
        u, v = _local(q, height, width)
        d = sdf(u, v, q)
        stroke = _col(q.stroke)
        if cls in _OUTLINABLE:
            d = np.where(stroke > 0, np.abs(d) - stroke / 2, d)
        cov[index] = np.clip(0.5 - d, 0.0, 1.0)
    return cov


def _add_clutter(rng: np.random.Generator, cov: _Arr) -> None:
    """Draw short faint strokes into ``cov``: none on the first third of the chunk, one on
    the second, two on the last (labels are shuffled, so this is independent of class).
    They defeat pixel-template matching."""
    n, height, width = cov.shape
    unit = min(height, width)
    for slot in range(_MAX_CLUTTER):
        target = cov[n * (slot + 1) // (_MAX_CLUTTER + 1) :]
        m = target.shape[0]
        p = _Params(
            cx=_uniform(rng, 0.0, width, m),
            cy=_uniform(rng, 0.0, height, m),
            size=_uniform(rng, 0.08, 0.18, m) * unit,
            angle=_uniform(rng, 0.0, math.pi, m),
            aspect=np.zeros(m, _F),
            stroke=_uniform(rng, 0.8, 1.4, m),
            k1=np.zeros(m, _F),
            k2=np.zeros(m, _F),
        )
        u, v = _local(p, height, width)
        d = _length(np.maximum(np.abs(u) - _col(p.size), 0), v) - _col(p.stroke) / 2
        stroke = np.clip(0.5 - d, 0.0, 1.0)
        stroke *= _col(_uniform(rng, 0.4, 0.9, m))
        np.maximum(target, stroke, out=target)


def _compose(rng: np.random.Generator, cov: _Arr, fg: _Arr, bg: _Arr) -> _Arr:
    """Blend colours by coverage, add a lighting gradient and sensor noise, quantise.

    Works in place on 0..255 values: the noise and the blend are the bulk of the cost.
    """
    n, height, width = cov.shape
    ys, xs = _grid(height, width)
    phi = _col(_uniform(rng, 0.0, 2 * math.pi, n))
    amp = _col(_uniform(rng, 0.0, 0.25 * 255, n)) / min(height, width)
    light = amp * ((xs - width / 2) * np.cos(phi) + (ys - height / 2) * np.sin(phi))
    fg4, bg4 = fg[:, :, None, None] * 255, bg[:, :, None, None] * 255
    img = cov[:, None] * (fg4 - bg4)
    img += bg4 + 0.5  # the half rounds to nearest on the cast to uint8
    img += light[:, None]
    noise = rng.random(img.shape, _F)  # uniform: a quarter of the cost of Gaussian noise
    noise -= 0.5
    noise *= _uniform(rng, 0.02 * 255, 0.08 * 255, n)[:, None, None, None] * math.sqrt(12)
    img += noise
    np.clip(img, 0, 255, out=img)
    return img.astype(np.uint8)


# Signed distance functions in pixels: negative inside. ``u`` runs along the figure's own
# x axis, ``v`` along its y axis; formulas after Inigo Quilez's 2D distance functions.


def _length(x: _Arr, y: _Arr) -> _Arr:
    """``hypot`` without its overflow care, several times faster (it vectorises)."""
    return np.sqrt(x * x + y * y)


def _box(u: _Arr, v: _Arr, half_w: _Arr, half_h: _Arr) -> _Arr:
    qx = np.abs(u) - half_w
    qy = np.abs(v) - half_h
    return _length(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0)


def _circle(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    return _length(u, v) - _col(p.size)


def _square(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    half = _col(p.size) * 0.8
    return _box(u, v, half, half)


def _triangle(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    k = math.sqrt(3.0)
    r = _col(p.size) * 0.95  # half the side length
    px = np.abs(u) - r
    py = v + r / k
    fold = px + k * py > 0
    px, py = np.where(fold, (px - k * py) / 2, px), np.where(fold, (-k * px - py) / 2, py)
    px = px - np.clip(px, -2 * r, 0)
    return -_length(px, py) * np.sign(py)


def _cross(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    arm = _col(p.size)
    half_t = np.maximum(arm * (0.15 + 0.13 * _col(p.k1)), 0.7)
    return np.minimum(_box(u, v, arm, half_t), _box(u, v, half_t, arm))


def _star(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    r = _col(p.size)
    inner = 0.38 + 0.12 * _col(p.k1)
    k1x, k1y = 0.809016994375, -0.587785252292
    px, py = np.abs(u), v
    for kx, ky in ((k1x, k1y), (-k1x, k1y)):  # fold the plane into one of ten star sectors
        t = 2 * np.maximum(kx * px + ky * py, 0)
        px, py = px - t * kx, py - t * ky
    px, py = np.abs(px), py - r
    bax, bay = -k1y * inner, k1x * inner - 1
    h = np.clip((px * bax + py * bay) / (bax * bax + bay * bay), 0, r)
    return _length(px - bax * h, py - bay * h) * np.sign(py * bax - px * bay)


def _ring(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    r = _col(p.size)
    half_w = np.maximum(r * (0.08 + 0.17 * _col(p.k1)), 0.6)
    return np.abs(_length(u, v) - r) - half_w


def _ellipse(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    a = _col(p.size)
    b = a * _col(p.aspect)
    k0 = _length(u / a, v / b)
    k1 = _length(u / (a * a), v / (b * b))
    return k0 * (k0 - 1) / np.maximum(k1, 1e-6)


def _diamond(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    by = _col(p.size)
    bx = by * _col(p.aspect)
    px, py = np.abs(u), np.abs(v)
    h = np.clip(((bx - 2 * px) * bx - (by - 2 * py) * by) / (bx * bx + by * by), -1, 1)
    d = _length(px - 0.5 * bx * (1 - h), py - 0.5 * by * (1 + h))
    return d * np.sign(px * by + py * bx - bx * by)


def _bars(u: _Arr, v: _Arr, p: _Params) -> _Arr:
    """Two to four parallel bars stacked along ``v``; distance to the nearest one."""
    half_len = _col(p.size)
    count = np.floor(2 + 3 * _col(p.k1))
    period = 1.8 * half_len / count
    half_t = np.maximum(period * (0.22 + 0.12 * _col(p.k2)), 0.55)
    offset = (count - 1) / 2
    nearest = np.clip(np.rint(v / period + offset), 0, count - 1)
    return _box(u, v - (nearest - offset) * period, half_len, half_t)


_SDFS = (
    _circle,
    _square,
    _triangle,
    _cross,
    _star,
    _ring,
    _ellipse,
    _diamond,
    _bars,
    _bars,  # vertical bars are horizontal bars turned by 90 degrees
)
