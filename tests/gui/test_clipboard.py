"""Copy, cut, paste and duplicate of blocks, within a window, between windows and as text."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QCursor, QGuiApplication

from cnnstudio.core.graph import Edge
from cnnstudio.gui import settings
from cnnstudio.gui.clipboard import MIME_TYPE, ClipboardError, free_id, parse_fragment
from cnnstudio.gui.main_window import MainWindow

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def make_window(qtbot, monkeypatch):
    monkeypatch.setattr(settings, "_MEMORY", {})

    def make() -> MainWindow:
        w = MainWindow()
        qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
        w.resize(900, 600)
        w.show()
        qtbot.waitExposed(w)
        return w

    return make


def _copy(window: MainWindow, ids: list[str]) -> None:
    window.scene.select_nodes(ids)
    window.action_copy.trigger()


def _point_at(window: MainWindow, x: float, y: float) -> None:
    """Put the mouse over scene point (x, y) of the window's canvas."""
    view = window.view
    view.centerOn(x, y)
    QCursor.setPos(view.viewport().mapToGlobal(view.mapFromScene(x, y)))


def test_copy_puts_json_with_its_own_mime_type_and_as_text(make_window) -> None:
    window = make_window()
    _copy(window, ["conv1", "relu1"])
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasFormat(MIME_TYPE)
    doc = json.loads(mime.text())
    assert doc["format"] == "cnnstudio-nodes"
    assert [n["id"] for n in doc["nodes"]] == ["conv1", "relu1"]
    assert doc["edges"] == [{"source": "conv1", "target": "relu1", "target_port": 0}]
    assert json.loads(bytes(mime.data(MIME_TYPE).data())) == doc


def test_paste_between_two_windows_with_new_ids_internal_edges_one_step(make_window) -> None:
    source, target = make_window(), make_window()
    _copy(source, ["conv2", "relu2", "pool2"])
    _point_at(target, 300.0, 400.0)
    before = len(target.document.graph)
    target.action_paste.trigger()
    assert len(target.document.graph) == before + 3
    new = target.scene.selected_node_ids()
    assert new == ["conv3", "relu5", "pool3"]  # free ids next to the existing ones
    edges = set(target.document.graph.edges)
    assert Edge("conv3", "relu5") in edges
    assert Edge("relu5", "pool3") in edges
    assert not target.document.graph.inputs_of("conv3")  # the wire from outside was not copied
    assert target.document.graph.node("conv3").params == source.document.graph.node("conv2").params
    xs = [target.document.graph.node(n).position[0] for n in new]
    ys = [target.document.graph.node(n).position[1] for n in new]
    assert (min(xs) + max(xs)) / 2 == pytest.approx(300.0, abs=3)  # centred on the mouse
    assert (min(ys) + max(ys)) / 2 == pytest.approx(400.0, abs=3)
    assert target.document.undo_stack.count() == 1
    target.action_undo.trigger()
    assert len(target.document.graph) == before
    assert len(source.document.graph) == before  # the source window is untouched


def test_paste_away_from_the_canvas_lands_beside_the_originals(make_window) -> None:
    window = make_window()
    _copy(window, ["fc3", "out"])
    QCursor.setPos(-500, -500)  # Ctrl+V with the mouse over another panel
    x0, y0 = window.document.graph.node("fc3").position
    for step in (1, 2):  # a second paste does not cover the first
        window.action_paste.trigger()
        new_fc, new_out = window.scene.selected_node_ids()
        assert window.document.graph.node(new_fc).position == (x0 + 40 * step, y0 + 40 * step)
        assert Edge(new_fc, new_out) in window.document.graph.edges
    assert window.document.undo_stack.count() == 2


def test_paste_plain_text_json_from_a_text_editor(make_window) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setText(
        '{"format": "cnnstudio-nodes", "version": 1, "nodes": ['
        '{"id": "extra", "type": "Dropout", "params": {"p": 0.25}, "position": [0, 0]}],'
        '"edges": []}'
    )
    QGuiApplication.clipboard().setMimeData(mime)
    window.action_paste.trigger()
    assert window.document.graph.node("extra").params == {"p": 0.25}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "not JSON"),
        ('{"a": 1}', "no cnnstudio blocks"),
        (
            '{"format": "cnnstudio-nodes", "version": 1, "nodes": '
            '[{"id": "d", "type": "Dropout", "params": {"p": 3}}]}',
            "graph.nodes[0].params.p",
        ),
    ],
)
def test_pasting_something_else_changes_nothing_and_says_why(make_window, text, message) -> None:
    window = make_window()
    QGuiApplication.clipboard().setText(text)
    window.action_paste.trigger()
    assert len(window.document.graph) == 14
    assert window.document.undo_stack.count() == 0
    assert message in window.statusBar().currentMessage()


def test_cut_then_paste_restores_the_blocks(make_window) -> None:
    window = make_window()
    window.scene.select_nodes(["fc2", "relu4"])
    window.action_cut.trigger()
    assert "fc2" not in window.document.graph
    assert window.document.undo_stack.count() == 1
    window.action_paste.trigger()
    assert "fc2" in window.document.graph  # the ids are free again, so they are kept
    assert Edge("fc2", "relu4") in window.document.graph.edges


def test_duplicate_is_one_step_beside_the_original(make_window) -> None:
    window = make_window()
    QGuiApplication.clipboard().setText("kept")
    window.scene.select_nodes(["conv1", "relu1"])
    window.action_duplicate.trigger()
    new = window.scene.selected_node_ids()
    assert new == ["conv3", "relu5"]
    assert Edge("conv3", "relu5") in window.document.graph.edges
    x0, y0 = window.document.graph.node("conv1").position
    x1, y1 = window.document.graph.node(new[0]).position
    assert (x1 - x0, y1 - y0) == (40.0, 40.0)
    assert window.document.undo_stack.count() == 1
    assert QGuiApplication.clipboard().text() == "kept"  # duplicating leaves the clipboard alone


def test_free_id_and_parse_fragment() -> None:
    assert free_id("conv1", {"conv1", "conv2"}) == "conv3"
    assert free_id("input", set()) == "input"
    assert free_id("input", {"input"}) == "input1"
    with pytest.raises(ClipboardError, match="no cnnstudio blocks"):
        parse_fragment("[]")
