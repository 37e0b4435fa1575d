"""Image folders: one subfolder per class, any format Pillow reads.

Every image is resized (stretched) to the chosen size and converted to grayscale or RGB.
Files that cannot be read are reported in ``Dataset.skipped``, never fatal. When the decoded
images would not fit in ``memory_limit`` bytes, images are decoded on demand instead.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image

from .dataset import Dataset, DataSplit
from .errors import DatasetError, DatasetNotFoundError
from .split import DEFAULT_VAL_FRACTION, split_indices

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
Color = Literal["grayscale", "rgb"]
_MODES: dict[str, str] = {"grayscale": "L", "rgb": "RGB"}
_log = logging.getLogger(__name__)


def decode_image(path: Path, size: tuple[int, int], color: Color) -> np.ndarray:
    """One image as uint8 ``(C, H, W)``; raises ``OSError``/``ValueError`` if unreadable."""
    height, width = size
    mode = _MODES[color]
    with Image.open(path) as opened:
        opened.draft(mode, (width, height))  # JPEG: decode at a reduced scale when much larger
        image: Image.Image = opened
        if image.mode == "P" and "transparency" in image.info:
            image = image.convert("RGBA")
        image = image.convert(mode)
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        array = np.array(image, dtype=np.uint8)  # a writable copy, so torch can share it
    return array[None] if array.ndim == 2 else np.ascontiguousarray(array.transpose(2, 0, 1))


class LazyImageFolder(torch.utils.data.Dataset[torch.Tensor]):
    """Images decoded when indexed; picklable, so DataLoader workers can decode in parallel.

    A file that became unreadable after the scan yields a black image (and a log warning)
    rather than killing a training run.
    """

    def __init__(self, paths: list[Path], size: tuple[int, int], color: Color) -> None:
        self.paths = paths
        self.size = size
        self.color = color

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        return (1 if self.color == "grayscale" else 3, *self.size)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        try:
            return torch.from_numpy(decode_image(self.paths[index], self.size, self.color))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            _log.warning("cannot read %s: %s", self.paths[index], exc)
            return torch.zeros(self.sample_shape, dtype=torch.uint8)


def scan_image_folder(
    root: Path,
) -> tuple[list[Path], list[int], tuple[str, ...], list[tuple[Path, str]]]:
    """Candidate image files with their labels, the class names and the files passed over.

    Classes are the non-hidden subfolders in name order; their subfolders are searched too.
    Hidden files are ignored; other files without an image extension are reported.
    """
    if not root.is_dir():
        raise DatasetNotFoundError(f"image folder {root} not found")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DatasetError(f"{root}: needs at least two class subfolders, found {len(classes)}")
    paths: list[Path] = []
    labels: list[int] = []
    skipped: list[tuple[Path, str]] = []
    for label, name in enumerate(classes):
        for path in sorted((root / name).rglob("*")):
            if path.name.startswith(".") or not path.is_file():
                continue
            if path.suffix.lower() in IMAGE_EXTENSIONS:
                paths.append(path)
                labels.append(label)
            else:
                skipped.append((path, f"not an image file type ({path.suffix or 'no extension'})"))
    return paths, labels, tuple(classes), skipped


def load_image_folder(
    root: Path,
    image_size: tuple[int, int],
    color: Color = "rgb",
    *,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    seed: int = 0,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> Dataset:
    """Load a class-per-subfolder image collection, split with a seeded stratified split."""
    if color not in _MODES:
        raise ValueError(f"color must be 'grayscale' or 'rgb', got {color!r}")
    paths, label_list, class_names, skipped = scan_image_folder(root)
    channels = 1 if color == "grayscale" else 3
    images: np.ndarray | None = None
    if len(paths) * channels * image_size[0] * image_size[1] > memory_limit:
        keep, problems = _check_headers(paths)
    else:
        images, keep, problems = _decode_all(paths, image_size, color)
    skipped += problems
    labels = np.asarray(label_list, dtype=np.int64)[keep]
    if labels.size == 0:
        raise DatasetError(f"{root}: no readable images")
    kept_paths = [paths[i] for i in keep]

    def make_split(index: np.ndarray) -> DataSplit:
        y = torch.from_numpy(labels[index])
        if images is None:
            return DataSplit(LazyImageFolder([kept_paths[i] for i in index], image_size, color), y)
        return DataSplit(torch.from_numpy(images[index]), y)

    train, val = split_indices(labels, val_fraction, seed)
    height, width = image_size
    mode = "decoded on demand" if images is None else "in memory"
    return Dataset(
        train=make_split(train),
        val=make_split(val),
        class_names=class_names,
        source=f"folder {root}: {labels.size} images, {channels}x{height}x{width}, {mode}",
        skipped=skipped,
    )


def _decode_all(
    paths: list[Path], size: tuple[int, int], color: Color
) -> tuple[np.ndarray, np.ndarray, list[tuple[Path, str]]]:
    """Decode in threads (Pillow releases the GIL while decoding and resizing)."""

    def attempt(path: Path) -> np.ndarray | str:
        try:
            return decode_image(path, size, color)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            return str(exc) or type(exc).__name__

    channels = 1 if color == "grayscale" else 3
    images = np.empty((len(paths), channels, *size), np.uint8)
    keep: list[int] = []
    problems: list[tuple[Path, str]] = []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for i, (path, result) in enumerate(zip(paths, pool.map(attempt, paths), strict=True)):
            if isinstance(result, str):
                problems.append((path, result))
            else:
                images[len(keep)] = result
                keep.append(i)
    return images[: len(keep)], np.asarray(keep, dtype=np.int64), problems


def _check_headers(paths: list[Path]) -> tuple[np.ndarray, list[tuple[Path, str]]]:
    """Weed out files Pillow cannot even identify, without decoding pixels."""
    keep: list[int] = []
    problems: list[tuple[Path, str]] = []
    for i, path in enumerate(paths):
        try:
            with Image.open(path):
                keep.append(i)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            problems.append((path, str(exc) or type(exc).__name__))
    return np.asarray(keep, dtype=np.int64), problems
