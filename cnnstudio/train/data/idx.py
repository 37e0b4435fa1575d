"""IDX files (MNIST, Fashion-MNIST, KMNIST), plain or gzipped.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values in C order.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DatasetError, DatasetNotFoundError

_TYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: Path, ndim: int | None = None) -> np.ndarray:
    """The array stored in an IDX file (native byte order, writable).

    Raises :class:`DatasetError` naming the file when its magic number, type code,
    dimensionality (if ``ndim`` is given) or size is wrong.
    """
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetError(f"{path}: not an IDX file (magic number {data[:4].hex() or 'missing'})")
    code, dims = data[2], data[3]
    if code not in _TYPES:
        raise DatasetError(f"{path}: unknown IDX type code 0x{code:02x}")
    if ndim is not None and dims != ndim:
        raise DatasetError(
            f"{path}: expected {ndim}-dimensional IDX data, the header says {dims} "
            f"(magic number {data[:4].hex()})"
        )
    header = 4 + 4 * dims
    if len(data) < header:
        raise DatasetError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{dims}I", data[4:header])
    dtype = np.dtype(_TYPES[code])
    count = math.prod(shape)
    if len(data) - header != count * dtype.itemsize:
        raise DatasetError(
            f"{path}: header announces shape {list(shape)} ({count * dtype.itemsize} bytes) "
            f"but {len(data) - header} bytes of data follow"
        )
    array = np.frombuffer(data, dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: corrupt gzip data ({exc})") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def find_idx_file(folder: Path, stem: str, title: str) -> Path:
    """The file for ``stem`` (e.g. ``train-images-idx3-ubyte``) in the usual layouts.

    Accepts ``.gz`` or not, the ``train-images.idx3-ubyte`` spelling, and torchvision's
    ``raw/`` subfolder.
    """
    for where in (folder, folder / "raw"):
        for name in (stem, stem.replace("-idx", ".idx")):
            for suffix in ("", ".gz"):
                candidate = where / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
    raise DatasetNotFoundError(f"{title} file {stem}[.gz] not found in {folder}")


def load_idx_pair(
    folder: Path, prefix: str, num_classes: int, title: str
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 1, H, W)`` uint8 and int64 labels of the ``train`` or ``t10k`` part."""
    images_path = find_idx_file(folder, f"{prefix}-images-idx3-ubyte", title)
    labels_path = find_idx_file(folder, f"{prefix}-labels-idx1-ubyte", title)
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise DatasetError(
            f"{images_path if images.dtype != np.uint8 else labels_path}: expected unsigned "
            f"bytes (type code 0x08)"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels"
        )
    if labels.size and labels.max() >= num_classes:
        raise DatasetError(
            f"{labels_path}: label {labels.max()} out of range for {num_classes} classes"
        )
    return images[:, None], labels.astype(np.int64)
