"""A block dragged from the palette and dropped on a wire goes into that wire, as one step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cnnstudio.core.graph import Edge
from cnnstudio.gui.editor.mime import block_mime_data

_COPY, _LEFT, _NONE = (
    Qt.DropAction.CopyAction,
    Qt.MouseButton.LeftButton,
    Qt.KeyboardModifier.NoModifier,
)


def _drag_over(canvas, block_type: str, at: QPointF) -> QPoint:
    """Drag ``block_type`` from the palette over scene point ``at``; the viewport pixel."""
    pixel = canvas.view.mapFromScene(at)
    mime = block_mime_data(block_type)
    viewport = canvas.view.viewport()
    QApplication.sendEvent(viewport, QDragEnterEvent(pixel, _COPY, mime, _LEFT, _NONE))
    QApplication.sendEvent(viewport, QDragMoveEvent(pixel, _COPY, mime, _LEFT, _NONE))
    return pixel


def _drop(canvas, block_type: str, at: QPointF) -> None:
    pixel = _drag_over(canvas, block_type, at)
    mime = block_mime_data(block_type)  # kept alive while the event points to it
    event = QDropEvent(QPointF(pixel), _COPY, mime, _LEFT, _NONE)
    QApplication.sendEvent(canvas.view.viewport(), event)


def _middle(canvas, edge: Edge) -> QPointF:
    item = canvas.scene.edge_item(edge)
    return item.mapToScene(item.path().pointAtPercent(0.5))


def test_drop_on_a_wire_inserts_the_block_into_it(make_canvas, graph_from_example) -> None:
    canvas = make_canvas(graph_from_example("lenet5"))
    wire = Edge("conv1", "relu1")
    canvas.view.centerOn(_middle(canvas, wire))
    at = _middle(canvas, wire)
    _drag_over(canvas, "BatchNorm2d", at)
    assert canvas.scene.edge_item(wire).highlighted  # the user sees where it will go
    _drop(canvas, "BatchNorm2d", at)
    edges = set(canvas.graph.edges)
    assert wire not in edges
    assert {Edge("conv1", "batchnorm_1"), Edge("batchnorm_1", "relu1")} <= edges
    assert canvas.scene.selected_node_ids() == ["batchnorm_1"]
    assert not any(e.highlighted for e in canvas.scene.edge_items())
    assert canvas.stack.count() == 1
    assert canvas.analysis.analysis.valid
    canvas.stack.undo()
    assert wire in canvas.graph.edges
    assert "batchnorm_1" not in canvas.graph


@pytest.mark.parametrize(
    ("block", "why"), [("Input", "Input cannot go into the wire"), ("Add", "Add cannot go")]
)
def test_a_block_that_cannot_sit_in_a_wire_is_refused_saying_why(
    qtbot, make_canvas, graph_from_example, block: str, why: str
) -> None:
    canvas = make_canvas(graph_from_example("lenet5"))
    wire = Edge("conv1", "relu1")
    canvas.view.centerOn(_middle(canvas, wire))
    before = len(canvas.graph)
    with qtbot.waitSignal(canvas.scene.status_message) as said:
        _drop(canvas, block, _middle(canvas, wire))
    assert said.args[0].startswith(f"{why}")
    assert "conv1 → relu1" in said.args[0]
    assert len(canvas.graph) == before
    assert wire in canvas.graph.edges
    assert canvas.stack.count() == 0


def test_drop_away_from_wires_adds_the_block_where_dropped(make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    canvas.view.centerOn(300, 700)
    _drop(canvas, "Dropout", QPointF(300, 700))
    assert canvas.graph.node("dropout_1").position == pytest.approx((300, 700), abs=2)
    assert not canvas.graph.inputs_of("dropout_1")
