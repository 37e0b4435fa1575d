"""NumPy ``.npz`` archives: ``x`` and ``y``, optionally ``class_names``, ``x_val``, ``y_val``.

Loaded with ``allow_pickle=False``: object arrays (which need pickle) are rejected.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .dataset import Dataset, DataSplit
from .errors import DatasetError, DatasetNotFoundError
from .split import DEFAULT_VAL_FRACTION, split_arrays


def load_npz(path: Path, *, val_fraction: float | None = None, seed: int = 0) -> Dataset:
    """Load an archive; its own ``x_val``/``y_val`` serve as validation unless ``val_fraction``
    is given (then ``x``/``y`` are split and ``x_val``/``y_val`` ignored)."""
    if not path.is_file():
        raise DatasetNotFoundError(f"NumPy file {path} not found")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DatasetError(f"{path}: holds a single array; expected an .npz with 'x' and 'y'")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: cannot read as .npz ({exc})") from exc
    for key in ("x", "y"):
        if key not in arrays:
            raise DatasetError(
                f"{path}: missing array {key!r} (found {', '.join(arrays) or 'none'})"
            )
    if ("x_val" in arrays) != ("y_val" in arrays):
        raise DatasetError(f"{path}: 'x_val' and 'y_val' must come together")
    x, y = _images(path, "x", arrays["x"]), _labels(path, "y", arrays["y"], len(arrays["x"]))
    has_val = "x_val" in arrays and val_fraction is None
    if has_val:
        x_val = _images(path, "x_val", arrays["x_val"])
        y_val = _labels(path, "y_val", arrays["y_val"], len(x_val))
        if x_val.shape[1:] != x.shape[1:]:
            raise DatasetError(
                f"{path}: 'x_val' samples {list(x_val.shape[1:])} differ from 'x' samples "
                f"{list(x.shape[1:])}"
            )
    else:
        fraction = DEFAULT_VAL_FRACTION if val_fraction is None else val_fraction
        x, y, x_val, y_val = split_arrays(x, y, fraction, seed)
    class_names = _class_names(path, arrays.get("class_names"), max(_top(y), _top(y_val)) + 1)
    c, h, w = x.shape[1:]
    split = "own validation arrays" if has_val else "split from x"
    return Dataset(
        train=DataSplit.from_numpy(x, y),
        val=DataSplit.from_numpy(x_val, y_val),
        class_names=class_names,
        source=f"npz {path}: {len(x)} train / {len(x_val)} val ({split}), {c}x{h}x{w} {x.dtype}",
    )


def _images(path: Path, key: str, x: np.ndarray) -> np.ndarray:
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise DatasetError(
            f"{path}: {key!r} must be (N, C, H, W) or (N, H, W), got {list(x.shape)}"
        )
    if x.dtype == np.uint8 or np.issubdtype(x.dtype, np.floating):
        return x
    if x.dtype == np.bool_:
        return x.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DatasetError(f"{path}: {key!r} integer values must lie in 0..255")
        return x.astype(np.uint8)
    raise DatasetError(f"{path}: {key!r} has unsupported dtype {x.dtype}")


def _labels(path: Path, key: str, y: np.ndarray, count: int) -> np.ndarray:
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(
            f"{path}: {key!r} must be a 1-D integer array, got {y.dtype} {list(y.shape)}"
        )
    if len(y) != count:
        raise DatasetError(f"{path}: {count} images but {len(y)} labels in {key!r}")
    if y.size and y.min() < 0:
        raise DatasetError(f"{path}: {key!r} holds negative labels")
    return y.astype(np.int64)


def _top(y: np.ndarray) -> int:
    return int(y.max()) if y.size else -1


def _class_names(path: Path, names: np.ndarray | None, needed: int) -> tuple[str, ...]:
    if names is None:
        return tuple(str(i) for i in range(needed))
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise DatasetError(f"{path}: 'class_names' must be a 1-D string array")
    if len(names) < needed:
        raise DatasetError(f"{path}: {len(names)} class names but labels go up to {needed - 1}")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist())
