"""Copy and paste of blocks as JSON, between windows and to or from a text editor.

The clipboard holds ``application/x-cnnstudio-nodes`` and the same JSON as plain text: the nodes
(as in a project file) and the edges among them. Pasted text is read with the project file reader,
so it is validated exactly like a file. Pasting gives every node a free id, keeps the internal
edges and centres the blocks on the given point, all in one undo step.

Copied groups bring the definitions they use (nested ones too). Pasting reuses a definition the
project already has under that name when it is the same, and adds one under a free name when it
differs, so a paste never changes the groups already there.
"""

from __future__ import annotations

import atexit
import json
import re
from collections.abc import Iterable

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from cnnstudio.core.commands import AddNode, Command, Connect, Macro
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import Definition, Edge, GraphModel, Node
from cnnstudio.core.project import FORMAT as PROJECT_FORMAT
from cnnstudio.core.project import (
    VERSION,
    Project,
    definition_to_dict,
    graph_to_dict,
    pretty_json,
)

MIME_TYPE = "application/x-cnnstudio-nodes"
FORMAT = "cnnstudio-nodes"


class ClipboardError(CnnStudioError):
    """The clipboard holds nothing that can be pasted as blocks."""


def fragment(graph: GraphModel, node_ids: Iterable[str]) -> GraphModel:
    """The chosen nodes and the edges among them, with the definitions their groups use."""
    nodes, edges = graph.subgraph(node_ids)
    needed: set[str] = set()
    stack = [n.definition for n in nodes if n.is_group]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(n.definition for n in graph.definitions.get(name).graph if n.is_group)
    out = GraphModel()
    for definition in graph.definitions.ordered():
        if definition.name in needed:
            AddDefinition(definition, definition.name, {}).do(out)
    for n in nodes:
        out.add_node(n)
    for e in edges:
        out.connect(e)
    return out


class AddDefinition(Command):
    """Adds a copy of ``source`` named ``name`` to a project; groups inside it that use other
    pasted definitions follow ``renames``."""

    def __init__(self, source: Definition, name: str, renames: dict[str, str]) -> None:
        self.source, self.name, self.renames = source, name, dict(renames)
        self.text = f"Add group definition {name}"

    def do(self, graph: GraphModel) -> None:
        inner = GraphModel(graph.definitions)
        for n in self.source.graph:
            node = n.copy()
            if node.is_group:
                node.definition = self.renames.get(node.definition, node.definition)
            inner.add_node(node)
        for e in self.source.graph.edges:
            inner.connect(e)
        source = self.source
        graph.definitions.add(
            Definition(self.name, inner, list(source.inputs), source.output, list(source.params))
        )

    def undo(self, graph: GraphModel) -> None:
        graph.definitions.remove(self.name)


def fragment_json(graph: GraphModel, node_ids: Iterable[str]) -> str:
    """The chosen nodes and the edges among them, as clipboard JSON."""
    doc = {"format": FORMAT, "version": VERSION, **graph_to_dict(fragment(graph, node_ids))}
    return pretty_json(doc) + "\n"


def mime_data(graph: GraphModel, node_ids: Iterable[str]) -> QMimeData:
    text = fragment_json(graph, node_ids)
    mime = QMimeData()
    mime.setData(MIME_TYPE, text.encode("utf-8"))
    mime.setText(text)
    return mime


def copy_to_clipboard(graph: GraphModel, node_ids: Iterable[str]) -> None:
    """Put the blocks on the system clipboard (taken back at exit, see ``_release``)."""
    global _release_registered
    QGuiApplication.clipboard().setMimeData(mime_data(graph, node_ids))
    app = QGuiApplication.instance()
    if not _release_registered and app is not None:
        atexit.register(_release)
        app.aboutToQuit.connect(_release)
        _release_registered = True


_release_registered = False


def _release() -> None:
    """Clear our blocks from the clipboard while Python still runs: Qt's own exit handlers would
    destroy the data after its Python wrapper is gone and crash the process (exit 139)."""
    if QGuiApplication.instance() is None:
        return
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(MIME_TYPE):
        clipboard.clear()


def read_fragment(mime: QMimeData | None) -> GraphModel:
    """The blocks held by ``mime`` (our MIME type, or text with our JSON or a whole project)."""
    if mime is not None and mime.hasFormat(MIME_TYPE):
        text = bytes(mime.data(MIME_TYPE).data()).decode("utf-8", errors="replace")
    elif mime is not None and mime.hasText():
        text = mime.text()
    else:
        raise ClipboardError("the clipboard holds no cnnstudio blocks")
    return parse_fragment(text)


def parse_fragment(text: str) -> GraphModel:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ClipboardError("the clipboard holds no cnnstudio blocks (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") not in (FORMAT, PROJECT_FORMAT):
        raise ClipboardError("the clipboard holds no cnnstudio blocks")
    if doc["format"] == FORMAT:
        graph_doc = {key: doc[key] for key in ("definitions", "nodes", "edges") if key in doc}
        doc = {"format": PROJECT_FORMAT, "version": doc.get("version"), "graph": graph_doc}
    try:
        return Project.from_dict(doc, file="clipboard").graph
    except CnnStudioError as exc:
        raise ClipboardError(f"cannot paste: {exc}") from None


def free_id(base: str, taken: set[str]) -> str:
    """``base`` if not taken, else its stem with the smallest free number (as GraphModel does)."""
    if base not in taken:
        return base
    stem = re.sub(r"\d+$", "", base) or base
    i = 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"


def paste_command(
    graph: GraphModel, fragment: GraphModel, centre: tuple[float, float]
) -> tuple[Command, list[str]]:
    """One undoable step adding ``fragment`` to ``graph`` centred on ``centre``; also the new ids."""
    nodes = fragment.nodes
    if not nodes:
        raise ClipboardError("the clipboard holds no blocks")
    xs = [n.position[0] for n in nodes]
    ys = [n.position[1] for n in nodes]
    dx = centre[0] - (min(xs) + max(xs)) / 2
    dy = centre[1] - (min(ys) + max(ys)) / 2
    taken = {n.id for n in graph.nodes}
    renamed: dict[str, str] = {}
    commands: list[Command] = []
    definitions = _definitions_to_add(graph, fragment)
    names = {old: new for old, (new, _) in definitions.items()}
    for old, (new, add) in definitions.items():
        if add:
            commands.append(AddDefinition(fragment.definitions.get(old), new, names))
    for n in nodes:
        new_id = renamed[n.id] = free_id(n.id, taken)
        taken.add(new_id)
        position = (n.position[0] + dx, n.position[1] + dy)
        node = Node(new_id, n.type, dict(n.params), position, n.definition, n.repeat)
        if node.is_group:
            node.definition = names[n.definition]
        commands.append(AddNode(node))
    for e in fragment.edges:
        commands.append(Connect(Edge(renamed[e.source], renamed[e.target], e.target_port)))
    count = len(nodes)
    text = f"Paste {nodes[0].id}" if count == 1 else f"Paste {count} blocks"
    return Macro(text, commands), list(renamed.values())


def _definitions_to_add(graph: GraphModel, fragment: GraphModel) -> dict[str, tuple[str, bool]]:
    """For each definition the fragment brings: the name it has in ``graph`` and whether it
    must be added (an equal one of the same name is reused)."""
    out: dict[str, tuple[str, bool]] = {}
    taken = set(graph.definitions.names)
    for definition in fragment.definitions.ordered():
        name = definition.name
        if name in graph.definitions:
            renames = {old: new for old, (new, _) in out.items()}
            if _same(graph.definitions.get(name), definition, renames):
                out[name] = (name, False)
                continue
            i = 2
            while f"{definition.name}_{i}" in taken:
                i += 1
            name = f"{definition.name}_{i}"
        taken.add(name)
        out[definition.name] = (name, True)
    return out


def _same(mine: Definition, theirs: Definition, renames: dict[str, str]) -> bool:
    """Whether a pasted definition (its nested groups renamed) equals the project's own."""
    doc = definition_to_dict(theirs)
    doc["name"] = mine.name
    for node in doc["graph"]["nodes"]:
        if "definition" in node:
            node["definition"] = renames.get(node["definition"], node["definition"])
    return doc == definition_to_dict(mine)


def centre_of(graph: GraphModel, node_ids: Iterable[str]) -> tuple[float, float]:
    """Centre of the chosen nodes' positions (duplicates land beside it)."""
    points = [graph.node(n).position for n in node_ids]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
