"""A run's network restored (as a new project, or in place of the current one, undoably) and
the architecture diff drawn over the canvas, from the Runs tab and from File > Compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QMessageBox

from cnnstudio.core.commands import AddNode, RemoveNode, SetParams
from cnnstudio.core.graph import Node
from cnnstudio.gui.editor.diff_overlay import ADDED, CHANGED, REMOVED, DiffMark
from cnnstudio.gui.editor.node_item import NodeItem
from cnnstudio.train.trainer import train

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _trained_run(window: Any) -> Path:
    """One real epoch of the window's project, in the folder the Runs tab lists."""
    result = train(
        window.document.snapshot(), run_dir=window.dashboard.runs_folder().parent, epochs=1
    )
    assert result.run_dir is not None
    return result.run_dir


def _select_run(qtbot: Any, panel: Any, run: Path) -> None:
    panel.window().dashboard.tabs.setCurrentWidget(panel)  # shown: the list is read
    table, proxy = panel.table, panel.proxy
    row = next(
        r
        for r in range(proxy.rowCount())
        if panel.model.records[proxy.mapToSource(proxy.index(r, 0)).row()].path == run
    )
    pos = table.visualRect(proxy.index(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _marks(window: Any) -> list[DiffMark]:
    return [i for i in window.scene.items() if isinstance(i, DiffMark)]


def _lines(panel: Any) -> list[str]:
    return [panel.diff_list.item(i).text() for i in range(panel.diff_list.count())]


def test_a_run_replaces_the_network_undoably_and_opens_as_a_new_project(
    qtbot, window, dashboard, click, answer
) -> None:
    run = _trained_run(window)
    document = window.document
    trained = document.graph.copy()
    shown = window.scene.node_item("conv1").summary  # what the block says of its parameters
    assert document.push(SetParams("conv1", {"out_channels": 8})) is None
    assert document.push(RemoveNode("relu4")) is None
    document.set_section("training", {**document.section("training"), "lr": 0.01}, "Set lr")
    edited = document.project.to_dict()
    steps = document.undo_stack.count()
    panel = dashboard.runs_panel
    _select_run(qtbot, panel, run)

    click("runsReplace")
    assert document.graph.node("conv1").params == trained.node("conv1").params
    assert "relu4" in document.graph
    assert sorted(document.graph.edges) == sorted(trained.edges)
    assert document.project.training["lr"] == 0.003
    assert document.undo_stack.count() == steps + 1  # one step: network and settings
    assert window.scene.node_item("conv1").summary == shown
    window.action_undo.trigger()
    assert document.project.to_dict() == edited  # the design exactly, positions and order too
    assert "relu4" not in [i.node_id for i in window.scene.node_items()]
    window.action_redo.trigger()
    assert document.graph.node("conv1").params == trained.node("conv1").params

    asked = answer(QMessageBox.StandardButton.Discard)
    menu = panel.context_menu()  # what a right click on the run offers
    offered = {a.text(): a for a in menu.actions()}
    assert {"Open network", "Replace current network", "Diff with current"} <= set(offered)
    offered["Open network"].trigger()
    assert asked == ["Unsaved changes"]
    restored = window.document
    assert restored is not document
    assert restored.path is None
    assert not restored.modified
    assert restored.graph.node("conv1").params == trained.node("conv1").params
    assert restored.project.training["lr"] == 0.003
    assert window.scene.node_item("conv1").summary == shown


def test_diff_with_current_colours_the_canvas_and_lists_the_changes(
    qtbot, window, dashboard, click
) -> None:
    run = _trained_run(window)
    document = window.document
    ghost_at = document.graph.node("relu4").position
    assert document.push(SetParams("conv1", {"out_channels": 8})) is None
    assert document.push(RemoveNode("relu4")) is None
    assert document.push(AddNode(Node("drop", "Dropout", {}, (800.0, 280.0)))) is None
    panel = dashboard.runs_panel
    _select_run(qtbot, panel, run)
    nodes_before = {i for i in window.scene.items() if isinstance(i, NodeItem)}

    click("runsDiff")
    style = window.scene.look.paints.style
    marks = {(m.kind, m.node or m.edge): m for m in _marks(window)}
    changed = marks[(CHANGED, "conv1")]
    assert changed.color == QColor(style.diff_changed)
    assert "out_channels 6 -> 8" in changed.toolTip()
    centre = window.scene.node_item("conv1").sceneBoundingRect().center()
    hovered = next(i for i in window.scene.items(centre) if i.toolTip())
    assert hovered is changed  # what the canvas shows on hover
    assert marks[(ADDED, "drop")].color == QColor(style.diff_added)
    ghost = marks[(REMOVED, "relu4")]
    assert ghost.color == QColor(style.diff_removed)
    assert ghost.pen().style() == Qt.PenStyle.DashLine
    assert ghost.sceneBoundingRect().contains(QPointF(*ghost_at))
    assert not ghost.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
    assert ghost.acceptedMouseButtons() == Qt.MouseButton.NoButton
    removed_wires = [m for m in _marks(window) if m.kind == REMOVED and m.edge is not None]
    assert {(e.edge.source, e.edge.target) for e in removed_wires} == {
        ("fc2", "relu4"),
        ("relu4", "fc3"),
    }
    assert all(m.pen().style() == Qt.PenStyle.DashLine for m in removed_wires)
    assert {i for i in window.scene.items() if isinstance(i, NodeItem)} == nodes_before
    assert "relu4" not in document.graph  # the graph is untouched

    lines = _lines(panel)
    assert lines[:3] == ["+ drop (Dropout)", "- relu4 (ReLU)", "~ conv1: out_channels 6 -> 8"]
    view = window.view
    qtbot.mouseClick(
        panel.diff_list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.diff_list.visualItemRect(panel.diff_list.item(2)).center(),
    )
    assert window.scene.selected_node_ids() == ["conv1"]
    qtbot.mouseClick(
        panel.diff_list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.diff_list.visualItemRect(panel.diff_list.item(1)).center(),
    )
    assert window.scene.selected_node_ids() == []
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert seen.contains(ghost.sceneBoundingRect().center())

    view.setFocus()
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Escape)
    assert _marks(window) == []
    assert _lines(panel) == []
    click("runsDiff")
    assert _marks(window)
    click("runsClearDiff")
    assert _marks(window) == []
    assert not panel.clear_diff_button.isEnabled()
    click("runsDiff")
    assert document.push(SetParams("conv1", {"out_channels": 10})) is None  # any edit clears
    assert _marks(window) == []
    assert _lines(panel) == []


def test_two_runs_and_two_files_are_compared_over_the_canvas(
    qtbot, window, dashboard, click, monkeypatch, tmp_path
) -> None:
    first = _trained_run(window)
    document = window.document
    assert document.push(SetParams("fc1", {"out_features": 100})) is None
    second = _trained_run(window)
    panel = dashboard.runs_panel
    _select_run(qtbot, panel, first)
    table = panel.table
    rows = [panel.proxy.index(r, 0) for r in range(2)]
    qtbot.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        table.visualRect(
            next(i for i in rows if not table.selectionModel().isSelected(i))
        ).center(),
    )
    assert [r.path for r in panel.selected_runs()] == [first, second]
    assert panel.diff_button.text() == "Diff selected runs"
    click("runsDiff")
    assert _lines(panel)[0] == "~ fc1: out_features 120 -> 100"
    assert [m.kind for m in _marks(window) if m.node == "fc1"] == [CHANGED]

    saved = Path(document.path)
    assert document.push(SetParams("conv2", {"out_channels": 20})) is None  # clears the diff
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(saved)], ""))
    window.action_compare.trigger()
    assert dashboard.tabs.currentWidget() is panel
    assert "~ conv2: out_channels 16 -> 20" in _lines(panel)
    assert {m.node for m in _marks(window) if m.kind == CHANGED} == {"fc1", "conv2"}

    other = tmp_path / "other.cnnstudio"
    document.save(other)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(saved), str(other)], "")
    )
    window.action_compare.trigger()
    assert document.comparison is not None
    assert (document.comparison.old_name, document.comparison.new_name) == (
        saved.name,
        other.name,
    )
