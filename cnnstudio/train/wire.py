"""Reports and commands between the editor and its training process, as bytes without pickle.

A message is a JSON header (the report's type and fields) followed by the raw bytes of its numpy
arrays. Only the report dataclasses of ``cnnstudio.train.callbacks`` are rebuilt, only from JSON
values, paths and arrays of plain numeric dtypes: no code object ever crosses the boundary.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.train.callbacks import (
    AttributionMap,
    BatchProgress,
    Diagnostics,
    DownloadProgress,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingFailure,
    TrainingResult,
    ValPredictions,
)

REPORT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        RunInfo,
        DownloadProgress,
        BatchProgress,
        EpochMetrics,
        Features,
        ValPredictions,
        AttributionMap,
        Diagnostics,
        TrainingFailure,
        TrainingResult,
    )
}
_HEADER = struct.Struct("<I")
_ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats: never object arrays


class WireError(ValueError):
    """A message that is not a well-formed report or command."""


def encode_report(report: Any) -> bytes:
    """``report`` (one of REPORT_TYPES) as one message."""
    cls, name = type(report), type(report).__name__
    if REPORT_TYPES.get(name) is not cls:
        raise WireError(f"{name} is not a report")
    arrays: list[np.ndarray] = []
    fields = {f.name: _pack(getattr(report, f.name), arrays) for f in dataclasses.fields(cls)}
    header = {
        "type": name,
        "fields": fields,
        "arrays": [[a.dtype.str, list(a.shape)] for a in arrays],
    }
    return _frame(header, arrays)


def decode_report(message: bytes) -> Any:
    """The report that ``encode_report`` turned into ``message``."""
    header, arrays = _unframe(message)
    cls = REPORT_TYPES.get(header.get("type", ""))
    if cls is None or not isinstance(header.get("fields"), dict):
        raise WireError(f"not a report: {header.get('type')!r}")
    values = {k: _unpack(v, arrays) for k, v in header["fields"].items()}
    if "failure" in values and isinstance(values["failure"], dict):
        values["failure"] = TrainingFailure(**values["failure"])
    try:
        return cls(**values)
    except TypeError as exc:
        raise WireError(f"malformed {cls.__name__}: {exc}") from exc


def encode_command(name: str, **values: Any) -> bytes:
    """A command for the training process (``start``, ``pause``, ``stop``...), JSON only."""
    return _frame({"command": name, "values": values}, [])


def decode_command(message: bytes) -> tuple[str, dict[str, Any]]:
    header, _ = _unframe(message)
    name, values = header.get("command"), header.get("values")
    if not isinstance(name, str) or not isinstance(values, dict):
        raise WireError("not a command")
    return name, values


def _frame(header: dict[str, Any], arrays: list[np.ndarray]) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return b"".join((_HEADER.pack(len(text)), text, *(a.tobytes() for a in arrays)))


def _unframe(message: bytes) -> tuple[dict[str, Any], list[np.ndarray]]:
    try:
        (size,) = _HEADER.unpack_from(message)
        header = json.loads(message[_HEADER.size : _HEADER.size + size])
    except (struct.error, ValueError) as exc:
        raise WireError(f"unreadable message: {exc}") from exc
    if not isinstance(header, dict):
        raise WireError("unreadable message: the header is not an object")
    arrays, offset = [], _HEADER.size + size
    for dtype_text, shape in header.get("arrays", []):
        dtype = np.dtype(dtype_text)
        if dtype.kind not in _ARRAY_KINDS:
            raise WireError(f"arrays of {dtype} are not accepted")
        count = int(np.prod(shape, dtype=np.int64))
        end = offset + count * dtype.itemsize
        if end > len(message):
            raise WireError("message shorter than its arrays")
        arrays.append(np.frombuffer(message, dtype, count, offset).reshape(shape))
        offset = end
    return header, arrays


def _pack(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        arrays.append(np.ascontiguousarray(value))
        return {"$array": len(arrays) - 1}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, tuple):
        return {"$tuple": [_pack(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_pack(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[str(k), _pack(v, arrays)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _pack(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise WireError(f"cannot send a {type(value).__name__}")


def _unpack(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, list):
        return [_unpack(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "$array" in value:
        return arrays[int(value["$array"])]
    if "$path" in value:
        return Path(value["$path"])
    if "$tuple" in value:
        return tuple(_unpack(v, arrays) for v in value["$tuple"])
    if "$dict" in value:
        return {k: _unpack(v, arrays) for k, v in value["$dict"]}
    return {k: _unpack(v, arrays) for k, v in value.items()}
