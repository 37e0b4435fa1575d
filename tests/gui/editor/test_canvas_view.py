"""The canvas as a user handles it: drops, selection, moving, zoom, pan, keys."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.gui.editor.palette import BlockPalette
from cnnstudio.gui.editor.scene import NUDGE, NUDGE_BURST_MS


def drop(view, mime: QMimeData, at: QPoint) -> QDropEvent:
    """Drag ``mime`` into the viewport and drop it at ``at`` (viewport pixels)."""
    viewport = view.viewport()
    action, buttons, mods = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(at, action, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(at, action, mime, buttons, mods)
    QApplication.sendEvent(viewport, move)
    event = QDropEvent(QPointF(at), action, mime, buttons, mods)
    QApplication.sendEvent(viewport, event)
    return event


def test_palette_drop_creates_the_block_where_dropped(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    palette = BlockPalette()
    qtbot.addWidget(palette)
    index = palette.index_of("BatchNorm2d")
    mime = palette.view.model().mimeData([index])
    at = QPoint(420, 530)
    event = drop(canvas.view, mime, at)
    assert event.isAccepted()
    node = canvas.graph.node("batchnorm_1")
    assert node.type == "BatchNorm2d"
    expected = canvas.view.mapToScene(at)
    assert node.position == (expected.x(), expected.y())
    item = canvas.scene.node_item("batchnorm_1")
    assert item.pos() == expected
    assert item.isSelected()
    assert canvas.stack.undoText() == "Add batchnorm_1"


def test_unknown_drops_are_ignored_and_project_files_reported(qtbot, make_canvas, tmp_path):
    canvas = make_canvas(GraphModel())
    junk = QMimeData()
    junk.setData("application/x-cnnstudio-block", b"NoSuchBlock")
    assert not drop(canvas.view, junk, QPoint(100, 100)).isAccepted()
    assert len(canvas.graph) == 0
    files = QMimeData()
    path = tmp_path / "net.cnnstudio"
    files.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(canvas.view.file_dropped) as blocker:
        drop(canvas.view, files, QPoint(100, 100))
    assert blocker.args == [str(path)]


def test_wheel_zooms_around_the_cursor(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    view = canvas.view
    spot = canvas.scene.node_item("pool1").pos()
    before = view.mapFromScene(spot)
    with qtbot.waitSignal(view.zoom_changed) as blocker:
        canvas.mouse.wheel(spot, 240)
    assert view.zoom_percent > 100
    assert blocker.args == [view.zoom_percent]
    assert (view.mapFromScene(spot) - before).manhattanLength() <= 2
    for _ in range(40):
        canvas.mouse.wheel(spot, -240)
    assert view.zoom_percent == 10


def test_zoom_buttons_and_fit_all(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("resnet_small"))
    view = canvas.view
    view.zoom_in()
    assert view.zoom_percent == 125
    view.zoom_out()
    view.zoom_out()
    assert view.zoom_percent == 80
    view.fit_all()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in canvas.scene.node_items():
        assert visible.contains(item.sceneBoundingRect())
    assert 10 <= view.zoom_percent < 100
    view.center_on_node("block2")
    node = view.mapFromScene(canvas.scene.node_item("block2").pos())
    assert (node - view.viewport().rect().center()).manhattanLength() <= 2


def test_a_fitted_view_asks_to_be_fitted_again_until_the_user_zooms(
    qtbot, make_canvas, graph_from_example
):
    canvas = make_canvas(graph_from_example("lenet5"))
    view = canvas.view
    view.fit_all()
    with qtbot.waitSignal(view.refit_wanted, timeout=1000):
        view.resize(view.width() - 50, view.height() - 80)
    for moved_by_user in (view.zoom_in, lambda: view.center_on_node("conv2")):
        view.fit_all()
        moved_by_user()
        with qtbot.assertNotEmitted(view.refit_wanted):
            view.resize(view.width() + 50, view.height() + 80)
            view.refit_if_following()


def test_fit_all_never_blows_a_small_graph_up(qtbot, make_canvas):
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {}, (0, 0)))
    canvas = make_canvas(graph)
    canvas.view.fit_all()
    assert canvas.view.zoom_percent == 100


def test_middle_button_and_space_drag_pan(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    view, mouse = canvas.view, canvas.mouse
    middle = view.viewport().rect().center()
    centre = view.mapToScene(middle)
    mouse.drag(middle, middle + QPoint(100, 40), button=Qt.MouseButton.MiddleButton)
    moved = view.mapToScene(middle)
    assert (moved - (centre - QPointF(100, 40))).manhattanLength() <= 2
    view.setFocus()
    QTest.keyPress(view, Qt.Key.Key_Space)
    mouse.drag(middle, middle + QPoint(-60, 0))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    after = view.mapToScene(middle)
    assert (after - (moved + QPointF(60, 0))).manhattanLength() <= 2
    assert canvas.stack.count() == 0
    assert not canvas.scene.selectedItems()


def test_dragging_selected_nodes_is_one_undo_step(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, mouse, graph = canvas.scene, canvas.mouse, canvas.graph
    conv1, relu1 = scene.node_item("conv1"), scene.node_item("relu1")
    mouse.click(conv1.pos())
    mouse.click(relu1.pos(), Qt.KeyboardModifier.ControlModifier)
    assert scene.selected_node_ids() == ["conv1", "relu1"]
    wire = scene.edge_item(Edge("relu1", "pool1"))
    mouse.drag(conv1.pos(), conv1.pos() + QPointF(30, 80), steps=8)
    assert graph.node("conv1").position == (230.0, 80.0)
    assert graph.node("relu1").position == (430.0, 80.0)
    assert wire.ends()[0] == relu1.output_anchor()
    assert canvas.stack.count() == 1
    assert canvas.stack.undoText() == "Move 2 nodes"
    canvas.stack.undo()
    assert graph.node("conv1").position == (200.0, 0.0)
    assert conv1.pos() == QPointF(200, 0)
    assert relu1.pos() == QPointF(400, 0)
    assert wire.ends()[0] == relu1.output_anchor()


def test_rubber_band_selects_nodes_it_touches(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene = canvas.scene
    top_left = scene.node_item("conv1").pos() + QPointF(-30, -100)
    bottom_right = scene.node_item("pool1").pos() + QPointF(10, 100)
    canvas.mouse.drag(top_left, bottom_right)
    assert scene.selected_node_ids() == ["conv1", "relu1", "pool1"]
    assert canvas.stack.count() == 0


def test_arrow_keys_nudge_one_step_per_burst(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph, view = canvas.scene, canvas.graph, canvas.view
    scene.select_nodes(["conv1"])
    view.setFocus()
    for _ in range(3):
        QTest.keyClick(view, Qt.Key.Key_Right)
    QTest.keyClick(view, Qt.Key.Key_Down)
    assert graph.node("conv1").position == (200 + 3 * NUDGE, NUDGE)
    assert scene.node_item("conv1").pos() == QPointF(200 + 3 * NUDGE, NUDGE)
    assert canvas.stack.count() == 1
    qtbot.wait(NUDGE_BURST_MS + 100)
    QTest.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.stack.count() == 2
    canvas.stack.undo()
    canvas.stack.undo()
    assert graph.node("conv1").position == (200.0, 0.0)


def test_dropping_a_loose_node_on_a_wire_inserts_it(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    node_id = scene.add_block("Dropout", QPointF(1500, 250))
    wire = scene.edge_item(Edge("flatten", "fc1"))
    target = (wire.ends()[0] + wire.ends()[1]) / 2
    canvas.mouse.press(QPointF(1500, 250))
    canvas.mouse.move(QPointF(1500, 150))
    assert not wire.highlighted
    canvas.mouse.move(target)
    assert wire.highlighted
    canvas.mouse.release(target)
    assert Edge("flatten", node_id) in graph.edges
    assert Edge(node_id, "fc1") in graph.edges
    assert Edge("flatten", "fc1") not in graph.edges
    assert canvas.stack.count() == 2
    canvas.stack.undo()
    assert Edge("flatten", "fc1") in graph.edges
    assert graph.node(node_id).position == (1500.0, 250.0)


def test_double_click_on_a_node_activates_it(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    with qtbot.waitSignal(canvas.scene.node_activated) as blocker:
        canvas.mouse.double_click(canvas.scene.node_item("fc2").pos())
    assert blocker.args == ["fc2"]


def test_an_empty_canvas_says_how_to_start(qtbot, make_canvas):
    canvas = make_canvas(GraphModel())
    view = canvas.view

    def middle_band() -> list[QColor]:
        image = view.viewport().grab().toImage()
        middle = image.height() // 2
        return [
            image.pixelColor(x, y)
            for y in range(middle - 30, middle + 30)
            for x in range(0, image.width(), 2)
        ]

    with_hint = middle_band()
    canvas.scene.add_block("ReLU", QPointF(5000, 5000))  # out of sight: only the hint goes
    without = middle_band()
    assert sum(a != b for a, b in zip(with_hint, without, strict=True)) > 50
    canvas.stack.undo()
    assert middle_band() == with_hint
