"""The palette lists every block spec by category; activating a block adds it after the selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from cnnstudio.core.blocks import CATEGORIES, all_specs, get_spec
from cnnstudio.core.graph import Edge, GraphModel
from cnnstudio.gui.editor.mime import BLOCK_MIME_TYPE, block_type_from_mime
from cnnstudio.gui.editor.palette import BLOCK_TYPE_ROLE, BlockPalette


def _visible_blocks(palette: BlockPalette) -> dict[str, list[str]]:
    model = palette.view.model()
    shown: dict[str, list[str]] = {}
    for row in range(model.rowCount()):
        group = model.index(row, 0)
        shown[group.data()] = [
            model.index(i, 0, group).data(BLOCK_TYPE_ROLE) for i in range(model.rowCount(group))
        ]
    return shown


def test_palette_is_generated_from_the_specs(qtbot):
    palette = BlockPalette()
    qtbot.addWidget(palette)
    assert palette.objectName() == "palette"
    shown = _visible_blocks(palette)
    assert list(shown) == [c for c in CATEGORIES if any(s.category == c for s in all_specs())]
    assert sorted(t for types in shown.values() for t in types) == sorted(
        s.type for s in all_specs()
    )
    for category, types in shown.items():
        assert all(get_spec(t).category == category for t in types)
    index = palette.index_of("Conv2d")
    assert get_spec("Conv2d").help in index.data(Qt.ItemDataRole.ToolTipRole)
    mime = palette.view.model().mimeData([index])
    assert mime.formats() == [BLOCK_MIME_TYPE]
    assert block_type_from_mime(mime) == "Conv2d"


def test_filter_box_narrows_the_list(qtbot):
    palette = BlockPalette()
    qtbot.addWidget(palette)
    QTest.keyClicks(palette.filter, "pool")
    shown = _visible_blocks(palette)
    assert list(shown) == ["Pooling"]
    assert "MaxPool2d" in shown["Pooling"]
    palette.filter.clear()
    QTest.keyClicks(palette.filter, "relu")
    assert _visible_blocks(palette) == {"Activation": ["ReLU", "ReLU6", "LeakyReLU", "PReLU"]}
    palette.filter.clear()
    QTest.keyClicks(palette.filter, "nothing like this")
    assert _visible_blocks(palette) == {}


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_activating_a_block_emits_its_type(qtbot):
    palette = BlockPalette()
    qtbot.addWidget(palette)
    palette.show()
    qtbot.waitExposed(palette)
    index = palette.index_of("Dropout")
    palette.view.scrollTo(index)
    rect = palette.view.visualRect(index)
    with qtbot.waitSignal(palette.block_activated) as blocker:
        QTest.mouseClick(palette.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.mouseDClick(palette.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["Dropout"]
    with qtbot.waitSignal(palette.block_activated) as blocker:
        QTest.keyClicks(palette.filter, "linear")
        QTest.keyClick(palette.filter, Qt.Key.Key_Return)
    assert blocker.args == ["Linear"]


def test_add_after_selection_connects_when_shapes_fit(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    graph.remove_node("out")
    scene.select_nodes(["fc3"])
    first = scene.add_block_after_selection("ReLU", QPointF(0, 500))
    second = scene.add_block_after_selection("Dropout", QPointF(0, 500))
    assert (first, second) == ("relu_1", "dropout_1")
    assert Edge("fc3", first) in graph.edges
    assert Edge(first, second) in graph.edges
    x, y = graph.node("fc3").position
    assert graph.node(first).position == (x + 200, y)
    assert graph.node(second).position == (x + 400, y)
    assert scene.selected_node_ids() == [second]
    assert canvas.stack.count() == 2
    canvas.stack.undo()
    assert second not in graph
    assert Edge("fc3", first) in graph.edges


def test_a_block_added_off_screen_is_scrolled_into_view(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    canvas.view.set_zoom(1.0)
    canvas.view.centerOn(canvas.scene.node_item("input"))
    canvas.graph.remove_node("out")
    canvas.scene.select_nodes(["fc3"])
    assert (
        not canvas.view.mapToScene(canvas.view.viewport().rect())
        .boundingRect()
        .contains(canvas.scene.node_item("fc3").pos() + QPointF(200, 0))
    )
    added = canvas.scene.add_block_after_selection("Dropout", QPointF(0, 0))
    item = canvas.scene.node_item(added)
    seen = canvas.view.mapToScene(canvas.view.viewport().rect()).boundingRect()
    assert seen.contains(item.sceneBoundingRect())


def test_add_after_selection_avoids_occupied_spots(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    x, y = graph.node("conv1").position
    assert graph.node("relu1").position == (x + 200, y)  # the spot right of conv1 is taken
    scene.select_nodes(["conv1"])
    added = scene.add_block_after_selection("BatchNorm2d", QPointF(0, 500))
    assert Edge("conv1", added) in graph.edges
    ax, ay = graph.node(added).position
    assert ax == x + 200
    assert ay > y
    others = [n.position for n in graph.nodes if n.id != added]
    assert all(abs(ox - ax) >= 164 or abs(oy - ay) >= 90 for ox, oy in others)


def test_add_after_selection_leaves_a_misfit_unconnected(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    scene.select_nodes(["conv1"])
    with qtbot.waitSignal(scene.status_message) as blocker:
        added = scene.add_block_after_selection("Linear", QPointF(100, 700))
    assert added == "linear_1"
    assert graph.inputs_of("linear_1") == []
    assert graph.node("linear_1").position == (100.0, 700.0)
    assert "unconnected" in blocker.args[0]
    assert "Flatten" in blocker.args[0]
    assert canvas.stack.count() == 1


def test_add_after_selection_without_selection_adds_at_a_free_point(
    qtbot, make_canvas, graph_from_example
):
    canvas = make_canvas(graph_from_example("lenet5"))
    graph = canvas.graph
    added = canvas.scene.add_block_after_selection("Add", QPointF(10, 700))
    assert graph.node(added).position == (10.0, 700.0)
    assert graph.inputs_of(added) == []
    taken = graph.node("relu1").position
    canvas.scene.clearSelection()
    second = canvas.scene.add_block_after_selection("Add", QPointF(*taken))
    canvas.scene.clearSelection()
    third = canvas.scene.add_block_after_selection("Add", QPointF(*taken))
    spots = {n.id: n.position for n in graph.nodes}
    assert len(set(spots.values())) == len(spots)  # nothing lands on another block
    for node_id in (second, third):
        x, y = spots[node_id]
        assert abs(x - taken[0]) <= 200
        assert abs(y - taken[1]) <= 240


def test_enter_in_the_filter_adds_the_block_named_not_its_category(qtbot):
    palette = BlockPalette()
    qtbot.addWidget(palette)
    for typed, expected in (("output", "Output"), ("Conv2d", "Conv2d"), ("norm", "BatchNorm2d")):
        palette.filter.clear()
        with qtbot.waitSignal(palette.block_activated) as blocker:
            qtbot.keyClicks(palette.filter, typed)
            qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
        assert blocker.args == [expected]


def test_new_blocks_get_readable_numbered_ids(qtbot, make_canvas):
    canvas = make_canvas(GraphModel())
    scene = canvas.scene
    added = [
        scene.add_block(t, QPointF(250 * i, 0))
        for i, t in enumerate(["Input", "Conv2d", "Conv2d", "BatchNorm2d", "ReLU6", "Output"])
    ]
    assert added == ["input_1", "conv_1", "conv_2", "batchnorm_1", "relu6_1", "output_1"]
