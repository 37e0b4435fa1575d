"""Files in the real dataset formats, and a loopback HTTP server that serves them."""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import struct
from pathlib import Path

import numpy as np

IDX_TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes (big-endian dims, data in the file's own byte order)."""
    header = struct.pack(">BBBB", 0, 0, IDX_TYPE_CODES[array.dtype], array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def cifar_bytes(images: np.ndarray, *labels: np.ndarray) -> bytes:
    """Binary CIFAR records: the label bytes (coarse then fine for CIFAR-100), then pixels."""
    columns = [label.astype(np.uint8)[:, None] for label in labels]
    return np.hstack([*columns, images.reshape(len(images), -1)]).tobytes()


@dataclasses.dataclass
class IdxSet:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def files(self) -> dict[str, bytes]:
        """Gzipped IDX files under their standard names."""
        return {
            f"{name}.gz": gzip.compress(idx_bytes(array), compresslevel=1)
            for name, array in (
                ("train-images-idx3-ubyte", self.x_train),
                ("train-labels-idx1-ubyte", self.y_train),
                ("t10k-images-idx3-ubyte", self.x_test),
                ("t10k-labels-idx1-ubyte", self.y_test),
            )
        }

    def write(self, folder: Path, gz: bool = True) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files().items():
            if gz:
                (folder / name).write_bytes(data)
            else:
                (folder / name.removesuffix(".gz")).write_bytes(gzip.decompress(data))
        return folder


@dataclasses.dataclass
class CifarSet:
    images: list[np.ndarray]  # one (N, 3, 32, 32) array per file
    labels: list[np.ndarray]  # fine labels for CIFAR-100
    coarse: list[np.ndarray] | None
    names: tuple[str, ...]

    def files(self) -> dict[str, bytes]:
        out = {}
        for i, name in enumerate(self.names):
            label_columns = (
                (self.labels[i],) if self.coarse is None else (self.coarse[i], self.labels[i])
            )
            out[name] = cifar_bytes(self.images[i], *label_columns)
        return out

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files().items():
            (folder / name).write_bytes(data)
        return folder


def make_cifar(names: tuple[str, ...], classes: int, coarse: bool, seed: int) -> CifarSet:
    rng = np.random.default_rng(seed)
    count = 12
    images = [rng.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8) for _ in names]
    labels = [rng.integers(0, classes, count) for _ in names]
    return CifarSet(
        images, labels, [rng.integers(0, 20, count) for _ in names] if coarse else None, names
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    """``GET /<mode>/<name>`` serves ``files[name]``; the mode says how to misbehave.

    good: honours ``Range``; norange: ignores it; bad: flips the last byte; drop: announces
    the whole file but closes the connection halfway; anything else: 404.
    """

    server: LoopbackServer

    def do_GET(self) -> None:
        _, mode, name = self.path.split("/", 2)
        self.server.requests.append((mode, name, self.headers.get("Range")))
        data = self.server.files.get(name)
        if data is None or mode not in ("good", "norange", "bad", "drop"):
            self.send_error(404)
            return
        if mode == "bad":
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start = 0
        wanted = self.headers.get("Range")
        if mode == "good" and wanted and wanted.startswith("bytes="):
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        self.wfile.write(body[: len(body) // 2] if mode == "drop" else body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class LoopbackServer(http.server.HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, str | None]] = []

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{mode}/"
