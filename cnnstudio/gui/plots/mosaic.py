"""Many small maps as one RGB image: one ImageItem update instead of one per map.

Measured offscreen: 32 feature maps as 32 ImageItems cost ~13 ms per update, as one 8-bit mosaic
~2 ms. Normalisation and colouring happen here in numpy; the view only uploads the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_TILES = 256  # more maps than this are cut (the caption says so); nobody reads 512 tiles
_EPS = 1e-12


@dataclass(frozen=True)
class Mosaic:
    """``image`` is ``(H, W, 3)`` uint8; ``count`` tiles of ``tile`` (h, w) in ``rows`` x ``cols``."""

    image: np.ndarray
    count: int
    tile: tuple[int, int]
    rows: int
    cols: int
    gap: int

    def tile_at(self, x: float, y: float) -> int | None:
        """Index of the tile under image pixel (x, y), or None over a gap or outside."""
        h, w = self.tile
        col, dx = divmod(int(x), w + self.gap)
        row, dy = divmod(int(y), h + self.gap)
        if x < 0 or y < 0 or dx >= w or dy >= h or col >= self.cols or row >= self.rows:
            return None
        index = row * self.cols + col
        return index if index < self.count else None


def grid_shape(count: int, tile_h: int, tile_w: int, aspect: float = 1.6) -> tuple[int, int]:
    """Rows and columns whose overall width / height is near ``aspect`` (a landscape panel),
    preferring a grid the tiles fill (16 maps: 4 x 4, not 4 rows of 5 with 4 empty)."""
    if count <= 0:
        return 0, 0
    ideal = math.sqrt(count * aspect * tile_h / max(tile_w, 1))
    candidates = {
        min(max(c, 1), count)
        for c in (math.floor(ideal), math.ceil(ideal), round(ideal) - 1, round(ideal) + 1)
    }

    def cost(cols: int) -> tuple[int, float]:
        rows = -(-count // cols)
        return rows * cols - count, abs(math.log(cols * tile_w / max(rows * tile_h, 1) / aspect))

    cols = min(sorted(candidates), key=cost)
    return -(-count // cols), cols


def scale_unit(maps: np.ndarray, shared: bool) -> np.ndarray:
    """``(N, ...)`` values to [0, 1]: each map by its own range, or all by the common range."""
    # float64: a diverging run's activations reach float32's limits, where their range overflows
    data = np.nan_to_num(np.asarray(maps, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    axes = tuple(range(1, data.ndim))
    if shared:
        low, high = float(data.min(initial=0.0)), float(data.max(initial=0.0))
        return (data - low) / max(high - low, _EPS)
    low = data.min(axis=axes, keepdims=True)
    high = data.max(axis=axes, keepdims=True)
    return (data - low) / np.maximum(high - low, _EPS)


def scale_signed(maps: np.ndarray, shared: bool) -> np.ndarray:
    """Signed values (weights) to [0, 1] with zero at 0.5, so the sign reads as a colour."""
    data = np.nan_to_num(np.asarray(maps, dtype=np.float32))
    axes = tuple(range(1, data.ndim))
    if shared:
        peak = max(float(np.abs(data).max(initial=0.0)), _EPS)
        return 0.5 + 0.5 * data / peak
    peak = np.maximum(np.abs(data).max(axis=axes, keepdims=True), _EPS)
    return 0.5 + 0.5 * data / peak


def colour(unit: np.ndarray, table: np.ndarray) -> np.ndarray:
    """[0, 1] values through a 256 x 3 colour table: ``(..., 3)`` uint8."""
    index = np.clip(unit * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return table[index]


def tile(
    tiles: np.ndarray,
    background: tuple[int, int, int],
    gap: int = 1,
    cols: int | None = None,
) -> Mosaic:
    """``(N, h, w, 3)`` uint8 tiles side by side with ``gap`` pixels of ``background`` between."""
    count = min(len(tiles), MAX_TILES)
    h, w = int(tiles.shape[1]), int(tiles.shape[2])
    if cols is None:
        rows, cols = grid_shape(count, h, w)
    else:
        cols = max(1, min(cols, count))
        rows = -(-count // cols)
    height = rows * h + max(rows - 1, 0) * gap
    width = cols * w + max(cols - 1, 0) * gap
    image = np.empty((max(height, 1), max(width, 1), 3), np.uint8)
    image[:] = background
    for i in range(count):
        r, c = divmod(i, cols)
        y, x = r * (h + gap), c * (w + gap)
        image[y : y + h, x : x + w] = tiles[i]
    return Mosaic(image, count, (h, w), rows, cols, gap)


def feature_mosaic(
    maps: np.ndarray, table: np.ndarray, shared: bool, background: tuple[int, int, int]
) -> Mosaic:
    """Channel activations ``(C, H, W)`` as one coloured mosaic."""
    shown = maps[:MAX_TILES]
    return tile(colour(scale_unit(shown, shared), table), background)


def kernel_mosaic(
    weights: np.ndarray, table: np.ndarray, shared: bool, background: tuple[int, int, int]
) -> Mosaic:
    """Convolution weights ``(out, in, kh, kw)``.

    With 3 input channels the kernels are RGB tiles (what the first layer looks for in colour
    images); otherwise one column per filter (output channel) and one row per input channel.
    """
    out_ch, in_ch = weights.shape[:2]
    if in_ch == 3:
        unit = scale_signed(weights[:MAX_TILES], shared)  # (N, 3, kh, kw)
        rgb = np.clip(unit.transpose(0, 2, 3, 1) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return tile(rgb, background, gap=1)
    outs = max(1, min(out_ch, MAX_TILES // max(in_ch, 1)))
    ins = min(in_ch, MAX_TILES)
    chosen = weights[:outs, :ins]
    # One scale per filter (its kernels compare with each other), or one for the layer.
    unit = scale_signed(chosen, shared)
    by_input = unit.transpose(1, 0, 2, 3).reshape(ins * outs, *weights.shape[2:])
    return tile(colour(by_input, table), background, gap=1, cols=outs)


def strongest_map(maps: np.ndarray) -> np.ndarray:
    """The channel with the largest mean activation: the map that responds most to the sample."""
    data = np.nan_to_num(np.asarray(maps, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    means = data.reshape(len(data), -1).mean(axis=1, dtype=np.float64)
    return data[int(np.argmax(means))]
