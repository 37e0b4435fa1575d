"""Drawing, refusing, replacing, detaching and deleting wires with the mouse."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import graph_to_dict
from cnnstudio.gui.editor.edge_item import WirePreview
from cnnstudio.gui.editor.port_item import PortMark


def _graph() -> GraphModel:
    """input → conv → relu, plus a loose conv2 and an output, spread over one row."""
    g = GraphModel()
    g.add_node(Node("input", "Input", {"shape": [3, 16, 16]}, (0, 0)))
    g.add_node(Node("conv", "Conv2d", {"out_channels": 8, "padding": 1}, (220, 0)))
    g.add_node(Node("relu", "ReLU", {}, (440, 0)))
    g.add_node(Node("conv2", "Conv2d", {"out_channels": 8, "padding": 1}, (220, 160)))
    g.add_node(Node("out", "Output", {}, (660, 0)))
    g.connect(Edge("input", "conv"))
    g.connect(Edge("conv", "relu"))
    return g


def _near(a: QPointF, b: QPointF) -> bool:
    """Equal up to the rounding of scene points to viewport pixels."""
    return (a - b).manhattanLength() <= 1.0


def _previews(scene) -> list[WirePreview]:
    return [i for i in scene.items() if isinstance(i, WirePreview)]


def test_drag_from_output_to_input_connects(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene, mouse = canvas.scene, canvas.mouse
    start = scene.node_item("relu").output_anchor()
    end = scene.node_item("out").input_anchor(0)
    mouse.press(start)
    mouse.move((start + end) / 2)
    (preview,) = _previews(scene)
    assert _near(preview.path().pointAtPercent(1.0), (start + end) / 2)
    out_port = scene.node_item("out").inputs[0]
    assert out_port.mark is PortMark.VALID
    assert scene.node_item("conv").inputs[0].mark is PortMark.NONE  # upstream: a cycle
    mouse.move(end)
    assert out_port.mark is PortMark.TARGET
    mouse.release(end)
    assert Edge("relu", "out") in canvas.graph.edges
    wire = scene.edge_item(Edge("relu", "out"))
    assert wire.ends() == (start, end)
    assert _previews(scene) == []
    assert out_port.mark is PortMark.NONE
    assert out_port.connected
    assert canvas.stack.count() == 1


def test_cycle_is_refused_with_a_status_message(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene, mouse = canvas.scene, canvas.mouse
    before = graph_to_dict(canvas.graph)
    start = scene.node_item("relu").output_anchor()
    end = scene.node_item("conv").input_anchor(0)
    with qtbot.waitSignal(scene.status_message) as blocker:
        mouse.press(start)
        mouse.move(end)
        assert scene.node_item("conv").inputs[0].mark is PortMark.REFUSED
        mouse.release(end)
    assert "cycle" in blocker.args[0]
    assert graph_to_dict(canvas.graph) == before
    assert canvas.stack.count() == 0
    assert _previews(scene) == []


def test_same_node_and_wrong_kind_of_port_are_refused(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene, mouse = canvas.scene, canvas.mouse
    conv2 = scene.node_item("conv2")
    with qtbot.waitSignal(scene.status_message) as blocker:
        mouse.drag(conv2.output_anchor(), conv2.input_anchor(0))
    assert "itself" in blocker.args[0]
    with qtbot.waitSignal(scene.status_message) as blocker:
        mouse.drag(conv2.output_anchor(), scene.node_item("conv").output_anchor())
    assert "input port" in blocker.args[0]
    assert canvas.stack.count() == 0


def test_drop_on_an_occupied_port_replaces_its_wire_in_one_step(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene, mouse, graph = canvas.scene, canvas.mouse, canvas.graph
    before = graph_to_dict(graph)
    mouse.drag(scene.node_item("input").output_anchor(), scene.node_item("conv2").input_anchor(0))
    mouse.drag(scene.node_item("conv2").output_anchor(), scene.node_item("relu").input_anchor(0))
    assert Edge("conv2", "relu") in graph.edges
    assert Edge("conv", "relu") not in graph.edges
    assert len(scene.edge_items()) == 3
    assert canvas.stack.count() == 2
    canvas.stack.undo()
    assert Edge("conv", "relu") in graph.edges
    assert Edge("conv2", "relu") not in graph.edges
    assert scene.edge_item(Edge("conv", "relu")).isVisible()
    canvas.stack.undo()
    assert graph_to_dict(graph) == before


def test_dragging_a_connected_input_detaches_the_wire(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene, mouse, graph = canvas.scene, canvas.mouse, canvas.graph
    wire = scene.edge_item(Edge("conv", "relu"))
    port = scene.node_item("relu").input_anchor(0)
    mouse.press(port)
    mouse.move(port + QPointF(0, 90))
    assert not wire.isVisible()
    (preview,) = _previews(scene)
    assert preview.path().pointAtPercent(0.0) == scene.node_item("conv").output_anchor()
    mouse.release(port + QPointF(0, 90))
    assert Edge("conv", "relu") not in graph.edges
    assert canvas.stack.undoText() == "Disconnect conv → relu"
    canvas.stack.undo()
    # Picked up again and dropped on another input: moved in one step.
    mouse.drag(port, scene.node_item("out").input_anchor(0))
    assert Edge("conv", "out") in graph.edges
    assert Edge("conv", "relu") not in graph.edges
    assert canvas.stack.count() == 1
    canvas.stack.undo()
    assert Edge("conv", "relu") in graph.edges
    assert Edge("conv", "out") not in graph.edges


def test_detached_wire_dropped_back_on_its_port_changes_nothing(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene, mouse = canvas.scene, canvas.mouse
    port = scene.node_item("relu").input_anchor(0)
    mouse.drag(port, port + QPointF(60, 60), steps=3)
    canvas.stack.undo()
    mouse.press(port)
    mouse.move(port + QPointF(-50, 40))
    mouse.move(port)
    mouse.release(port)
    assert canvas.stack.count() == 1  # only the first disconnect (undone) is on the stack
    assert scene.edge_item(Edge("conv", "relu")).isVisible()


def test_wire_from_a_free_input_back_to_an_output(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene = canvas.scene
    canvas.mouse.drag(
        scene.node_item("out").input_anchor(0), scene.node_item("relu").output_anchor()
    )
    assert Edge("relu", "out") in canvas.graph.edges


def test_drop_on_a_node_body_uses_its_free_input(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene = canvas.scene
    canvas.mouse.drag(scene.node_item("input").output_anchor(), scene.node_item("conv2").pos())
    assert Edge("input", "conv2") in canvas.graph.edges


def test_drop_on_empty_canvas_hints_and_changes_nothing(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene = canvas.scene
    start = scene.node_item("relu").output_anchor()
    with qtbot.waitSignal(scene.status_message) as blocker:
        canvas.mouse.drag(start, start + QPointF(30, 200))
    assert "input port" in blocker.args[0]
    assert canvas.stack.count() == 0


def test_click_selects_a_wire_and_delete_removes_it(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene = canvas.scene
    wire = scene.edge_item(Edge("input", "conv"))
    middle = (wire.ends()[0] + wire.ends()[1]) / 2
    canvas.mouse.click(middle)
    assert wire.isSelected()
    assert scene.selected_edges() == [Edge("input", "conv")]
    canvas.view.setFocus()
    QTest.keyClick(canvas.view.viewport(), Qt.Key.Key_Delete)
    assert Edge("input", "conv") not in canvas.graph.edges
    assert "input" in canvas.graph
    assert "conv" in canvas.graph
    canvas.stack.undo()
    assert Edge("input", "conv") in canvas.graph.edges


def test_escape_cancels_a_wire_being_drawn(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    scene = canvas.scene
    start = scene.node_item("relu").output_anchor()
    canvas.mouse.press(start)
    canvas.mouse.move(start + QPointF(50, 50))
    canvas.view.setFocus()
    QTest.keyClick(canvas.view, Qt.Key.Key_Escape)
    assert _previews(scene) == []
    canvas.mouse.release(scene.node_item("out").input_anchor(0))
    assert canvas.stack.count() == 0


def test_a_wire_stays_easy_to_click_when_zoomed_out(qtbot, make_canvas):
    canvas = make_canvas(_graph())
    view, scene = canvas.view, canvas.scene
    view.set_zoom(0.4)
    wire = scene.edge_item(Edge("input", "conv"))
    middle = view.mapFromScene((wire.ends()[0] + wire.ends()[1]) / 2)
    canvas.mouse.click(middle + QPoint(0, 4))  # 4 screen pixels off: 10 scene pixels here
    assert wire.isSelected()
    view.set_zoom(1.0)
    scene.clearSelection()
    canvas.mouse.click(view.mapFromScene((wire.ends()[0] + wire.ends()[1]) / 2) + QPoint(0, 10))
    assert not wire.isSelected()  # at 100 % the band is the usual 12 pixels


def test_a_backward_wire_runs_between_the_blocks_not_through_them(
    qtbot, make_canvas, graph_from_example
):
    canvas = make_canvas(graph_from_example("lenet5"))  # wrapped into rows
    scene = canvas.scene
    backward = [w for w in scene.edge_items() if w.ends()[1].x() < w.ends()[0].x()]
    assert backward
    for wire in backward:
        path = wire.path()
        points = [path.pointAtPercent(t / 100) for t in range(3, 98)]
        for item in scene.node_items():
            if item in (wire.source, wire.target):
                continue
            rect = item.sceneBoundingRect()
            assert not any(rect.contains(p) for p in points), (wire.edge, item.node_id)
