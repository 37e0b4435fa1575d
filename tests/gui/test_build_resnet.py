"""A user builds a residual block in a blank window with mouse and keyboard alone, then saves it.

Blocks come from the palette by drag and drop, wires by dragging from port to port, parameters
through the inspector's widgets; Delete, Ctrl+Z and Ctrl+Y are real key presses. Every step is
checked on the model and on the canvas the user looks at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QWidget

from cnnstudio.core.commands import Move
from cnnstudio.core.graph import Edge
from cnnstudio.core.project import load_project
from cnnstudio.gui import settings, theme
from cnnstudio.gui.editor.node_item import NodeItem
from cnnstudio.gui.main_window import READABLE_ZOOM, MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# Where the user drops each block (scene coordinates at the zoom the test sets): the main
# path on top, the 1x1 projection below it, the classifier head on a second row.
LAYOUT = [
    ("Input", "input_1", (0, 0)),
    ("Conv2d", "conv_1", (200, 0)),
    ("BatchNorm2d", "batchnorm_1", (400, 0)),
    ("ReLU", "relu_1", (600, 0)),
    ("Conv2d", "conv_2", (800, -80)),
    ("BatchNorm2d", "batchnorm_2", (1000, -80)),
    ("Conv2d", "conv_3", (900, 90)),
    ("Add", "add_1", (1200, 0)),
    ("AdaptiveAvgPool2d", "adaptiveavgpool_1", (0, 260)),
    ("Flatten", "flatten_1", (200, 260)),
    ("Linear", "linear_1", (400, 260)),
    ("Output", "output_1", (600, 260)),
]
WIRES = [
    ("input_1", "conv_1", 0),
    ("conv_1", "batchnorm_1", 0),
    ("batchnorm_1", "relu_1", 0),
    ("relu_1", "conv_2", 0),
    ("conv_2", "batchnorm_2", 0),
    ("relu_1", "conv_3", 0),
    ("batchnorm_2", "add_1", 0),
    ("conv_3", "add_1", 1),
    ("add_1", "adaptiveavgpool_1", 0),
    ("adaptiveavgpool_1", "flatten_1", 0),
    ("flatten_1", "linear_1", 0),
    ("linear_1", "output_1", 0),
]
SHAPES = {
    "input_1": "3x32x32",
    "conv_1": "16x32x32",
    "batchnorm_1": "16x32x32",
    "relu_1": "16x32x32",
    "conv_2": "32x16x16",
    "batchnorm_2": "32x16x16",
    "conv_3": "32x16x16",
    "add_1": "32x16x16",
    "adaptiveavgpool_1": "32x1x1",
    "flatten_1": "32",
    "linear_1": "10",
    "output_1": "10",
}


@pytest.fixture
def window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(settings, "_MEMORY", {})
    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    w.resize(1500, 1000)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitActive(w)
    return w


def _settle(qtbot, window: MainWindow) -> None:
    assert window.document.analysis is not None
    qtbot.waitUntil(lambda: not window.document.analysis.pending, timeout=1000)


def _drop(window: MainWindow, mime: QMimeData, at: QPoint) -> QDropEvent:
    viewport = window.view.viewport()
    action, buttons = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    mods = Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(viewport, QDragEnterEvent(at, action, mime, buttons, mods))
    QApplication.sendEvent(viewport, QDragMoveEvent(at, action, mime, buttons, mods))
    event = QDropEvent(QPointF(at), action, mime, buttons, mods)
    QApplication.sendEvent(viewport, event)
    return event


def _type_into(qtbot, widget: QWidget, text: str) -> None:
    """Select what the field holds, type ``text`` over it and press Enter."""
    widget.setFocus()
    widget.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def _key(qtbot, window: MainWindow, key: Qt.Key, ctrl: bool = False) -> None:
    mods = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    window.view.setFocus()
    qtbot.keyClick(window.view, key, mods)
    _settle(qtbot, window)


def _reds(window: MainWindow, item: NodeItem) -> int:
    """Pixels of the error colour the user sees on ``item`` in the canvas."""
    rect = window.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    image: QImage = window.view.viewport().grab(rect).toImage()
    red = QColor(theme.current_theme().canvas.error)
    hits = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if (
                max(
                    abs(c.red() - red.red()),
                    abs(c.green() - red.green()),
                    abs(c.blue() - red.blue()),
                )
                < 40
            ):
                hits += 1
    return hits


def test_build_a_residual_block_from_a_blank_window(
    qtbot, window: MainWindow, mouse_on, tmp_path: Path
) -> None:
    window.action_new.trigger()
    assert len(window.document.graph) == 0
    view, palette = window.view, window.block_palette
    view.set_zoom(0.6)
    view.centerOn(600, 90)
    mouse = mouse_on(view)

    # Blocks: dragged from the palette and dropped where they should stand.
    for block_type, node_id, (x, y) in LAYOUT:
        index = palette.index_of(block_type)
        mime = palette.view.model().mimeData([index])
        event = _drop(window, mime, view.mapFromScene(QPointF(x, y)))
        assert event.isAccepted()
        assert window.document.graph.node(node_id).type == block_type
        assert window.scene.node_item(node_id).pos().toTuple() == pytest.approx((x, y), abs=2)
    assert window.document.undo_stack.count() == len(LAYOUT)

    # Wires: from each output port to the input port it feeds.
    scene = window.scene
    for source, target, port in WIRES:
        start = scene.node_item(source).output
        assert start is not None
        mouse.drag(start.scenePos(), scene.node_item(target).inputs[port].scenePos())
    _settle(qtbot, window)
    assert window.document.graph.edges == sorted(Edge(*w) for w in WIRES)
    assert sorted(e.edge for e in scene.edge_items()) == window.document.graph.edges
    assert len(scene.node_item("add_1").inputs) == 3  # a spare port for one more branch

    # Parameters: picked out with the mouse, typed into the inspector.
    inspector = window.inspector

    def edit(node_id: str, param: str, text: str, which: int = 0) -> None:
        mouse.click(scene.node_item(node_id).pos())
        assert inspector.node_id == node_id
        editor = inspector.editor(param)
        widget = {
            "shape": lambda: editor.edit,
            "padding": lambda: editor.amount.spins[which],
            "kernel_size": lambda: editor.spins[which],
            "stride": lambda: editor.spins[which],
        }.get(param, lambda: editor.spin)()
        _type_into(qtbot, widget, text)
        _settle(qtbot, window)

    edit("input_1", "shape", "3, 32, 32")
    edit("conv_1", "padding", "1")
    edit("conv_2", "out_channels", "32")
    edit("conv_2", "stride", "2")
    edit("conv_2", "padding", "1")
    edit("conv_3", "out_channels", "32")
    edit("conv_3", "kernel_size", "1")
    edit("conv_3", "stride", "2")
    params = {n.id: n.params for n in window.document.graph.nodes}
    assert params["input_1"] == {"shape": [3, 32, 32]}
    assert params["conv_1"] == {"padding": 1}
    assert params["conv_2"] == {"out_channels": 32, "stride": 2, "padding": 1}
    assert params["conv_3"] == {"out_channels": 32, "kernel_size": 1, "stride": 2}
    analysis = window.document.analysis.analysis
    assert analysis.issues == []
    assert {n: scene.node_item(n).shape_text for n in SHAPES} == SHAPES
    assert analysis.output_shape == (10,)
    assert inspector.output_value.text() == "32x16x16"  # conv_3, still selected
    assert window.summary.issues.text() == "No errors"

    # A wrong stride: the Add's inputs no longer match; it turns red and says why.
    add = scene.node_item("add_1")
    calm = _reds(window, add)  # the Merge category's accent is reddish too
    edit("conv_3", "stride", "1")
    assert add.status == "error"
    assert "32, 16, 16" in add.toolTip()
    assert "32, 32, 32" in add.toolTip()
    assert _reds(window, add) > calm + 100  # the red outline
    mouse.click(add.pos())
    assert "from conv_3" in inspector.inputs_value.text()
    assert window.issues.count() == 1
    edit("conv_3", "stride", "2")
    assert add.status == "ok"
    assert _reds(window, add) == calm

    # Delete a wire with the keyboard, then undo and redo it with Ctrl+Z and Ctrl+Y.
    skip = Edge("conv_3", "add_1", 1)
    start, end = scene.edge_item(skip).ends()
    mouse.click((start + end) / 2)
    assert scene.selected_edges() == [skip]
    steps = window.document.undo_stack.count()
    _key(qtbot, window, Qt.Key.Key_Delete)
    assert skip not in window.document.graph.edges
    assert window.document.analysis.analysis.errors
    _key(qtbot, window, Qt.Key.Key_Z, ctrl=True)
    assert skip in window.document.graph.edges
    assert scene.edge_item(skip).isVisible()
    _key(qtbot, window, Qt.Key.Key_Y, ctrl=True)
    assert skip not in window.document.graph.edges
    _key(qtbot, window, Qt.Key.Key_Z, ctrl=True)
    assert skip in window.document.graph.edges
    assert window.document.undo_stack.count() == steps + 1
    assert window.document.analysis.analysis.issues == []

    # Save, open again: the same project, down to every position.
    path = tmp_path / "residual.cnnstudio"
    assert window.save_project(path)
    saved = window.document.project.to_dict()
    assert window.open_project(path)
    assert window.document.project.to_dict() == saved == load_project(path).to_dict()
    assert {n: window.scene.node_item(n).shape_text for n in SHAPES} == SHAPES


def test_auto_layout_wraps_a_long_network_to_fit_the_canvas(window: MainWindow) -> None:
    window.new_project("vgg")  # the longest example at the top level
    one_line = {n.id: (i * 200.0, 0.0) for i, n in enumerate(window.document.graph.nodes)}
    window.document.push(Move(one_line))
    window.action_auto_layout.trigger()
    window.view.fit_all()
    rows = {round(n.position[1]) for n in window.document.graph.nodes}
    assert len(rows) > 3  # not one long line
    items = window.scene.node_items()
    for i, a in enumerate(items):  # no block covers another
        for b in items[i + 1 :]:
            assert not a.sceneBoundingRect().intersects(b.sceneBoundingRect())
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert seen.contains(window.scene.network_rect())
    assert window.document.undo_stack.undoText() == "Auto-layout"
    window.document.undo_stack.undo()
    assert {n.id: n.position for n in window.document.graph.nodes} == one_line


def test_examples_open_readable(window: MainWindow, qtbot) -> None:
    """Every example opens at a zoom whose labels can be read, without overlaps; LeNet-5 whole."""
    for template in ("lenet5", "vgg", "resnet", "inception"):
        window.new_project(template)
        window.show_start()
        assert window.view.zoom_percent >= READABLE_ZOOM * 100, template
        items = window.scene.node_items()
        rects = [i.sceneBoundingRect() for i in items]
        for i, a in enumerate(rects):
            assert not any(a.intersects(b) for b in rects[i + 1 :]), template
    window.new_project("lenet5")
    window.show_start()
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert seen.contains(window.scene.network_rect())
