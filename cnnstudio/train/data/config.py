"""The project file's ``dataset`` section: validation, defaults, and loading what it names."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .augment import AugmentOptions
from .catalog import STANDARD_DATASETS
from .dataset import Dataset
from .download import CancelCheck, ProgressCallback, default_cache_dir, download_dataset
from .errors import DatasetError, DatasetNotFoundError
from .folder import Color, load_image_folder
from .npz import load_npz
from .shapes import MIN_SIZE, SHAPE_CLASSES, load_shapes
from .split import DEFAULT_VAL_FRACTION
from .standard import load_standard_dataset

SOURCES: tuple[str, ...] = ("shapes", "shapes-rgb", *STANDARD_DATASETS, "folder", "npz")
DEFAULT_NUM_SAMPLES = 12000
MAX_NUM_SAMPLES = 1_000_000
_SHAPES = ("shapes", "shapes-rgb")
_NEEDS_PATH = ("folder", "npz")
_COLORS = ("grayscale", "rgb")
_AUGMENT_DEFAULTS: dict[str, Any] = {"crop_padding": 0, "hflip": False, "affine": False}


def validate_dataset_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """A checked copy of a ``dataset`` section with the defaults its source uses filled in.

    Fields that do not apply to the chosen source are kept (once checked), so switching
    sources back and forth in the GUI loses nothing. Raises :class:`DatasetError` with a
    JSON-path-like message, e.g. ``dataset.val_fraction: must be between 0 and 1, got 1.5``.
    """
    if not isinstance(cfg, Mapping):
        raise DatasetError(f"dataset: must be an object, got {type(cfg).__name__}")
    for key in cfg:
        if key not in _CHECKS:
            raise DatasetError(f"dataset.{key}: unknown field (known: {', '.join(_CHECKS)})")
    if "source" not in cfg:
        raise DatasetError(f"dataset.source: required, one of {', '.join(SOURCES)}")
    out = {key: _CHECKS[key](f"dataset.{key}", value) for key, value in cfg.items()}
    source = out["source"]
    out.setdefault("seed", 0)
    out.setdefault("augment", dict(_AUGMENT_DEFAULTS))
    if source in _SHAPES:
        out.setdefault("num_samples", DEFAULT_NUM_SAMPLES)
    if source in _SHAPES or source == "folder":
        if out.get("val_fraction") is None:  # these have no split of their own
            out["val_fraction"] = DEFAULT_VAL_FRACTION
    else:
        out.setdefault("val_fraction", None)  # the dataset's own validation/test split
    if source in STANDARD_DATASETS:
        out.setdefault("download", False)
        out.setdefault("path", None)
    if source in _NEEDS_PATH and out.get("path") is None:
        raise DatasetError(f"dataset.path: required for source {source!r}")
    return out


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
    if source in _SHAPES:
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


def dataset_name(cfg: Mapping[str, Any] | None) -> str:
    """What messages call the dataset: its source, or the folder or file it is read from."""
    if cfg is None:
        return "shapes"
    source = str(cfg.get("source", ""))
    path = cfg.get("path")
    if source in _NEEDS_PATH and isinstance(path, str) and path.strip():
        return Path(path).name or source
    return source


def declared_classes(cfg: Mapping[str, Any] | None) -> int | None:
    """The number of classes a ``dataset`` section fixes without loading any data.

    None where only the data can tell (an image folder, an npz file) or the section is invalid.
    """
    source = "shapes" if cfg is None else cfg.get("source")
    if source in _SHAPES:
        return len(SHAPE_CLASSES)
    if isinstance(source, str) and source in STANDARD_DATASETS:
        return len(STANDARD_DATASETS[source].class_names)
    return None


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
        if source in _SHAPES and dataset.sample_shape[1:] == shape[1:]:
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


def _check_source(where: str, value: Any) -> str:
    if value not in SOURCES:
        raise DatasetError(f"{where}: must be one of {', '.join(SOURCES)}, got {value!r}")
    return str(value)


def _check_path(where: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise DatasetError(f"{where}: must be a non-empty string, got {value!r}")
    return value


def _check_bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DatasetError(f"{where}: must be true or false, got {value!r}")
    return value


def _check_int(where: str, value: Any, low: int, high: int | None = None) -> int:
    in_range = isinstance(value, int) and value >= low and (high is None or value <= high)
    if isinstance(value, bool) or not in_range:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise DatasetError(f"{where}: must be an integer {bound}, got {value!r}")
    return int(value)


def _check_val_fraction(where: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise DatasetError(f"{where}: must be between 0 and 1, got {value!r}")
    return float(value)


def _check_image_size(where: str, value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise DatasetError(f"{where}: must be [height, width], got {value!r}")
    return [_check_int(f"{where}[{i}]", v, 1) for i, v in enumerate(value)]


def _check_color(where: str, value: Any) -> str | None:
    if value is None:
        return None
    if value not in _COLORS:
        raise DatasetError(f"{where}: must be 'grayscale' or 'rgb', got {value!r}")
    return str(value)


def _check_augment(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise DatasetError(f"{where}: must be an object, got {value!r}")
    out = dict(_AUGMENT_DEFAULTS)
    for key, item in value.items():
        if key == "crop_padding":
            out[key] = _check_int(f"{where}.{key}", item, 0, 64)
        elif key in ("hflip", "affine"):
            out[key] = _check_bool(f"{where}.{key}", item)
        else:
            raise DatasetError(
                f"{where}.{key}: unknown field (known: {', '.join(_AUGMENT_DEFAULTS)})"
            )
    return out


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "source": _check_source,
    "path": _check_path,
    "download": _check_bool,
    "num_samples": lambda where, v: _check_int(where, v, len(SHAPE_CLASSES), MAX_NUM_SAMPLES),
    "seed": lambda where, v: _check_int(where, v, 0),
    "val_fraction": _check_val_fraction,
    "image_size": _check_image_size,
    "color": _check_color,
    "augment": _check_augment,
}
