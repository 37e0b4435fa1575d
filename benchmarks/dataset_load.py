"""How long does the user wait for data before training starts?

* the built-in shapes dataset: generating 12,000 images of 1x28x28 (target: at most 2 s,
  since it is generated afresh for every run);
* an MNIST-format dataset: loading gzipped IDX files of 60,000 training and 10,000 test
  images. The files are synthetic (figures on a black background, so they compress about
  like MNIST) and written to a temporary folder first.

Prints the median of 5 runs of each.

Run: ``python benchmarks/dataset_load.py``
"""

from __future__ import annotations

import gzip
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnnstudio.train.data import generate_shapes, load_standard_dataset

RUNS = 5
SHAPES_TARGET_S = 2.0


def median_s(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _idx(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.tobytes()


def write_mnist_like(folder: Path) -> int:
    """Write the four MNIST files; return the size of the gzipped training images."""
    for prefix, count in (("train", 60000), ("t10k", 10000)):
        x, y = generate_shapes(count, seed=1 if prefix == "train" else 2)
        images = np.where(x[:, 0] > 110, x[:, 0], 0).astype(np.uint8)  # MNIST-like black
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(_idx(y.astype(np.uint8)))
        )
    return (folder / "train-images-idx3-ubyte.gz").stat().st_size


def main() -> int:
    print(f"median of {RUNS} runs")
    shapes = median_s(lambda: generate_shapes(12000))
    verdict = "within" if shapes <= SHAPES_TARGET_S else "OVER"
    print(f"shapes, 12,000 x 1x28x28: {shapes:.3f} s ({verdict} the {SHAPES_TARGET_S:g} s target)")
    print(
        f"shapes-rgb, 12,000 x 3x32x32: {median_s(lambda: generate_shapes(12000, 32, 32, 3)):.3f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        size = write_mnist_like(folder)
        load = median_s(lambda: load_standard_dataset("mnist", folder))
        print(
            f"MNIST-format IDX (.gz, train images {size / 1e6:.1f} MB), "
            f"60,000 train + 10,000 test: {load:.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
