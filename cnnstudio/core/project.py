"""Project files (format v2): a versioned JSON document holding the graph and its settings.

Reading goes file -> JSON -> migrated dict -> records checked with their JSON paths -> GraphModel.
Unknown top-level keys are kept and written back, so newer sections survive older tools.
Version 2 added group definitions (``graph.definitions``) and ``Group`` nodes; an older file is
upgraded in memory (``Project.upgraded_from`` says from which version) and saved as the current.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.blocks import get_spec
from cnnstudio.core.errors import CnnStudioError, GraphError, ParamError, ProjectFileError, quote
from cnnstudio.core.fileio import atomic_write_text
from cnnstudio.core.graph import (
    GROUP,
    Definition,
    Edge,
    ExposedParam,
    GraphModel,
    InputPort,
    Node,
    validate_definition_name,
    validate_node_id,
)

FORMAT = "cnnstudio"
VERSION = 2
EXTENSION = ".cnnstudio"
MAX_FILE_BYTES = 64 * 1024 * 1024
SECTIONS = ("dataset", "training", "weights")
MAX_INT_DIGITS = 100
MAX_PRETTY_DEPTH = 32  # deeper values are written on one line (and without deep recursion)


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 lists the graph's group definitions; a version-1 graph has none."""
    graph = doc.get("graph")
    if not isinstance(graph, dict):
        return doc  # the reader reports the missing graph at its JSON path
    return {**doc, "graph": {"definitions": [], **graph}}


# Upgrades of a version-N document to version N + 1, applied in turn to older files; the
# loader sets "version" after each, so a migration changes only what differs.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


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
    upgraded_from: int | None = None  # the file's version when it was older (not saved)

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
        text = self.to_json()
        try:
            atomic_write_text(target, text)
        except OSError as exc:
            raise CnnStudioError(f"{target}: cannot save: {exc.strerror or exc}") from None
        self.path = target

    @classmethod
    def from_dict(cls, doc: Any, file: str = "<memory>") -> Project:
        return _read(doc, file)


def pretty_json(value: Any, indent: str = "", width: int = 120) -> str:
    """JSON with one line per item where it fits: diffs stay readable, nodes stay one-liners."""
    flat = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if (
        len(indent) + len(flat) <= width
        or not isinstance(value, (dict, list))
        or not value
        or len(indent) > 2 * MAX_PRETTY_DEPTH
    ):
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
    """A root graph's dict lists the definitions it and they use, those used by others first."""
    doc: dict[str, Any] = {}
    if graph.owner is None:
        doc["definitions"] = [definition_to_dict(d) for d in graph.definitions.ordered()]
    doc["nodes"] = [_node_to_dict(n) for n in graph.nodes]
    doc["edges"] = [
        {"source": e.source, "target": e.target, "target_port": e.target_port} for e in graph.edges
    ]
    return doc


def _node_to_dict(n: Node) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": n.id, "type": n.type}
    if n.is_group:
        doc["definition"] = n.definition
        doc["repeat"] = n.repeat
        if n.expanded:
            doc["expanded"] = True
    doc["params"] = n.params
    doc["position"] = [_fmt_number(n.position[0]), _fmt_number(n.position[1])]
    return doc


def definition_to_dict(d: Definition) -> dict[str, Any]:
    return {
        "name": d.name,
        "inputs": [
            {"name": p.name, "targets": [{"node": n, "port": i} for n, i in p.targets]}
            for p in d.inputs
        ],
        "output": d.output,
        "params": [{"name": p.name, "bind": [f"{n}.{k}" for n, k in p.bindings]} for p in d.params],
        "graph": graph_to_dict(d.graph),
    }


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
    if b"\0" in raw:  # JSON text never holds a NUL byte; images, checkpoints, archives do
        raise ProjectFileError(file, "", "not a cnnstudio project file (binary data)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectFileError(file, "", f"not UTF-8 text (byte {exc.start})") from None
    project = _read(parse_json(text, file), file)
    project.path = Path(path)
    return project


def parse_json(text: str, file: str) -> Any:
    """Strict JSON: no NaN or Infinity, no repeated keys (the last would silently win)."""
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise ProjectFileError(
            file, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ProjectFileError(file, "", "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # from the hooks
        raise ProjectFileError(file, "", f"not valid JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits is too long")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        keys = [k for k, _ in pairs]
        repeated = next(k for i, k in enumerate(keys) if k in keys[:i])
        raise ValueError(f"key {quote(repeated)} appears twice in one object")
    return doc


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
    """Check format and version, then upgrade an older document one version at a time."""
    if doc.get("format") != FORMAT:
        got = quote(doc.get("format"))
        raise ProjectFileError(
            file, "format", f"not a cnnstudio project (format is {got}, expected 'cnnstudio')"
        )
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectFileError(
            file, "version", f"expected a positive integer, got {quote(version)}"
        )
    if version > VERSION:
        raise ProjectFileError(
            file,
            "version",
            f"written by a newer cnnstudio (file version {version}, this one reads up to "
            f"{VERSION}); please upgrade cnnstudio",
        )
    while version < VERSION:
        try:
            doc = MIGRATIONS[version](doc)
        except CnnStudioError:
            raise
        except Exception as exc:  # an old file too malformed for its migration
            raise ProjectFileError(
                file, "", f"cannot upgrade from version {version}: {type(exc).__name__}: {exc}"
            ) from None
        version += 1
        doc = {**doc, "version": version}
    return doc


def _read(doc: Any, file: str) -> Project:
    _expect(doc, dict, file, "", "a JSON object at the top level")
    version = doc.get("version")
    doc = _migrate(doc, file)
    name = _expect(doc.get("name", "Untitled"), str, file, "name", "a string")
    graph = GraphModel()
    graph_doc = _expect(doc.get("graph"), dict, file, "graph", "an object with nodes and edges")
    defs_doc = _expect(
        graph_doc.get("definitions", []), list, file, "graph.definitions", "an array"
    )
    for i, item in enumerate(defs_doc):
        graph.definitions.add(_read_definition(item, graph, file, f"graph.definitions[{i}]"))
    _read_graph(graph_doc, graph, file, "graph", {"definitions", "nodes", "edges"})
    sections: dict[str, dict[str, Any] | None] = {}
    for key in SECTIONS:
        value = doc.get(key)
        sections[key] = None if value is None else _expect(value, dict, file, key, "an object")
    known = {"format", "version", "name", "graph", *SECTIONS}
    extra = {k: v for k, v in doc.items() if k not in known}
    project = Project(
        name, graph, sections["dataset"], sections["training"], sections["weights"], extra
    )
    project.upgraded_from = version if version != VERSION else None
    return project


def _read_graph(
    graph_doc: dict[str, Any], graph: GraphModel, file: str, where: str, keys: set[str]
) -> None:
    unknown = set(graph_doc) - keys
    if unknown:
        raise ProjectFileError(file, where, f"unknown key {quote(sorted(unknown)[0])}")
    nodes_doc = _expect(graph_doc.get("nodes", []), list, file, f"{where}.nodes", "an array")
    edges_doc = _expect(graph_doc.get("edges", []), list, file, f"{where}.edges", "an array")
    for i, item in enumerate(nodes_doc):
        graph.add_node(_read_node(item, graph, file, f"{where}.nodes[{i}]"))
    for i, item in enumerate(edges_doc):
        graph.connect(_read_edge(item, graph, file, f"{where}.edges[{i}]"))


def _read_definition(item: Any, root: GraphModel, file: str, where: str) -> Definition:
    """A checked definition; the definitions it uses must come before it in the file."""
    _check_keys(item, {"name", "inputs", "output", "params", "graph"}, file, where)
    name = _expect(item.get("name"), str, file, f"{where}.name", "a string")
    try:
        validate_definition_name(name)
        if name in root.definitions:
            raise GraphError(f"a group definition named {quote(name)} already exists")
    except GraphError as exc:
        raise ProjectFileError(file, f"{where}.name", str(exc)) from None
    inner = GraphModel(root.definitions)
    inner.owner = name
    graph_doc = _expect(item.get("graph"), dict, file, f"{where}.graph", "an object")
    _read_graph(graph_doc, inner, file, f"{where}.graph", {"nodes", "edges"})
    inputs: list[InputPort] = []
    for i, port in enumerate(
        _expect(item.get("inputs"), list, file, f"{where}.inputs", "an array")
    ):
        at = f"{where}.inputs[{i}]"
        _check_keys(port, {"name", "targets"}, file, at)
        port_name = _expect(port.get("name"), str, file, f"{at}.name", "a string")
        targets = []
        for j, t in enumerate(
            _expect(port.get("targets"), list, file, f"{at}.targets", "an array")
        ):
            _check_keys(t, {"node", "port"}, file, f"{at}.targets[{j}]")
            node = _expect(t.get("node"), str, file, f"{at}.targets[{j}].node", "a node id")
            index = _expect(t.get("port", 0), int, file, f"{at}.targets[{j}].port", "an integer")
            if node not in inner:
                raise ProjectFileError(
                    file, f"{at}.targets[{j}].node", f"no node named {quote(node)}"
                )
            targets.append((node, index))
        if not targets:
            raise ProjectFileError(file, f"{at}.targets", "an input must feed at least one block")
        inputs.append(InputPort(port_name, tuple(targets)))
    output = _expect(item.get("output"), str, file, f"{where}.output", "a node id")
    if output not in inner:
        raise ProjectFileError(file, f"{where}.output", f"no node named {quote(output)}")
    params: list[ExposedParam] = []
    for i, p in enumerate(
        _expect(item.get("params", []), list, file, f"{where}.params", "an array")
    ):
        at = f"{where}.params[{i}]"
        _check_keys(p, {"name", "bind"}, file, at)
        p_name = _expect(p.get("name"), str, file, f"{at}.name", "a string")
        binds = _expect(p.get("bind"), list, file, f"{at}.bind", "an array")
        bindings = []
        for j, b in enumerate(binds):
            text = _expect(b, str, file, f"{at}.bind[{j}]", "'node.parameter'")
            node, _, param = text.rpartition(".")
            bindings.append((node, param))
        if not bindings:
            raise ProjectFileError(file, f"{at}.bind", "a parameter must bind at least one block")
        params.append(ExposedParam(p_name, tuple(bindings)))
    definition = Definition(name, inner, inputs, output, params)
    try:
        definition.defaults()
    except (GraphError, KeyError) as exc:
        raise ProjectFileError(
            file, f"{where}.params", f"a binding names no block parameter: {exc}"
        ) from None
    if len({p.name for p in params}) != len(params):
        raise ProjectFileError(file, f"{where}.params", "two parameters share a name")
    return definition


def _check_keys(item: Any, allowed: set[str], file: str, where: str) -> None:
    _expect(item, dict, file, where, "an object")
    unknown = set(item) - allowed
    if unknown:
        raise ProjectFileError(file, where, f"unknown key {quote(sorted(unknown)[0])}")


def _read_node(item: Any, graph: GraphModel, file: str, where: str) -> Node:
    """A checked node record; every fault is reported at the JSON path of the offending value."""
    keys = {"id", "type", "params", "position", "definition", "repeat", "expanded"}
    _check_keys(item, keys, file, where)
    node_id = _expect(item.get("id"), str, file, f"{where}.id", "a string")
    block = _expect(item.get("type"), str, file, f"{where}.type", "a string")
    if block == GROUP:
        return _read_group(item, graph, file, where)
    if "expanded" in item:
        raise ProjectFileError(file, f"{where}.expanded", "only a Group node expands")
    params = _expect(item.get("params", {}), dict, file, f"{where}.params", "an object")
    pos = _expect(item.get("position", [0, 0]), list, file, f"{where}.position", "[x, y]")
    if len(pos) != 2 or not all(_is_finite(v) for v in pos):
        raise ProjectFileError(file, f"{where}.position", "expected [x, y] with two numbers")
    try:
        validate_node_id(node_id)
        if node_id in graph:
            raise GraphError(f"a node named {quote(node_id)} already exists")
    except GraphError as exc:
        raise ProjectFileError(file, f"{where}.id", str(exc)) from None
    try:
        spec = get_spec(block)
    except GraphError as exc:
        raise ProjectFileError(file, f"{where}.type", str(exc)) from None
    try:
        params = spec.validate_params(params, node_id)
    except ParamError as exc:
        raise ProjectFileError(file, f"{where}.params.{exc.param}", str(exc)) from None
    return Node(node_id, block, params, (float(pos[0]), float(pos[1])))


def _read_group(item: dict[str, Any], graph: GraphModel, file: str, where: str) -> Node:
    node_id = _expect(item.get("id"), str, file, f"{where}.id", "a string")
    name = _expect(item.get("definition"), str, file, f"{where}.definition", "a definition name")
    repeat = _expect(item.get("repeat", 1), int, file, f"{where}.repeat", "an integer")
    params = _expect(item.get("params", {}), dict, file, f"{where}.params", "an object")
    pos = _expect(item.get("position", [0, 0]), list, file, f"{where}.position", "[x, y]")
    if len(pos) != 2 or not all(_is_finite(v) for v in pos):
        raise ProjectFileError(file, f"{where}.position", "expected [x, y] with two numbers")
    expanded = _expect(
        item.get("expanded", False), bool, file, f"{where}.expanded", "true or false"
    )
    node = Node(node_id, GROUP, params, (float(pos[0]), float(pos[1])), name, repeat, expanded)
    if name not in graph.definitions:
        raise ProjectFileError(
            file, f"{where}.definition", f"no group definition named {quote(name)} before it"
        )
    try:
        node.params = graph.definitions.get(name).validate_params(params, node_id)
    except ParamError as exc:
        raise ProjectFileError(file, f"{where}.params.{exc.param}", str(exc)) from None
    try:
        validate_node_id(node_id)
        if node_id in graph:
            raise GraphError(f"a node named {quote(node_id)} already exists")
        trial = GraphModel(graph.definitions)
        trial.owner = graph.owner
        trial.add_node(node.copy())
    except GraphError as exc:
        raise ProjectFileError(file, where, str(exc)) from None
    return node


def _read_edge(item: Any, graph: GraphModel, file: str, where: str) -> Edge:
    """A checked edge that ``graph`` accepts as it is (no replaced port, no cycle)."""
    _check_keys(item, {"source", "target", "target_port"}, file, where)
    source = _expect(item.get("source"), str, file, f"{where}.source", "a node id")
    target = _expect(item.get("target"), str, file, f"{where}.target", "a node id")
    port = _expect(item.get("target_port", 0), int, file, f"{where}.target_port", "an integer")
    for key, ref in (("source", source), ("target", target)):
        if ref not in graph:
            raise ProjectFileError(file, f"{where}.{key}", f"no node named {quote(ref)}")
    existing = graph.edge_at(target, port)
    if existing is not None:
        raise ProjectFileError(
            file, where, f"input {port} of {target} is already fed by {existing.source}"
        )
    edge = Edge(source, target, port)
    try:
        graph.check_connect(edge)
    except GraphError as exc:
        raise ProjectFileError(file, where, str(exc)) from None
    return edge


def _is_finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def graph_structure(graph_doc: dict[str, Any]) -> dict[str, Any]:
    """A graph's dict without its layout (node positions, groups expanded): what must match to
    resume a run."""
    layout = ("position", "expanded")
    nodes = sorted(
        ({k: v for k, v in n.items() if k not in layout} for n in graph_doc["nodes"]),
        key=lambda n: n["id"],
    )
    edges = sorted(
        (dict(e) for e in graph_doc["edges"]),
        key=lambda e: (e["target"], e.get("target_port", 0)),
    )
    structure: dict[str, Any] = {"nodes": nodes, "edges": edges}
    definitions = [
        {**d, "graph": graph_structure(d["graph"])} for d in graph_doc.get("definitions", [])
    ]
    if definitions:
        structure["definitions"] = definitions
    return structure
