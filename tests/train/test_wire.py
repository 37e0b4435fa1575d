"""Reports cross to the editor as JSON plus raw array bytes, exactly, and nothing else does."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from cnnstudio.train.callbacks import (
    AttributionMap,
    BatchProgress,
    Diagnostics,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingFailure,
    TrainingResult,
)
from cnnstudio.train.wire import (
    WireError,
    decode_command,
    decode_report,
    encode_command,
    encode_report,
)


def _same(a: object, b: object) -> None:
    assert type(a) is type(b)
    for field in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert (x.dtype, x.shape) == (y.dtype, y.shape)
            np.testing.assert_array_equal(x, y)
        elif isinstance(x, dict) and x and isinstance(next(iter(x.values())), np.ndarray):
            assert list(x) == list(y)
            for k in x:
                np.testing.assert_array_equal(x[k], y[k])
                assert x[k].dtype == y[k].dtype
        else:
            assert x == y or (x != x and y != y), field.name  # NaN equals NaN here


REPORTS = [
    RunInfo(
        Path("/runs/r1"),
        "LeNet-5",
        {"training": {"lr": 0.01}, "x": [1, 2]},
        "cpu",
        "fp32",
        2,
        ("circle", "square"),
        (1, 28, 28),
        100,
        20,
        4,
        1,
    ),
    BatchProgress(
        1, 10, 40, 157, 40, np.array([2.3, 2.2, float("nan")], np.float32), 1e-3, 9000.5, 3.5, 40.0
    ),
    EpochMetrics(
        2,
        10,
        0.5,
        0.8,
        0.6,
        0.75,
        np.array([0.5, np.nan]),
        np.array([[3, 1], [0, 4]], np.int64),
        1e-3,
        1.5,
        8000.0,
        True,
    ),
    Features(
        1,
        60,
        60,
        3,
        1,
        {"conv1": np.ones((6, 28, 28), np.float32), "fc3": np.zeros(10)},
        {"conv1": np.arange(150, dtype=np.float32).reshape(6, 1, 5, 5)},
        np.full(10, 0.1, np.float32),
    ),
    AttributionMap(
        4, 12, "gradcam", "conv2", 3, np.eye(28, dtype=np.float32), np.full(10, 0.1, np.float32)
    ),
    Diagnostics(
        3,
        ("conv1", "fc"),
        np.array([0.5, 2.0]),
        np.array([1e-3, np.nan]),
        np.array([0.25, 1.0]),
        4,
        {"relu1": 0.97},
    ),
    TrainingResult(
        "failed",
        None,
        2,
        1,
        0.5,
        ({"epoch": 1, "val_loss": 0.3},),
        TrainingFailure("nan", "the loss became nan", 2, 7),
    ),
]


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: type(r).__name__)
def test_every_report_survives_the_trip(report: object) -> None:
    _same(decode_report(encode_report(report)), report)


def test_commands_are_plain_json() -> None:
    message = encode_command("capture", sample=3, weights=["conv2"])
    assert decode_command(message) == ("capture", {"sample": 3, "weights": ["conv2"]})


def _message(header: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<I", len(text)) + text + payload


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (_message({"type": "os.system", "fields": {}}), "not a report"),
        (_message({"type": "RunInfo", "fields": {"nope": 1}}), "malformed RunInfo"),
        (
            _message({"type": "BatchProgress", "fields": {}, "arrays": [["|O", [1]]]}),
            "arrays of object are not accepted",
        ),
        (
            _message({"type": "BatchProgress", "fields": {}, "arrays": [["<f4", [100]]]}, b"x"),
            "shorter than its arrays",
        ),
        (b"\x01", "unreadable message"),
    ],
)
def test_anything_but_a_report_is_refused(message: bytes, reason: str) -> None:
    with pytest.raises(WireError, match=reason):
        decode_report(message)


def test_only_reports_are_sent() -> None:
    with pytest.raises(WireError, match="not a report"):
        encode_report(Path("/etc/passwd"))
