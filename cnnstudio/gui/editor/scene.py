"""The canvas's scene: one item per node and wire, kept in step with the GraphModel's signals.

The scene never edits its items to reflect a user's action; it turns the action into a core
command, ``push``es it, and redraws when the model announces the change. So undo, redo, the
inspector and the clipboard all update the canvas through the same path. Item moves are the one
place the view runs ahead of the model: nodes follow the mouse and the model learns the final
positions on release, as one undo step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from cnnstudio.core.analysis import NodeInfo, analyze
from cnnstudio.core.blocks import BlockSpec, get_spec
from cnnstudio.core.commands import AddNode, Command, Connect, Disconnect, Macro, Move, remove_nodes
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import GROUP, Edge, GraphModel, Node, Ports
from cnnstudio.core.layout import COLUMN_WIDTH, ROW_HEIGHT
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.boundary import BoundaryMark
from cnnstudio.gui.editor.diff_overlay import DiffOverlay
from cnnstudio.gui.editor.edge_item import EdgeItem
from cnnstudio.gui.editor.flow_layout import flow_layout
from cnnstudio.gui.editor.grid import draw_grid
from cnnstudio.gui.editor.group_item import GroupItem
from cnnstudio.gui.editor.look import Look
from cnnstudio.gui.editor.model_links import ModelLinks
from cnnstudio.gui.editor.node_item import WIDTH, NodeItem
from cnnstudio.gui.editor.port_item import PortItem
from cnnstudio.gui.editor.style import LIGHT, CanvasStyle, Paints
from cnnstudio.gui.editor.wire_drag import WireDrag

SCENE_EXTENT = 100_000.0  # the canvas is effectively unbounded; the view hides scroll bars
NUDGE, NUDGE_FAST = 10.0, 50.0
NUDGE_BURST_MS = 800  # arrow presses closer together than this are one undo step
REVEAL_MARGIN = 60  # view pixels kept around a block the views scroll to show
PASTE_STEP = (40.0, 40.0)  # a paste not aimed with the mouse lands this far from the copied blocks

_ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}


class GraphScene(QGraphicsScene):
    status_message = Signal(str)
    node_activated = Signal(str)
    nodes_resized = Signal()

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.graph = graph = document.editing  # the network, or the inside of a group entered
        self.scope = document.scope
        self.analysis = analysis = document.analysis
        self.look = Look(LIGHT, self.font())
        self.setSceneRect(-SCENE_EXTENT, -SCENE_EXTENT, 2 * SCENE_EXTENT, 2 * SCENE_EXTENT)
        self._nodes: dict[str, NodeItem] = {}
        self._edges: dict[Edge, EdgeItem] = {}
        self._wire: WireDrag | None = None
        self._drag_from: dict[str, QPointF] | None = None
        self._insert_into: EdgeItem | None = None
        self._nudge_burst = 0
        self._nudge_timer = QTimer(self)
        self._nudge_timer.setSingleShot(True)
        self._nudge_timer.setInterval(NUDGE_BURST_MS)
        self._nudge_timer.timeout.connect(self._end_nudge_burst)
        self._links = ModelLinks(self)
        for signal, slot in (
            (graph.node_added, self._on_node_added),
            (graph.node_removed, self._on_node_removed),
            (graph.edge_added, self._on_edge_added),
            (graph.edge_removed, self._on_edge_removed),
            (graph.params_changed, self._on_params_changed),
            (graph.node_renamed, self._on_node_renamed),
            (graph.node_moved, self._on_node_moved),
            (graph.definitions.changed, self._on_definition_changed),
        ):
            self._links.connect(signal, slot)
        analysis.updated.connect(self._apply_analysis)
        self.selectionChanged.connect(self._raise_selected)
        self.selectionChanged.connect(self._share_selection)
        document.node_images_changed.connect(self._show_node_images)
        document.node_notes_changed.connect(self._show_node_notes)
        self._pictured: set[str] = set()
        self._raised: list[NodeItem] = []
        self._fed_from_outside: dict[str, set[int]] = {}  # inside a group: its input ports' targets
        infos = self._infos()
        for node in graph:
            self._add_node_item(node, infos.get(node.id))
        for edge in graph.edges:
            self._on_edge_added(edge)
        self.diff_overlay = DiffOverlay(self)
        self.diff_overlay.redraw()
        self._follow_boundary()

    def detach(self) -> None:
        """Stop following the model (the window calls this before dropping the scene)."""
        if self._links.linked:
            self._links.unlink()
            self.analysis.updated.disconnect(self._apply_analysis)
            self.document.node_images_changed.disconnect(self._show_node_images)
            self.diff_overlay.detach()
            self.document.node_notes_changed.disconnect(self._show_node_notes)
            # A dropped scene's items go with it: that is no selection for the document.
            self.selectionChanged.disconnect(self._share_selection)

    # ---- lookups ---------------------------------------------------------------------------
    def node_item(self, node_id: str) -> NodeItem:
        return self._nodes[node_id]

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_item(self, edge: Edge) -> EdgeItem:
        return self._edges[edge]

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def network_rect(self) -> QRectF:
        """The scene area the blocks and their wires cover (null for an empty graph)."""
        rect = QRectF()
        for item in (*self._nodes.values(), *self._edges.values()):
            rect = rect.united(item.sceneBoundingRect())
        for group in self.group_items():
            if group.expanded:  # the frame showing its inside hangs under it
                rect = rect.united(group.frame.sceneBoundingRect())
        return rect

    def selected_node_ids(self) -> list[str]:
        """Selected nodes in the graph's order (the order they were added)."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n.id for n in self.graph if n.id in chosen]

    def _share_selection(self) -> None:
        self.document.set_selection(self.selected_node_ids())

    def _show_node_images(self) -> None:
        """Put the document's node pictures into the nodes (``nodes_resized`` when they grew or
        shrank by one, so a view fitting the whole network can refit)."""
        images = self.document.node_images
        resized = False
        for node_id in self._pictured | set(images):
            item = self._nodes.get(node_id)
            if item is not None:
                resized |= (node_id in images) != (node_id in self._pictured)
                item.set_thumbnail(images.get(node_id))
        self._pictured = {n for n in images if n in self._nodes}
        if resized:
            self.nodes_resized.emit()

    def _show_node_notes(self) -> None:
        notes = self.document.node_notes
        for node_id, item in self._nodes.items():
            item.set_note(notes.get(node_id, ""))

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            item = self._nodes.get(node_id)
            if item is not None:
                item.setSelected(True)

    def port_at(self, pos: QPointF) -> PortItem | None:
        """The port nearest to ``pos`` among those whose hit area contains it."""
        ports = [
            i
            for i in self.items(QRectF(pos.x() - 2, pos.y() - 2, 4, 4))
            if isinstance(i, PortItem) and i.isVisible()
        ]
        return min(ports, key=lambda p: _distance(p.scenePos(), pos), default=None)

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
            if isinstance(item, PortItem):
                return item.node
        return None

    # ---- editing (every change is one pushed command) --------------------------------------
    def push_command(self, command: Command, merge_key: str | None = None) -> bool:
        """Push ``command``; a refusal goes to ``status_message`` and returns False."""
        error = self.document.push(command, merge_key)
        if error is not None:
            self.status_message.emit(error)
            return False
        return True

    def add_block(self, block_type: str, pos: QPointF) -> str | None:
        """Add a block centred at ``pos`` and select it; returns its id, or None if refused."""
        try:
            get_spec(block_type)
        except GraphError as exc:
            self.status_message.emit(str(exc))
            return None
        node_id = self.graph.new_id(block_type)
        if not self.push_command(AddNode(Node(node_id, block_type, {}, (pos.x(), pos.y())))):
            return None
        self.select_nodes([node_id])
        return node_id

    def drop_block(self, block_type: str, pos: QPointF) -> str | None:
        """A block dropped from the palette: into the wire under ``pos`` (one undo step), else
        at ``pos``. A block that cannot sit in a wire is refused there, saying why."""
        try:
            spec = get_spec(block_type)
        except GraphError as exc:
            self._set_insert_target(None)
            self.status_message.emit(str(exc))
            return None
        node = Node(self.graph.new_id(block_type), block_type, {}, (pos.x(), pos.y()))
        return self._drop(node, Ports(spec.inputs, spec.variadic, spec.outputs), pos)

    def drop_definition(self, name: str, pos: QPointF) -> str | None:
        """A project block (a group definition) dropped from the palette: a new instance of it,
        placed like a block."""
        definitions = self.graph.definitions
        if name not in definitions:
            self._set_insert_target(None)
            self.status_message.emit(f"The project has no group definition named {name}.")
            return None
        node = Node(self.graph.new_id(name), GROUP, {}, (pos.x(), pos.y()), name)
        return self._drop(node, Ports(len(definitions.get(name).inputs), False, 1), pos)

    def _drop(self, node: Node, ports: Ports, pos: QPointF) -> str | None:
        self._set_insert_target(None)
        wire = self._wire_at(pos)
        node_id = node.id
        if wire is None:
            if not self.push_command(AddNode(node)):
                return None
            self.select_nodes([node_id])
            return node_id
        e = wire.edge
        if not _fits_in_wire(ports):
            self.status_message.emit(
                f"{node.definition or node.type} cannot go into the wire {e.source} → {e.target}: "
                "only a block with one input and an output can; drop it beside the wire"
            )
            return None
        command = Macro(
            f"Insert {node_id} between {e.source} and {e.target}",
            [
                Disconnect(e),
                AddNode(node),
                Connect(Edge(e.source, node_id, 0)),
                Connect(Edge(node_id, e.target, e.target_port)),
            ],
        )
        if not self.push_command(command):
            return None
        self.select_nodes([node_id])
        return node_id

    def drop_hover(self, pos: QPointF | None) -> None:
        """Highlight the wire a block dragged from the palette would go into (None: none)."""
        self._set_insert_target(self._wire_at(pos) if pos is not None else None)

    def _wire_at(self, pos: QPointF) -> EdgeItem | None:
        """The wire under ``pos``, unless a block is there too (a drop on a block is no insert)."""
        if self.node_at(pos) is not None:
            return None
        for under in self.items(QRectF(pos.x() - 8, pos.y() - 8, 16, 16)):
            if isinstance(under, EdgeItem):
                return under
        return None

    def add_block_after_selection(self, block_type: str, pos: QPointF) -> str | None:
        """Add a block wired after the one selected node if its shapes fit, else near ``pos``.

        The connected block goes one column right of its source (the first free row), and
        becomes the selection, so repeated adds build a chain. Whether the shapes fit is decided
        by analysing a copy of the graph with the block added. An unconnected block goes to the
        free spot nearest ``pos``. Either way the views scroll to show it.
        """
        selected = self.selected_node_ids()
        source = self._nodes[selected[0]] if len(selected) == 1 else None
        try:
            spec = get_spec(block_type)
        except GraphError as exc:
            self.status_message.emit(str(exc))
            return None
        if source is None or source.output is None or spec.inputs == 0:
            return self._reveal(self.add_block(block_type, self.free_spot_near(pos)))
        node_id = self.graph.new_id(block_type)
        edge = Edge(source.node_id, node_id, 0)
        misfit = None if spec.variadic else self._misfit(Node(node_id, block_type), edge)
        if misfit is not None:
            added = self.add_block(block_type, self.free_spot_near(pos))
            if added is not None:
                self.status_message.emit(f"Added {added} unconnected: {misfit}")
            return self._reveal(added)
        node = Node(node_id, block_type, {}, self._free_spot_after(source))
        command = Macro(f"Add {node_id} after {source.node_id}", [AddNode(node), Connect(edge)])
        if not self.push_command(command):
            return None
        self.select_nodes([node_id])
        return self._reveal(node_id)

    def paste_spot(self, fragment: GraphModel) -> QPointF:
        """Where to centre pasted blocks when the mouse does not show where: beside the copied
        blocks' own places, one step further for each earlier paste already standing there."""
        points = [n.position for n in fragment.nodes]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        centre = QPointF((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
        taken = [item.pos() for item in self._nodes.values()]
        step = QPointF(*PASTE_STEP)
        shift = step
        while any(
            _distance(QPointF(x, y) + shift, other) < step.x() / 2
            for x, y in points
            for other in taken
        ):
            shift += step
        return centre + shift

    def _reveal(self, node_id: str | None) -> str | None:
        """Scroll the views to show ``node_id`` (a block added away from the mouse)."""
        if node_id is not None:
            for view in self.views():
                view.ensureVisible(self._nodes[node_id], REVEAL_MARGIN, REVEAL_MARGIN)
        return node_id

    def _misfit(self, node: Node, edge: Edge) -> str | None:
        """Why ``node`` fed by ``edge`` would be a shape error (a trial on a copy), or None."""
        trial = self.graph.copy()
        trial.add_node(node)
        trial.connect(edge)
        info = analyze(trial).nodes[node.id]
        return info.message if info.status == "error" else None

    def _is_free(self, x: float, y: float) -> bool:
        """Whether a block centred at (x, y) would stand clear of every other block."""
        return not any(
            abs(item.x() - x) < WIDTH and abs(item.y() - y) < ROW_HEIGHT * 0.75
            for item in self._nodes.values()
        )

    def _free_spot_after(self, source: NodeItem) -> tuple[float, float]:
        x, y = source.x() + COLUMN_WIDTH, source.y()
        while not self._is_free(x, y):
            y += ROW_HEIGHT
        return x, y

    def free_spot_near(self, pos: QPointF) -> QPointF:
        """``pos`` if no block stands there, else the nearest free spot a row or column away."""
        spots = sorted(
            ((i * COLUMN_WIDTH, j * ROW_HEIGHT) for i in range(-4, 5) for j in range(-4, 5)),
            key=lambda d: math.hypot(*d),
        )
        for dx, dy in spots:
            if self._is_free(pos.x() + dx, pos.y() + dy):
                return QPointF(pos.x() + dx, pos.y() + dy)
        return pos

    def delete_selection(self) -> None:
        """Delete selected nodes (with their wires) and selected wires, as one step."""
        node_ids, edges = self.selected_node_ids(), self.selected_edges()
        if node_ids or edges:
            self.push_command(remove_nodes(self.graph, node_ids, edges))

    def auto_layout(self) -> None:
        """Arrange the graph in layers from left to right, in rows that fit the canvas best, as
        one undoable move."""
        sizes = [view.viewport().size() for view in self.views()]
        positions = flow_layout(self.graph, *((s.width(), s.height()) for s in sizes))
        moves = {n: p for n, p in positions.items() if self.graph.node(n).position != p}
        if not moves:
            self.status_message.emit("The graph is already laid out.")
            return
        command = Move(moves)
        command.text = "Auto-layout"
        self.push_command(command)

    def set_view_scale(self, scale: float) -> None:
        """The view's zoom changed: wires keep a clickable band a mouse can hit."""
        if self.look.set_view_scale(scale):
            for item in self._edges.values():
                item.update_path()

    def set_style(self, style: CanvasStyle) -> None:
        self.look.paints = Paints(style)
        for item in self.items():
            item.update()
        self.diff_overlay.redraw()
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)

    # ---- following the model ---------------------------------------------------------------
    def _on_node_added(self, node: Node) -> None:
        self._add_node_item(node, None)  # its shapes arrive with the next analysis update

    def _add_node_item(self, node: Node, info: NodeInfo | None) -> None:
        item: NodeItem
        if node.is_group:
            definition = self.graph.definitions.get(node.definition)
            expanded = self.document.is_expanded(node.id)
            item = GroupItem(node, definition, self.look, info, expanded)
        else:
            item = NodeItem(node.id, node.type, node.params, self.look, info)
        item.setPos(QPointF(*node.position))
        self._nodes[node.id] = item
        self.addItem(item)

    def _on_node_removed(self, node: Node) -> None:
        self._cancel_gestures()
        self.removeItem(self._nodes.pop(node.id))

    def _on_edge_added(self, edge: Edge) -> None:
        self._cancel_gestures()
        source, target = self._nodes[edge.source], self._nodes[edge.target]
        self._refresh_ports(edge.target)
        item = EdgeItem(edge, source, target)
        source.edges.add(item)
        target.edges.add(item)
        self._edges[edge] = item
        self.addItem(item)
        item.update_path()  # a backward wire finds its lane among the blocks in the scene
        if source.output is not None:
            source.output.set_connected(True)

    def _on_edge_removed(self, edge: Edge) -> None:
        self._cancel_gestures()
        item = self._edges.pop(edge)
        item.source.edges.discard(item)
        item.target.edges.discard(item)
        self.removeItem(item)
        self._refresh_ports(edge.target)
        if item.source.output is not None:
            item.source.output.set_connected(
                bool(self.graph.outputs_of(edge.source)) or self._gives_group_output(edge.source)
            )

    def _gives_group_output(self, node_id: str) -> bool:
        owner = self.graph.owner
        if owner is None or owner not in self.graph.definitions:
            return False
        return self.graph.definitions.get(owner).output == node_id

    def _refresh_ports(self, node_id: str) -> None:
        item = self._nodes[node_id]
        used = {e.target_port for e in self.graph.inputs_of(node_id)}
        used |= self._fed_from_outside.get(node_id, set())
        count = item.ports.inputs
        if item.ports.variadic and used:
            count = max(count, max(used) + 2)  # a spare port for the next branch
        item.set_ports(count, used)
        if self.graph.owner is not None:
            self._mark_boundary(item)

    def _on_params_changed(self, node_id: str) -> None:
        item, node = self._nodes[node_id], self.graph.node(node_id)
        if isinstance(item, GroupItem):
            item.set_group(node, self.graph.definitions.get(node.definition))
            self._refresh_ports(node_id)
        else:
            item.set_params(node.params)

    def _follow_boundary(self) -> None:
        """Inside a group, the ports its inputs feed and the block that gives its output show
        as connected: they are, through the group's own ports."""
        if self.graph.owner is None or self.graph.owner not in self.graph.definitions:
            return
        definition = self.graph.definitions.get(self.graph.owner)
        fed: dict[str, set[int]] = {}
        for port in definition.inputs:
            for node_id, index in port.targets:
                fed.setdefault(node_id, set()).add(index)
        changed = set(fed) | set(self._fed_from_outside)
        self._fed_from_outside = fed
        for node_id in changed & set(self._nodes):
            self._refresh_ports(node_id)
        for node_id, item in self._nodes.items():
            if item.output is not None:
                leaves = node_id == definition.output
                item.output.set_connected(leaves or bool(self.graph.outputs_of(node_id)))
            self._mark_boundary(item)

    def _mark_boundary(self, item: NodeItem) -> None:
        """Inside a group, draw the group's own ports that meet ``item``: an input feeding one
        of its ports, or the output it gives (``boundary.BoundaryMark``)."""
        for child in item.childItems():
            if isinstance(child, BoundaryMark):
                self.removeItem(child)
        owner = self.graph.owner
        if owner is None or owner not in self.graph.definitions:
            return
        definition = self.graph.definitions.get(owner)
        for port in definition.inputs:
            for node_id, index in port.targets:
                if node_id == item.node_id and index < len(item.inputs):
                    BoundaryMark(item.inputs[index], port.name)
        if definition.output == item.node_id and item.output is not None:
            BoundaryMark(item.output, "output")

    def _on_definition_changed(self, name: str) -> None:
        """A definition (or something inside one) changed: every group showing it follows.
        (``name`` is empty for an edit inside an inner graph, which may be any of them.)"""
        definitions = self.graph.definitions
        if self.graph.owner is not None and name in ("", self.graph.owner):
            self._follow_boundary()
        for node_id, item in self._nodes.items():
            if isinstance(item, GroupItem) and node_id in self.graph:
                node = self.graph.node(node_id)
                if node.definition in definitions and name in ("", node.definition):
                    item.set_group(node, definitions.get(node.definition))
                    self._refresh_ports(node_id)

    def group_items(self) -> list[GroupItem]:
        return [i for i in self._nodes.values() if isinstance(i, GroupItem)]

    def set_expanded(self, node_ids: list[str], expanded: bool) -> None:
        """Show (or hide) the inner blocks of these groups in a frame under each."""
        for node_id in node_ids:
            item = self._nodes.get(node_id)
            if isinstance(item, GroupItem):
                item.set_expanded(expanded)
                self.document.set_expanded(node_id, expanded)

    def _on_node_renamed(self, old_id: str, new_id: str) -> None:
        item = self._nodes.pop(old_id)
        self._nodes[new_id] = item
        item.set_id(new_id)
        for edge_item in item.edges:
            old = edge_item.edge
            new = Edge(
                new_id if old.source == old_id else old.source,
                new_id if old.target == old_id else old.target,
                old.target_port,
            )
            del self._edges[old]
            self._edges[new] = edge_item
            edge_item.edge = new

    def _on_node_moved(self, node_id: str, position: tuple[float, float]) -> None:
        self._nodes[node_id].move_to(QPointF(*position))

    def _apply_analysis(self) -> None:
        infos = self._infos()
        for node_id, item in self._nodes.items():
            item.set_info(infos.get(node_id))

    def _infos(self) -> dict[str, NodeInfo]:
        return self.document.node_infos()

    def _raise_selected(self) -> None:
        """Selected nodes show above their neighbours."""
        for item in self._raised:
            item.setZValue(1)
        self._raised = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        for item in self._raised:
            item.setZValue(2)

    def _cancel_gestures(self) -> None:
        """A model change under a half-drawn wire (undo by shortcut) ends the gesture."""
        if self._wire is not None:
            wire, self._wire = self._wire, None
            wire.cancel()

    # ---- wires (driven by PortItem) --------------------------------------------------------
    def begin_wire(self, port: PortItem, pos: QPointF) -> None:
        self._cancel_gestures()
        self._wire = WireDrag(self, port, pos)

    def drag_wire(self, pos: QPointF) -> None:
        if self._wire is not None:
            self._wire.move(pos)

    def end_wire(self, pos: QPointF) -> None:
        if self._wire is not None:
            wire, self._wire = self._wire, None
            wire.finish(pos)

    # ---- moving nodes ----------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            group = self._toggle_at(event.scenePos())
            if group is not None:  # the tab under a group: expand or collapse it
                self.set_expanded([group.node_id], not group.expanded)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and isinstance(
            self.mouseGrabberItem(), NodeItem
        ):
            self._drag_from = {
                i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)
            }

    def _toggle_at(self, pos: QPointF) -> GroupItem | None:
        for item in self.items(pos):
            if isinstance(item, GroupItem):
                return item if item.toggle_rect().contains(item.mapFromScene(pos)) else None
            if isinstance(item, NodeItem | PortItem):
                return None
        return None

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseMoveEvent(event)  # Qt moves the selected nodes here
        if self._drag_from is not None:
            wires = {e for n in self._drag_from if n in self._nodes for e in self._nodes[n].edges}
            for wire in wires:
                wire.update_path()
            self._set_insert_target(self._wire_under_dragged_node())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self._drag_from is not None:
            self._finish_node_drag()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseDoubleClickEvent(event)
        node = self.node_at(event.scenePos())
        if node is not None:
            self.node_activated.emit(node.node_id)

    def _wire_under_dragged_node(self) -> EdgeItem | None:
        """The wire a lone, unconnected single-input node is being dropped onto, if any."""
        assert self._drag_from is not None
        if len(self._drag_from) != 1:
            return None
        item = self._nodes.get(next(iter(self._drag_from)))
        if item is None or item.edges or not _fits_in_wire(item.ports):
            return None
        c = item.pos()
        for under in self.items(QRectF(c.x() - 8, c.y() - 8, 16, 16)):
            if isinstance(under, EdgeItem):
                return under
        return None

    def _set_insert_target(self, edge: EdgeItem | None) -> None:
        if edge is not self._insert_into:
            if self._insert_into is not None:
                self._insert_into.set_highlighted(False)
            self._insert_into = edge
            if edge is not None:
                edge.set_highlighted(True)

    def _finish_node_drag(self) -> None:
        assert self._drag_from is not None
        start, self._drag_from = self._drag_from, None
        into = self._insert_into
        self._set_insert_target(None)
        moves: dict[str, tuple[float, float]] = {}
        old: dict[str, tuple[float, float]] = {}
        for node_id, was in start.items():
            item = self._nodes.get(node_id)
            if item is not None and item.pos() != was:
                moves[node_id] = (item.x(), item.y())
                old[node_id] = (was.x(), was.y())
        if not moves:
            return
        command: Command = Move(moves, old)
        if into is not None and len(moves) == 1:
            (node_id,) = moves
            e = into.edge
            command = Macro(
                f"Insert {node_id} between {e.source} and {e.target}",
                [
                    command,
                    Disconnect(e),
                    Connect(Edge(e.source, node_id, 0)),
                    Connect(Edge(node_id, e.target, e.target_port)),
                ],
            )
        if not self.push_command(command):
            for node_id in moves:
                self._nodes[node_id].move_to(QPointF(*self.graph.node(node_id).position))

    # ---- keyboard --------------------------------------------------------------------------
    # The keys handled here rather than by QActions; Help > Keyboard Shortcuts lists this table.
    HANDLED_KEYS = (
        (
            "Esc",
            "Cancel the wire being drawn, else clear the architecture diff shown, else leave the group entered",
        ),
        ("Delete, Backspace", "Delete the selected blocks and wires"),
        ("Arrow keys", f"Move the selected blocks by {NUDGE:g} px"),
        ("Shift+Arrow keys", f"Move the selected blocks by {NUDGE_FAST:g} px"),
    )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._wire is not None:
            self._cancel_gestures()
        elif key == Qt.Key.Key_Escape and self.document.comparison is not None:
            self.document.set_comparison(None)
        elif key == Qt.Key.Key_Escape and self.scope:
            self.document.leave()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selectedItems():
            self.delete_selection()
        elif key in _ARROWS and self.selected_node_ids():
            step = NUDGE_FAST if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else NUDGE
            dx, dy = _ARROWS[Qt.Key(key)]
            self._nudge(dx * step, dy * step)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _nudge(self, dx: float, dy: float) -> None:
        ids = self.selected_node_ids()
        moves = {}
        for node_id in ids:
            x, y = self.graph.node(node_id).position
            moves[node_id] = (x + dx, y + dy)
        self.push_command(Move(moves), merge_key=f"nudge {self._nudge_burst} {' '.join(ids)}")
        self._nudge_timer.start()

    def _end_nudge_burst(self) -> None:
        self._nudge_burst += 1

    # ---- background ----------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, exposed: QRectF | QRect) -> None:
        draw_grid(painter, QRectF(exposed), self.look.paints)


def _fits_in_wire(spec: BlockSpec | Ports) -> bool:
    """Whether a block can be inserted into a wire: one input to take it, an output to go on."""
    return spec.inputs == 1 and not spec.variadic and spec.outputs > 0


def _distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())
