"""Broken project files, shared by the loader tests and the CLI tests.

Each case writes one file (or folder) and says where the fault is (its JSON path, "" when the
fault is not at one) and a fragment of the reason the user must be told.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TINY: dict[str, Any] = {
    "format": "cnnstudio",
    "version": 2,
    "name": "Tiny",
    "graph": {
        "definitions": [],
        "nodes": [
            {"id": "input", "type": "Input", "params": {"shape": [1, 8, 8]}, "position": [0, 0]},
            {
                "id": "conv1",
                "type": "Conv2d",
                "params": {"out_channels": 4, "padding": 1},
                "position": [200, 0],
            },
            {"id": "relu1", "type": "ReLU", "params": {}, "position": [400, 0]},
            {"id": "flat", "type": "Flatten", "params": {}, "position": [600, 0]},
            {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "position": [800, 0]},
            {"id": "out", "type": "Output", "params": {}, "position": [1000, 0]},
        ],
        "edges": [
            {"source": "conv1", "target": "relu1", "target_port": 0},
            {"source": "fc", "target": "out", "target_port": 0},
            {"source": "flat", "target": "fc", "target_port": 0},
            {"source": "input", "target": "conv1", "target_port": 0},
            {"source": "relu1", "target": "flat", "target_port": 0},
        ],
    },
}
TEN_MB = 10 * 1024 * 1024


def tiny() -> dict[str, Any]:
    """A fresh copy of a small valid project (6 nodes in a chain, edges in file order)."""
    return copy.deepcopy(TINY)


@dataclass(frozen=True)
class BadFile:
    name: str
    json_path: str
    reason: str
    make: Callable[[Path], Path]

    def __str__(self) -> str:
        return self.name


def _bytes(data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    """Writes ``data`` (or what it returns: large files are made only when a test runs)."""

    def make(folder: Path) -> Path:
        path = folder / "bad.cnnstudio"
        path.write_bytes(data() if callable(data) else data)
        return path

    return make


def _edit(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], Path]:
    doc = tiny()
    change(doc)
    return _bytes(json.dumps(doc).encode())


def _top(doc: dict[str, Any]) -> dict[str, Any]:
    return doc


def _node(i: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda doc: doc["graph"]["nodes"][i]


def _params(i: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda doc: doc["graph"]["nodes"][i]["params"]


def _edge(i: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda doc: doc["graph"]["edges"][i]


def _set(
    getter: Callable[[dict[str, Any]], Any], key: str, value: Any
) -> Callable[[dict[str, Any]], None]:
    return lambda doc: getter(doc).__setitem__(key, value)


def _cycle(doc: dict[str, Any]) -> None:
    edges = doc["graph"]["edges"]
    edges.remove({"source": "input", "target": "conv1", "target_port": 0})
    edges.append({"source": "fc", "target": "conv1", "target_port": 0})


def _missing(folder: Path) -> Path:
    return folder / "missing.cnnstudio"


def _folder(folder: Path) -> Path:
    path = folder / "project.cnnstudio"
    path.mkdir()
    return path


_TEXT = json.dumps(TINY).encode()

BAD_FILES = [
    BadFile("truncated", "", "not valid JSON", _bytes(_TEXT[: len(_TEXT) // 2])),
    BadFile("empty", "", "not valid JSON: Expecting value (line 1, column 1)", _bytes(b"")),
    BadFile("not UTF-8", "", "not UTF-8 text (byte 10)", _bytes(b'{"name": "\xff\xfe"}')),
    BadFile(
        "a PNG image",
        "",
        "not a cnnstudio project file (binary data)",
        _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"),
    ),
    BadFile(
        "a zip archive (a PyTorch checkpoint)",
        "",
        "not a cnnstudio project file (binary data)",
        _bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00archive/data.pkl"),
    ),
    BadFile(
        "not JSON",
        "",
        "not valid JSON: Expecting value (line 1, column 1)",
        _bytes(b"conv1 -> relu1\n"),
    ),
    BadFile(
        "NaN",
        "",
        "not valid JSON: NaN is not a JSON number",
        _bytes(_TEXT.replace(b'"padding": 1', b'"padding": NaN')),
    ),
    BadFile(
        "huge integer",
        "",
        "not valid JSON: an integer of 5000 digits is too long",
        _bytes(_TEXT.replace(b'"padding": 1', b'"padding": ' + b"9" * 5000)),
    ),
    BadFile(
        "repeated key",
        "",
        "not valid JSON: key 'name' appears twice in one object",
        _bytes(b'{"name": "a", "name": "b"}'),
    ),
    BadFile(
        "top-level array",
        "",
        "expected a JSON object at the top level, got an array",
        _bytes(b"[1, 2]"),
    ),
    BadFile(
        "unknown format",
        "format",
        "not a cnnstudio project (format is 'keras', expected 'cnnstudio')",
        _edit(_set(_top, "format", "keras")),
    ),
    BadFile(
        "future version",
        "version",
        "written by a newer cnnstudio (file version 3, this one reads up to 2); please upgrade cnnstudio",
        _edit(_set(_top, "version", 3)),
    ),
    BadFile(
        "version as text",
        "version",
        "expected a positive integer, got '1'",
        _edit(_set(_top, "version", "1")),
    ),
    BadFile(
        "no graph",
        "graph",
        "expected an object with nodes and edges, got null",
        _edit(lambda d: d.pop("graph")),
    ),
    BadFile(
        "nodes not a list",
        "graph.nodes",
        "expected an array, got an object",
        _edit(_set(lambda d: d["graph"], "nodes", {})),
    ),
    BadFile(
        "string for int",
        "graph.nodes[1].params.out_channels",
        "conv1 (Conv2d): out_channels must be an integer, got '16'",
        _edit(_set(_params(1), "out_channels", "16")),
    ),
    BadFile(
        "bool for int",
        "graph.nodes[1].params.out_channels",
        "conv1 (Conv2d): out_channels must be an integer, got True",
        _edit(_set(_params(1), "out_channels", True)),
    ),
    BadFile(
        "negative size",
        "graph.nodes[0].params.shape",
        "input (Input): shape sizes must be positive integers, got [-1, 8, 8]",
        _edit(_set(_params(0), "shape", [-1, 8, 8])),
    ),
    BadFile(
        "zero size",
        "graph.nodes[1].params.out_channels",
        "conv1 (Conv2d): out_channels must be >= 1, got 0",
        _edit(_set(_params(1), "out_channels", 0)),
    ),
    BadFile(
        "unknown block type",
        "graph.nodes[1].type",
        "unknown block type 'Conv3d'",
        _edit(_set(_node(1), "type", "Conv3d")),
    ),
    BadFile(
        "unknown parameter",
        "graph.nodes[1].params.kernal_size",
        "conv1 (Conv2d): unknown parameter 'kernal_size'",
        _edit(_set(_params(1), "kernal_size", 3)),
    ),
    BadFile(
        "unknown node key",
        "graph.nodes[2]",
        "unknown key 'colour'",
        _edit(_set(_node(2), "colour", "red")),
    ),
    BadFile(
        "bad position",
        "graph.nodes[2].position",
        "expected [x, y] with two numbers",
        _edit(_set(_node(2), "position", ["a", 0])),
    ),
    BadFile(
        "invalid node id",
        "graph.nodes[2].id",
        "invalid node id 'relu 1'",
        _edit(_set(_node(2), "id", "relu 1")),
    ),
    BadFile(
        "duplicate node id",
        "graph.nodes[2].id",
        "a node named 'conv1' already exists",
        _edit(_set(_node(2), "id", "conv1")),
    ),
    BadFile(
        "dangling edge",
        "graph.edges[0].target",
        "no node named 'ghost'",
        _edit(_set(_edge(0), "target", "ghost")),
    ),
    BadFile(
        "port as text",
        "graph.edges[1].target_port",
        "expected an integer, got a string",
        _edit(_set(_edge(1), "target_port", "0")),
    ),
    BadFile(
        "port taken twice",
        "graph.edges[5]",
        "input 0 of relu1 is already fed by conv1",
        _edit(lambda d: d["graph"]["edges"].append({"source": "input", "target": "relu1"})),
    ),
    BadFile(
        "edge out of the Output",
        "graph.edges[5]",
        "out (Output) has no output",
        _edit(
            lambda d: d["graph"]["edges"].append(
                {"source": "out", "target": "flat", "target_port": 1}
            )
        ),
    ),
    BadFile(
        "cycle",
        "graph.edges[4]",
        "connecting fc to conv1 would create a cycle (conv1 already feeds fc)",
        _edit(_cycle),
    ),
    BadFile(
        "section not an object",
        "training",
        "expected an object, got an array",
        _edit(_set(_top, "training", [])),
    ),
    BadFile(
        "10 MB of random bytes",
        "",
        "not a cnnstudio project file (binary data)",
        _bytes(lambda: random.Random(0).randbytes(TEN_MB)),
    ),
    BadFile(
        "10 MB of brackets", "", "not valid JSON: nested too deeply", _bytes(lambda: b"[" * TEN_MB)
    ),
    BadFile(
        "10 MB of words",
        "",
        "not valid JSON: Expecting value (line 1, column 1)",
        _bytes(lambda: b"junk " * (TEN_MB // 5)),
    ),
    BadFile("missing file", "", "no such file", _missing),
    BadFile("a folder", "", "is a folder, not a project file", _folder),
]
