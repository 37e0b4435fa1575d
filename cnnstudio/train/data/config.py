"""Loading what the project file's ``dataset`` section names (its checks: ``section.py``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .augment import AugmentOptions
from .catalog import STANDARD_DATASETS
from .dataset import Dataset
from .download import CancelCheck, ProgressCallback, default_cache_dir, download_dataset
from .errors import DatasetError, DatasetNotFoundError
from .folder import Color, load_image_folder
from .npz import load_npz
from .section import DEFAULT_NUM_SAMPLES, SHAPE_SOURCES, validate_dataset_config
from .shapes import MIN_SIZE, load_shapes
from .standard import load_standard_dataset


def dataset_from_config(
    cfg: Mapping[str, Any] | None,
    input_shape: Sequence[int],
    base_dir: Path | str | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    check_shape: bool = True,
) -> Dataset:
    """Load the dataset a project's ``dataset`` section names, checked against its Input node.

    ``cfg=None`` means the built-in shapes at the Input node's shape (1 channel grayscale,
    3 channels colour). Relative paths are resolved against ``base_dir`` (the project
    file's folder). ``progress``/``cancel`` are handed to a download, if one is needed.
    ``check_shape=False`` returns data whose samples differ from ``input_shape`` instead of
    raising, so the editor can show them and offer to fix the Input node.
    """
    shape = tuple(input_shape)
    if cfg is None:
        channels, height, width = _image_input(shape, "the built-in shapes dataset")
        dataset = load_shapes(DEFAULT_NUM_SAMPLES, height, width, channels)
        return _checked(dataset, shape, "shapes") if check_shape else dataset
    conf = validate_dataset_config(cfg)
    source: str = conf["source"]
    if source in SHAPE_SOURCES:
        dataset = _load_shapes(conf, shape)
    elif source in STANDARD_DATASETS:
        dataset = _load_standard(conf, base_dir, progress, cancel)
    elif source == "folder":
        dataset = _load_folder(conf, shape, base_dir)
    else:
        path = _resolve(conf["path"], base_dir)
        dataset = load_npz(path, val_fraction=conf["val_fraction"], seed=conf["seed"])
    dataset = dataclasses.replace(dataset, augment=AugmentOptions(**conf["augment"]))
    return _checked(dataset, shape, source) if check_shape else dataset


def _load_shapes(conf: dict[str, Any], shape: tuple[int, ...]) -> Dataset:
    source = conf["source"]
    size = conf.get("image_size") or _image_input(shape, f"source {source!r}")[1:]
    if min(size) < MIN_SIZE:
        raise DatasetError(
            f"dataset.image_size: shapes need at least {MIN_SIZE}x{MIN_SIZE}, got {list(size)}"
        )
    return load_shapes(
        conf["num_samples"],
        size[0],
        size[1],
        1 if source == "shapes" else 3,
        seed=conf["seed"],
        val_fraction=conf["val_fraction"],
    )


def _load_standard(
    conf: dict[str, Any],
    base_dir: Path | str | None,
    progress: ProgressCallback | None,
    cancel: CancelCheck | None,
) -> Dataset:
    """Load from disk; download first only if the files are missing and that is allowed."""
    name = conf["source"]
    folder = _resolve(conf["path"], base_dir) if conf["path"] else default_cache_dir() / name
    options = {"val_fraction": conf["val_fraction"], "seed": conf["seed"]}
    try:
        return load_standard_dataset(name, folder, **options)
    except DatasetNotFoundError as exc:
        if not conf["download"]:
            raise DatasetNotFoundError(
                f"{exc}; tick “Download when missing” in the Data tab "
                "(dataset.download: true in the project file) to fetch it"
            ) from exc
    download_dataset(name, folder, progress=progress, cancel=cancel)
    return load_standard_dataset(name, folder, **options)


def _load_folder(
    conf: dict[str, Any], shape: tuple[int, ...], base_dir: Path | str | None
) -> Dataset:
    """Image size and colour default to the Input node's, so images fit the network."""
    size: list[int] | None = conf.get("image_size")
    color: Color | None = conf.get("color")
    if size is None or color is None:
        channels, height, width = _image_input(shape, "an image folder without image_size/color")
        size = size or [height, width]
        color = color or ("grayscale" if channels == 1 else "rgb")
    return load_image_folder(
        _resolve(conf["path"], base_dir),
        (size[0], size[1]),
        color,
        val_fraction=conf["val_fraction"],
        seed=conf["seed"],
    )


def _image_input(shape: tuple[int, ...], what: str) -> tuple[int, int, int]:
    if len(shape) != 3 or shape[0] not in (1, 3) or min(shape[1:]) < MIN_SIZE:
        raise DatasetError(
            f"{what} needs an image Input shape [1 or 3, height, width] with height and width "
            f">= {MIN_SIZE}, got {list(shape)}"
        )
    return shape[0], shape[1], shape[2]


def _checked(dataset: Dataset, shape: tuple[int, ...], source: str) -> Dataset:
    if dataset.sample_shape != shape:
        hint = ""
        if source in SHAPE_SOURCES and dataset.sample_shape[1:] == shape[1:]:
            hint = f"; use source {'shapes-rgb' if source == 'shapes' else 'shapes'!r} instead"
        raise DatasetError(
            f"Input shape {list(shape)} does not match the dataset's samples "
            f"{list(dataset.sample_shape)} ({source}){hint}"
        )
    return dataset


def _resolve(path: str, base_dir: Path | str | None) -> Path:
    resolved = Path(path).expanduser()
    if not resolved.is_absolute() and base_dir is not None:
        resolved = Path(base_dir) / resolved
    return resolved
