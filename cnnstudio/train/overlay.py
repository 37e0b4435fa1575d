"""A heat map laid over its image, as the CLI writes it and the editor shows it (numpy only).

One colour map and one blend for both, so ``cnnstudio predict --cam`` writes what the Predict
tab shows. No torch here: the editor draws overlays without importing it.
"""

from __future__ import annotations

import numpy as np

# "Inferno"-like stops (black, purple, red, orange, pale yellow): hot reads as bright, and the
# order survives a grey print or colour-blind eyes better than a rainbow.
_STOPS = np.array(
    [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float32
)
HEAT_TABLE = np.stack(
    [
        np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_STOPS)), _STOPS[:, c])
        for c in range(3)
    ],
    axis=1,
).astype(np.uint8)
DEFAULT_OPACITY = 0.5


def as_rgb(image: np.ndarray) -> np.ndarray:
    """``(H, W)`` grey or ``(H, W, 3)`` uint8 as ``(H, W, 3)``."""
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


def colour_heat(heat: np.ndarray) -> np.ndarray:
    """``(H, W)`` values in [0, 1] as ``(H, W, 3)`` uint8 colours."""
    index = np.clip(np.nan_to_num(heat) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return HEAT_TABLE[index]


def overlay(image: np.ndarray, heat: np.ndarray, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """``image`` (uint8 grey or RGB, ``(H, W[, 3])``) with ``heat`` blended over it.

    The heat map is resized (nearest) when its resolution differs from the image's.
    """
    rgb = as_rgb(image).astype(np.float32)
    h, w = rgb.shape[:2]
    if heat.shape != (h, w):
        rows = np.minimum(np.arange(h) * heat.shape[0] // h, heat.shape[0] - 1)
        cols = np.minimum(np.arange(w) * heat.shape[1] // w, heat.shape[1] - 1)
        heat = heat[rows][:, cols]
    a = float(np.clip(opacity, 0.0, 1.0))
    blended = (1.0 - a) * rgb + a * colour_heat(heat).astype(np.float32)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)
