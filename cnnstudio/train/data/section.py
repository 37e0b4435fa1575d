"""The project file's ``dataset`` section: its checks, defaults and names, without torch.

The editor's Data tab validates every edit and the analysis learns the class count from here at
start-up, long before any data is loaded (``config.py`` loads what a section names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .catalog import STANDARD_DATASETS
from .errors import DatasetError
from .shapes import SHAPE_CLASSES
from .split import DEFAULT_VAL_FRACTION

SOURCES: tuple[str, ...] = ("shapes", "shapes-rgb", *STANDARD_DATASETS, "folder", "npz")
DEFAULT_NUM_SAMPLES = 12000
MAX_NUM_SAMPLES = 1_000_000
SHAPE_SOURCES = ("shapes", "shapes-rgb")
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
    if source in SHAPE_SOURCES:
        out.setdefault("num_samples", DEFAULT_NUM_SAMPLES)
    if source in SHAPE_SOURCES or source == "folder":
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
    if source in SHAPE_SOURCES:
        return len(SHAPE_CLASSES)
    if isinstance(source, str) and source in STANDARD_DATASETS:
        return len(STANDARD_DATASETS[source].class_names)
    return None


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
