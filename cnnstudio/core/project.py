"""Project files (format v1): a versioned JSON document holding the graph and its settings.

Reading goes file -> JSON -> migrated dict -> records checked with their JSON paths -> GraphModel.
Unknown top-level keys are kept and written back, so newer sections survive older tools.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import CnnStudioError, ParamError, ProjectFileError
from cnnstudio.core.fileio import atomic_write_text
from cnnstudio.core.graph import Edge, GraphModel, Node

FORMAT = "cnnstudio"
VERSION = 1
EXTENSION = ".cnnstudio"
MAX_FILE_BYTES = 64 * 1024 * 1024
SECTIONS = ("dataset", "training", "weights")

# Migrations from version N to N + 1, applied in turn to older files.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass
class Project:
    """A network and everything saved with it. ``path`` is where it was loaded from or saved to."""

    name: str = "Untitled"
    graph: GraphModel = field(default_factory=GraphModel)
    dataset: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
    weights: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the project (dataset, weights) are relative to."""
        return self.path.parent if self.path else Path.cwd()

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "graph": graph_to_dict(self.graph),
        }
        for key in SECTIONS:
            value = getattr(self, key)
            if value is not None:
                doc[key] = value
        doc.update({k: v for k, v in self.extra.items() if k not in doc})
        return doc

    def to_json(self) -> str:
        return pretty_json(self.to_dict()) + "\n"

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write atomically to ``path`` (default: where it came from) and remember the path."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise CnnStudioError("the project has no file name yet; give a path to save to")
        atomic_write_text(target, self.to_json())
        self.path = target

    @classmethod
    def from_dict(cls, doc: Any, file: str = "<memory>") -> Project:
        return _read(doc, file)


def pretty_json(value: Any, indent: str = "", width: int = 120) -> str:
    """JSON with one line per item where it fits: diffs stay readable, nodes stay one-liners."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(flat) <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {pretty_json(v, inner, width)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [inner + pretty_json(v, inner, width) for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


def _fmt_number(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


def graph_to_dict(graph: GraphModel) -> dict[str, Any]:
    nodes = [
        {
            "id": n.id,
            "type": n.type,
            "params": n.params,
            "position": [_fmt_number(n.position[0]), _fmt_number(n.position[1])],
        }
        for n in graph.nodes
    ]
    edges = [
        {"source": e.source, "target": e.target, "target_port": e.target_port} for e in graph.edges
    ]
    return {"nodes": nodes, "edges": edges}


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file; any fault raises ProjectFileError naming file, JSON path and reason."""
    file = str(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ProjectFileError(
                file, "", f"file is {size / 1e6:.0f} MB; a project is at most 64 MB"
            )
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ProjectFileError(file, "", "no such file") from None
    except IsADirectoryError:
        raise ProjectFileError(file, "", "is a folder, not a project file") from None
    except OSError as exc:
        raise ProjectFileError(file, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectFileError(file, "", f"not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(
            file, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ProjectFileError(file, "", "not valid JSON: nested too deeply") from None
    project = _read(doc, file)
    project.path = Path(path)
    return project


def _expect(value: Any, kind: type | tuple[type, ...], file: str, where: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ProjectFileError(file, where, f"expected {what}, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    for t, name in names.items():
        if isinstance(value, t):
            return name
    return "a number"


def _migrate(doc: dict[str, Any], file: str) -> dict[str, Any]:
    if doc.get("format") != FORMAT:
        got = doc.get("format")
        raise ProjectFileError(
            file, "format", f"not a cnnstudio project (format is {got!r}, expected 'cnnstudio')"
        )
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectFileError(file, "version", f"expected a positive integer, got {version!r}")
    if version > VERSION:
        raise ProjectFileError(
            file,
            "version",
            f"written by a newer cnnstudio (file version {version}, this one reads up to "
            f"{VERSION}); please upgrade cnnstudio",
        )
    while version < VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["version"]
    return doc


def _read(doc: Any, file: str) -> Project:
    _expect(doc, dict, file, "", "a JSON object at the top level")
    doc = _migrate(doc, file)
    name = _expect(doc.get("name", "Untitled"), str, file, "name", "a string")
    graph_doc = _expect(doc.get("graph"), dict, file, "graph", "an object with nodes and edges")
    nodes_doc = _expect(graph_doc.get("nodes", []), list, file, "graph.nodes", "an array")
    edges_doc = _expect(graph_doc.get("edges", []), list, file, "graph.edges", "an array")
    graph = GraphModel()
    for i, item in enumerate(nodes_doc):
        where = f"graph.nodes[{i}]"
        _expect(item, dict, file, where, "an object")
        unknown = set(item) - {"id", "type", "params", "position"}
        if unknown:
            raise ProjectFileError(file, where, f"unknown key {sorted(unknown)[0]!r}")
        node_id = _expect(item.get("id"), str, file, f"{where}.id", "a string")
        block = _expect(item.get("type"), str, file, f"{where}.type", "a string")
        params = _expect(item.get("params", {}), dict, file, f"{where}.params", "an object")
        pos = _expect(item.get("position", [0, 0]), list, file, f"{where}.position", "[x, y]")
        if len(pos) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos
        ):
            raise ProjectFileError(file, f"{where}.position", "expected [x, y] with two numbers")
        try:
            graph.add_node(Node(node_id, block, params, (float(pos[0]), float(pos[1]))))
        except ParamError as exc:
            raise ProjectFileError(file, f"{where}.params.{exc.param}", str(exc)) from None
        except CnnStudioError as exc:
            raise ProjectFileError(file, where, str(exc)) from None
    for i, item in enumerate(edges_doc):
        where = f"graph.edges[{i}]"
        _expect(item, dict, file, where, "an object")
        unknown = set(item) - {"source", "target", "target_port"}
        if unknown:
            raise ProjectFileError(file, where, f"unknown key {sorted(unknown)[0]!r}")
        source = _expect(item.get("source"), str, file, f"{where}.source", "a node id")
        target = _expect(item.get("target"), str, file, f"{where}.target", "a node id")
        port = _expect(item.get("target_port", 0), int, file, f"{where}.target_port", "an integer")
        for key, ref in (("source", source), ("target", target)):
            if ref not in graph:
                raise ProjectFileError(file, f"{where}.{key}", f"no node named {ref!r}")
        existing = graph.edge_at(target, port)
        if existing is not None:
            raise ProjectFileError(
                file, where, f"input {port} of {target} is already fed by {existing.source}"
            )
        try:
            graph.connect(Edge(source, target, port))
        except CnnStudioError as exc:
            raise ProjectFileError(file, where, str(exc)) from None
    sections: dict[str, dict[str, Any] | None] = {}
    for key in SECTIONS:
        value = doc.get(key)
        sections[key] = None if value is None else _expect(value, dict, file, key, "an object")
    known = {"format", "version", "name", "graph", *SECTIONS}
    extra = {k: v for k, v in doc.items() if k not in known}
    return Project(
        name, graph, sections["dataset"], sections["training"], sections["weights"], extra
    )
