"""Fixtures for the dataset tests: small files in the real formats, a loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from dataset_files import CifarSet, IdxSet, LoopbackServer, make_cifar


@pytest.fixture
def idx_set() -> IdxSet:
    """A small MNIST-like set: 60 training and 20 test images of 28x28, 10 classes."""
    rng = np.random.default_rng(7)
    return IdxSet(
        x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        y_train=(np.arange(60) % 10).astype(np.uint8),
        x_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 20).astype(np.uint8),
    )


@pytest.fixture
def cifar10_set() -> CifarSet:
    names = (*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin")
    return make_cifar(names, 10, coarse=False, seed=3)


@pytest.fixture
def cifar100_set() -> CifarSet:
    return make_cifar(("train.bin", "test.bin"), 100, coarse=True, seed=4)


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
