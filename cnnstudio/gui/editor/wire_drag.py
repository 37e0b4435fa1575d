"""Drawing a wire with the mouse, from press on a port to release.

Three gestures: from an output to an input; from a free input back to an output; and from a
connected input, which picks the existing wire up (drop it on another input to move it, on empty
canvas to remove it). Ports the wire may end on are marked while dragging; a drop the model
would refuse is shown in red and explained through the scene's status message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from cnnstudio.core.commands import Command, Connect, Disconnect, Macro
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import Edge, GraphModel
from cnnstudio.gui.editor.edge_item import EdgeItem, WirePreview
from cnnstudio.gui.editor.node_item import NodeItem
from cnnstudio.gui.editor.port_item import PortItem, PortMark

if TYPE_CHECKING:
    from cnnstudio.gui.editor.scene import GraphScene


@dataclass(frozen=True)
class _Drop:
    """Where the wire would end if released now; ``refusal`` says why it may not."""

    port: PortItem | None = None
    edge: Edge | None = None
    refusal: str | None = None


def _reach(graph: GraphModel, start: str, upstream: bool) -> set[str]:
    """``start`` and every node that feeds it (``upstream``) or that it feeds."""
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        edges = graph.inputs_of(node) if upstream else graph.outputs_of(node)
        for e in edges:
            nxt = e.source if upstream else e.target
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


class WireDrag:
    def __init__(self, scene: GraphScene, port: PortItem, pos: QPointF) -> None:
        self.scene = scene
        graph = scene.graph
        self.detached: EdgeItem | None = None
        picked = graph.edge_at(port.node.node_id, port.index) if port.is_input else None
        if picked is not None:
            self.detached = scene.edge_item(picked)
            self.detached.hide()
            source = scene.node_item(picked.source).output
            assert source is not None
            self.anchor = source
        else:
            self.anchor = port
        self.wants_input = not self.anchor.is_input
        self.preview = WirePreview()
        self.preview.setPen(scene.look.paints.wire_preview)
        scene.addItem(self.preview)
        self._drop = _Drop()
        self.candidates = self._candidates()
        for p in self.candidates:
            p.set_mark(PortMark.VALID)
        self.move(pos)

    def _candidates(self) -> list[PortItem]:
        """Ports that take this wire without a cycle (occupied inputs too: a drop replaces)."""
        graph = self.scene.graph
        anchor_node = self.anchor.node.node_id
        banned = _reach(graph, anchor_node, upstream=self.wants_input)
        ports: list[PortItem] = []
        for item in self.scene.node_items():
            if item.node_id in banned:
                continue
            if self.wants_input:
                ports.extend(item.inputs)
            elif item.output is not None:
                ports.append(item.output)
        return ports

    # ---- the gesture -----------------------------------------------------------------------
    def move(self, pos: QPointF) -> None:
        drop = self._drop_at(pos)
        if drop.port is not self._drop.port and self._drop.port is not None:
            old = self._drop.port
            old.set_mark(PortMark.VALID if old in self.candidates else PortMark.NONE)
        if drop.port is not None:
            drop.port.set_mark(PortMark.REFUSED if drop.refusal else PortMark.TARGET)
        self._drop = drop
        paints = self.scene.look.paints
        self.preview.setPen(paints.wire_refused if drop.refusal else paints.wire_preview)
        end = drop.port.scenePos() if drop.port is not None else pos
        start = self.anchor.scenePos()
        if self.wants_input:
            self.preview.set_ends(start, end)
        else:
            self.preview.set_ends(end, start)

    def finish(self, pos: QPointF) -> None:
        drop = self._drop_at(pos)
        self.cancel()
        old = self.detached.edge if self.detached is not None else None
        if drop.refusal is not None:
            self.scene.status_message.emit(drop.refusal)
            return
        command: Command
        if drop.edge is None:
            if old is None:
                side = "an input" if self.wants_input else "an output"
                self.scene.status_message.emit(f"Drop the wire on {side} port to connect it.")
                return
            command = Disconnect(old)
        elif old is None:
            command = Connect(drop.edge)
        elif drop.edge == old:
            return
        else:
            command = Macro(
                f"Reconnect {old.source} → {drop.edge.target}",
                [Disconnect(old), Connect(drop.edge)],
            )
        self.scene.push_command(command)

    def cancel(self) -> None:
        """Remove the preview and marks; a picked-up wire shows again until the model drops it."""
        for p in self.candidates:
            p.set_mark(PortMark.NONE)
        if self._drop.port is not None:
            self._drop.port.set_mark(PortMark.NONE)
        self.scene.removeItem(self.preview)
        if self.detached is not None:
            self.detached.show()

    # ---- where would it land ---------------------------------------------------------------
    def _drop_at(self, pos: QPointF) -> _Drop:
        port = self.scene.port_at(pos)
        if port is self.anchor:
            return _Drop()
        if port is None:
            node = self.scene.node_at(pos)
            if node is None or node is self.anchor.node:
                return _Drop()  # empty canvas, or still leaving the node the wire starts from
            return self._node_default(node)
        if port.is_input != self.wants_input:
            where = "an input port (left side" if self.wants_input else "an output port (right side"
            return _Drop(port, None, f"A wire from here must end on {where} of a node).")
        return self._checked(port)

    def _node_default(self, node: NodeItem) -> _Drop:
        """Dropping on a node's body: its first free input, its only input, or its output."""
        label = f"{node.node_id} ({node.block_type})"
        if not self.wants_input:
            if node.output is None:
                return _Drop(None, None, f"{label} has no output")
            return self._checked(node.output)
        if not node.inputs:
            return _Drop(None, None, f"{label} has no input")
        used = {e.target_port for e in self.scene.graph.inputs_of(node.node_id)}
        if self.detached is not None and self.detached.target is node:
            used.discard(self.detached.edge.target_port)
        free = [p for p in node.inputs if p.index not in used]
        if free:
            return self._checked(free[0])
        if len(node.inputs) == 1:
            return self._checked(node.inputs[0])
        return _Drop(
            None, None, f"Every input of {label} is connected; drop on a port to replace its wire."
        )

    def _checked(self, port: PortItem) -> _Drop:
        if self.wants_input:
            edge = Edge(self.anchor.node.node_id, port.node.node_id, port.index)
        else:
            edge = Edge(port.node.node_id, self.anchor.node.node_id, self.anchor.index)
        try:
            self.scene.graph.check_connect(edge)
        except GraphError as exc:
            return _Drop(port, edge, str(exc))
        return _Drop(port, edge)
