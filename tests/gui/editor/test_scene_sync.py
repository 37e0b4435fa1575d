"""The scene follows the model: every edit, its undo and its redo show on the canvas."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter
from PySide6.QtTest import QTest

from cnnstudio.core.commands import Connect, Disconnect, Move, Rename, SetParams
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import graph_to_dict
from cnnstudio.gui.editor.flow_layout import flow_layout
from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.style import DARK, LIGHT


def scene_state(scene: GraphScene) -> dict[str, Any]:
    """Everything the canvas shows, in comparable form."""
    nodes = {
        item.node_id: (
            (item.x(), item.y()),
            item.summary,
            item.shape_text,
            item.status,
            len(item.inputs),
            item.toolTip(),
        )
        for item in scene.node_items()
    }
    edges = sorted(
        (e.edge, e.source.node_id, e.target.node_id, [p.toTuple() for p in e.ends()])
        for e in scene.edge_items()
    )
    return {"nodes": nodes, "edges": edges}


def settle(qtbot, canvas) -> None:
    """Let the coalesced re-analysis run."""
    qtbot.waitUntil(lambda: not canvas.analysis.pending, timeout=1000)


def render(scene: GraphScene, rect: QRectF) -> QImage:
    # Nodes cache a picture per paint device; once the view has repainted a node, its picture
    # for a plain image is stale until the node is told to draw afresh.
    for item in scene.items(rect):
        item.update()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    return image


def count_near(image: QImage, color: QColor, tolerance: int = 30) -> int:
    hits = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            diff = (c.red() - color.red(), c.green() - color.green(), c.blue() - color.blue())
            if max(abs(d) for d in diff) <= tolerance:
                hits += 1
    return hits


def test_items_match_the_model(make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    assert sorted(i.node_id for i in scene.node_items()) == sorted(n.id for n in graph.nodes)
    assert sorted(e.edge for e in scene.edge_items()) == graph.edges
    conv1 = scene.node_item("conv1")
    assert conv1.pos() == QPointF(*graph.node("conv1").position)
    assert conv1.summary == "6 @ 5x5, s1"
    assert conv1.shape_text == "6x28x28"
    assert "156 parameters" in conv1.toolTip()
    assert scene.node_item("fc1").shape_text == "120"


def test_param_change_updates_the_same_item(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    item = canvas.scene.node_item("conv1")
    canvas.graph.set_params("conv1", {"out_channels": 32, "kernel_size": 3, "padding": 1})
    assert item.summary == "32 @ 3x3, s1"
    settle(qtbot, canvas)
    assert canvas.scene.node_item("conv1") is item
    assert item.shape_text == "32x28x28"
    assert canvas.scene.node_item("conv2").shape_text == "16x10x10"


def test_invalid_edit_turns_node_red_and_downstream_unknown(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene = canvas.scene
    message = canvas.document.push(SetParams("conv2", {"kernel_size": 50}))
    assert message is None
    settle(qtbot, canvas)
    conv2 = scene.node_item("conv2")
    info = canvas.analysis.analysis.nodes["conv2"]
    assert conv2.status == "error"
    assert conv2.toolTip() == info.message
    assert "conv2 (Conv2d)" in conv2.toolTip()
    assert "kernel" in conv2.toolTip()
    assert conv2.shape_text == "?"
    for downstream in ("relu2", "pool2", "flatten", "fc1", "out"):
        assert scene.node_item(downstream).shape_text == "?"
        assert scene.node_item(downstream).status == "unknown"
    red = QColor(LIGHT.error)
    assert count_near(render(scene, conv2.sceneBoundingRect()), red) > 20
    assert count_near(render(scene, scene.node_item("relu2").sceneBoundingRect()), red) == 0
    canvas.stack.undo()
    settle(qtbot, canvas)
    assert conv2.status == "ok"
    assert count_near(render(scene, conv2.sceneBoundingRect()), red) == 0


def test_delete_key_and_undo_redo_restore_exactly(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph, stack = canvas.scene, canvas.graph, canvas.stack
    before_model, before_scene = graph_to_dict(graph), scene_state(scene)
    scene.select_nodes(["conv2", "relu2"])
    scene.edge_item(Edge("fc1", "relu3")).setSelected(True)
    canvas.view.setFocus()
    QTest.keyClick(canvas.view, Qt.Key.Key_Delete)
    settle(qtbot, canvas)
    assert "conv2" not in graph
    assert "relu2" not in graph
    assert Edge("fc1", "relu3") not in graph.edges
    assert stack.count() == 1
    after_model, after_scene = graph_to_dict(graph), scene_state(scene)
    assert set(after_scene["nodes"]) == {n.id for n in graph.nodes}
    undo, redo = stack.createUndoAction(canvas.view), stack.createRedoAction(canvas.view)
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    redo.setShortcut(QKeySequence("Ctrl+Y"))
    canvas.view.addActions([undo, redo])
    canvas.view.activateWindow()
    qtbot.waitActive(canvas.view)
    QTest.keyClick(canvas.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, canvas)
    assert graph_to_dict(graph) == before_model
    assert scene_state(scene) == before_scene
    QTest.keyClick(canvas.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, canvas)
    assert graph_to_dict(graph) == after_model
    assert scene_state(scene) == after_scene


def test_every_edit_kind_is_one_step_and_undoes_exactly(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph, stack = canvas.scene, canvas.graph, canvas.stack
    states = [(graph_to_dict(graph), scene_state(scene))]

    def step(action) -> None:
        action()
        settle(qtbot, canvas)
        states.append((graph_to_dict(graph), scene_state(scene)))
        assert stack.count() == len(states) - 1

    step(lambda: scene.add_block("Dropout", QPointF(1700, 200)))
    step(lambda: canvas.document.push(Connect(Edge("relu3", "dropout_1"))))
    step(lambda: canvas.document.push(Disconnect(Edge("relu3", "dropout_1"))))
    step(lambda: canvas.document.push(Move({"dropout_1": (1700.0, 300.0)})))
    step(lambda: canvas.document.push(SetParams("dropout_1", {"p": 0.25})))
    step(lambda: canvas.document.push(Rename("conv1", "first_conv")))
    step(scene.auto_layout)
    assert scene.node_item("first_conv").edges
    for i in range(len(states) - 1, 0, -1):
        stack.undo()
        settle(qtbot, canvas)
        assert (graph_to_dict(graph), scene_state(scene)) == states[i - 1]
    for i in range(1, len(states)):
        stack.redo()
        settle(qtbot, canvas)
        assert (graph_to_dict(graph), scene_state(scene)) == states[i]


def test_rename_keeps_wires_usable(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    canvas.document.push(Rename("pool1", "p1"))
    assert scene.edge_item(Edge("relu1", "p1")).target is scene.node_item("p1")
    scene.clearSelection()
    scene.edge_item(Edge("p1", "conv2")).setSelected(True)
    scene.delete_selection()
    assert Edge("p1", "conv2") not in graph.edges
    assert "p1 " in scene.node_item("p1").toolTip()


def test_merge_block_grows_a_port_when_its_last_is_connected(make_canvas):
    graph = GraphModel()
    for i in range(4):
        graph.add_node(Node(f"in{i}", "Input", {"shape": [8]}, (0, 120.0 * i)))
    graph.add_node(Node("add", "Add", {}, (300, 0)))
    canvas = make_canvas(graph)
    add = canvas.scene.node_item("add")
    assert len(add.inputs) == 2
    canvas.document.push(Connect(Edge("in0", "add", 0)))
    assert len(add.inputs) == 2
    canvas.document.push(Connect(Edge("in1", "add", 1)))
    assert len(add.inputs) == 3
    assert [p.connected for p in add.inputs] == [True, True, False]
    canvas.document.push(Connect(Edge("in2", "add", 2)))
    assert len(add.inputs) == 4
    wire = canvas.scene.edge_item(Edge("in2", "add", 2))
    assert wire.ends()[1] == add.inputs[2].scenePos()
    canvas.stack.undo()
    canvas.stack.undo()
    assert len(add.inputs) == 2


def test_auto_layout_is_one_undo_step(qtbot, make_canvas, graph_from_example):
    graph = graph_from_example("inception_small")
    for i, node in enumerate(graph.nodes):
        graph.move(node.id, (37.0 * i, -23.0 * (i % 5)))
    canvas = make_canvas(graph)
    before = {n.id: n.position for n in graph.nodes}
    canvas.scene.auto_layout()
    size = canvas.view.viewport().size()
    expected = flow_layout(graph, (size.width(), size.height()))
    assert {n.id: n.position for n in graph.nodes} == expected
    assert canvas.stack.count() == 1
    assert canvas.stack.undoText() == "Auto-layout"
    for node_id, (x, y) in expected.items():
        assert canvas.scene.node_item(node_id).pos() == QPointF(x, y)
    canvas.stack.undo()
    assert {n.id: n.position for n in graph.nodes} == before
    assert canvas.scene.node_item("input").pos() == QPointF(*before["input"])


def test_read_only_refusal_reaches_the_status_message(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    canvas.document.guard.set_read_only("training is running")
    with qtbot.waitSignal(canvas.scene.status_message) as blocker:
        canvas.scene.add_block("ReLU", QPointF(0, 300))
    assert blocker.args == ["The graph cannot be edited while training is running."]
    assert len(canvas.graph) == 14


def test_style_switch_repaints_with_the_new_colours(make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene = canvas.scene
    blank = QRectF(-200, -400, 40, 40)
    assert render(scene, blank).pixelColor(5, 5) == QColor(LIGHT.background)
    scene.set_style(DARK)
    assert render(scene, blank).pixelColor(5, 5) == QColor(DARK.background)
    node = scene.node_item("conv1").sceneBoundingRect()
    assert count_near(render(scene, node), QColor(DARK.node_fill), 12) > 50


def test_thumbnail_is_drawn_inside_the_node(make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    item = canvas.scene.node_item("conv1")
    height = item.boundingRect().height()
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("#00ff00"))
    item.set_thumbnail(image)
    assert item.boundingRect().height() > height
    assert count_near(render(canvas.scene, item.sceneBoundingRect()), QColor("#00ff00"), 10) > 50
    item.set_thumbnail(None)
    assert item.boundingRect().height() == height


def test_zoomed_out_nodes_become_tinted_boxes(make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene = canvas.scene
    box = scene.node_item("conv1").sceneBoundingRect()
    tint = scene.look.paints.header["Convolution"].color()
    near = render(scene, box)
    far = QImage(int(box.width() * 0.3), int(box.height() * 0.3), QImage.Format.Format_ARGB32)
    far.fill(0)
    painter = QPainter(far)
    scene.render(painter, QRectF(far.rect()), box)
    painter.end()
    near_share = count_near(near, tint, 6) / (near.width() * near.height() / 4)
    far_share = count_near(far, tint, 6) / (far.width() * far.height() / 4)
    assert near_share < 0.35  # the header band only
    assert far_share > 0.45  # the whole box, with the id on it
