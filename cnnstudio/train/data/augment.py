"""Batch-wise data augmentation on float tensors, on whatever device the batch lives.

All random draws are a handful of numbers per image, made on the generator's device and then
moved to the batch's, so one CPU ``torch.Generator`` makes training reproducible on CPU and
GPU alike; the pixel work is a few vectorised tensor ops per batch.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F


@dataclasses.dataclass(frozen=True)
class AugmentOptions:
    """Which augmentations to apply; each one is off unless asked for.

    ``crop_padding`` pads by that many zero pixels and crops a random window of the original
    size (a random shift of up to that many pixels). ``affine`` rotates, shifts and scales
    each image by random amounts within the ``max_*``/``scale_range`` bounds.
    """

    crop_padding: int = 0
    hflip: bool = False
    affine: bool = False
    max_rotation_deg: float = 15.0
    max_translate: float = 0.1
    scale_range: tuple[float, float] = (0.9, 1.1)

    def __post_init__(self) -> None:
        if self.crop_padding < 0:
            raise ValueError(f"crop_padding must be >= 0, got {self.crop_padding}")

    @property
    def enabled(self) -> bool:
        return self.crop_padding > 0 or self.hflip or self.affine


def augment_batch(
    x: torch.Tensor, options: AugmentOptions, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A randomly augmented copy of a float ``(N, C, H, W)`` batch (same shape and device)."""
    if not x.is_floating_point():
        raise TypeError(f"augment float batches (convert uint8 first), got {x.dtype}")
    if options.crop_padding > 0:
        x = _random_crop(x, options.crop_padding, generator)
    if options.hflip:
        flip = _rand(x.shape[0], generator, x.device) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    if options.affine:
        x = _random_affine(x, options, generator)
    return x


def _rand(n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """``n`` uniform draws in [0, 1), made where the generator lives, returned on ``device``."""
    return torch.rand(n, generator=generator, device=_home(generator)).to(device)


def _home(generator: torch.Generator | None) -> torch.device:
    return generator.device if generator is not None else torch.device("cpu")


def _random_crop(x: torch.Tensor, pad: int, generator: torch.Generator | None) -> torch.Tensor:
    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    span = 2 * pad + 1
    draws = torch.randint(0, span, (2, n), generator=generator, device=_home(generator))
    top, left = draws.to(x.device)
    rows = top[:, None] + torch.arange(h, device=x.device)
    cols = left[:, None] + torch.arange(w, device=x.device)
    x = padded.gather(2, rows[:, None, :, None].expand(n, c, h, w + 2 * pad))
    return x.gather(3, cols[:, None, None, :].expand(n, c, h, w))


def _random_affine(
    x: torch.Tensor, options: AugmentOptions, generator: torch.Generator | None
) -> torch.Tensor:
    n, _, h, w = x.shape

    def between(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * _rand(n, generator, x.device).to(x.dtype)

    angle = between(-options.max_rotation_deg, options.max_rotation_deg) * (math.pi / 180)
    scale = between(*options.scale_range)
    shift_x = between(-options.max_translate, options.max_translate) * 2
    shift_y = between(-options.max_translate, options.max_translate) * 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # affine_grid maps output to input coordinates normalised to [-1, 1] per axis; the
    # aspect factors keep the rotation rigid on non-square images.
    theta = torch.stack(
        (
            torch.stack((cos, -sin * (h / w), shift_x), dim=1),
            torch.stack((sin * (w / h), cos, shift_y), dim=1),
        ),
        dim=1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
