"""The palette lists every block spec by category; activating a block adds it after the selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from cnnstudio.core.blocks import CATEGORIES, all_specs, get_spec
from cnnstudio.core.graph import Edge
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
    assert Edge("fc3", first) in graph.edges
    assert Edge(first, second) in graph.edges
    assert graph.node(first).position == (2600.0, 0.0)
    assert graph.node(second).position == (2800.0, 0.0)
    assert scene.selected_node_ids() == [second]
    assert canvas.stack.count() == 2
    canvas.stack.undo()
    assert second not in graph
    assert Edge("fc3", first) in graph.edges


def test_add_after_selection_avoids_occupied_spots(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    scene.select_nodes(["conv1"])
    added = scene.add_block_after_selection("BatchNorm2d", QPointF(0, 500))
    assert Edge("conv1", added) in graph.edges
    assert graph.node(added).position == (400.0, 120.0)  # relu1 holds (400, 0)


def test_add_after_selection_leaves_a_misfit_unconnected(qtbot, make_canvas, graph_from_example):
    canvas = make_canvas(graph_from_example("lenet5"))
    scene, graph = canvas.scene, canvas.graph
    scene.select_nodes(["conv1"])
    with qtbot.waitSignal(scene.status_message) as blocker:
        added = scene.add_block_after_selection("Linear", QPointF(100, 500))
    assert added == "linear"
    assert graph.inputs_of("linear") == []
    assert graph.node("linear").position == (100.0, 500.0)
    assert "unconnected" in blocker.args[0]
    assert "Flatten" in blocker.args[0]
    assert canvas.stack.count() == 1


def test_add_after_selection_without_selection_adds_at_the_point(
    qtbot, make_canvas, graph_from_example
):
    canvas = make_canvas(graph_from_example("lenet5"))
    added = canvas.scene.add_block_after_selection("Add", QPointF(10, 300))
    assert canvas.graph.node(added).position == (10.0, 300.0)
    assert canvas.graph.inputs_of(added) == []
