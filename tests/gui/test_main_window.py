"""The main window as a user meets it: layout, actions, status bar, issues, templates, theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QWidget

import cnnstudio.gui
from cnnstudio.core.commands import Disconnect, Move, SetParams
from cnnstudio.core.graph import Edge
from cnnstudio.core.project import graph_to_dict, load_project
from cnnstudio.gui import settings, theme
from cnnstudio.gui.editor import style as canvas_style
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import TEMPLATES, examples_dir

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

ACTIONS = (
    "actionNew",
    "actionOpen",
    "actionSave",
    "actionSaveAs",
    "actionUndo",
    "actionRedo",
    "actionCopy",
    "actionPaste",
    "actionDelete",
    "actionAutoLayout",
    "actionFitView",
)


@pytest.fixture
def window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(settings, "_MEMORY", {})
    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    return w


def test_public_names_tests_rely_on(window: MainWindow) -> None:
    assert cnnstudio.gui.MainWindow is MainWindow
    assert window.objectName() == "mainWindow"
    for name in ("palette", "canvas", "inspector", "issuesList"):
        assert window.findChild(QWidget, name) is not None, name
    for name in ACTIONS:
        action = window.findChild(type(window.action_new), name)
        assert action is not None, name
        assert action.text()
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Help"]  # no empty placeholder menus


def test_opens_on_the_lenet_example_as_an_unsaved_copy(window: MainWindow) -> None:
    example = load_project(examples_dir() / "lenet5.cnnstudio")
    assert graph_to_dict(window.document.graph) == graph_to_dict(example.graph)
    assert window.document.project.path is None
    assert window.windowTitle().startswith("LeNet-5[*]")
    assert not window.isWindowModified()


def test_standard_shortcuts(window: MainWindow) -> None:
    def keys(action) -> list[str]:
        return [s.toString() for s in action.shortcuts()]

    assert "Ctrl+S" in keys(window.action_save)
    assert "Ctrl+Z" in keys(window.action_undo)
    assert "Ctrl+V" in keys(window.action_paste)
    assert "Del" in keys(window.action_delete)
    assert "Shift+A" in keys(window.action_quick_add)
    assert "Ctrl+0" in keys(window.action_fit)


def test_status_bar_shows_params_macs_errors_and_zoom(qtbot, window: MainWindow) -> None:
    summary = window.summary
    assert summary.params.text() == "Params 61.7 k"
    assert summary.macs.text() == "MACs 417 k"
    assert summary.issues.text() == "No errors"
    window.document.push(SetParams("fc1", {"out_features": 1000}))
    qtbot.waitUntil(lambda: summary.params.text() == "Params 489 k")
    window.document.push(Disconnect(Edge("input", "conv1")))
    qtbot.waitUntil(lambda: summary.issues.text().startswith("1 error"))
    assert summary.params.text() == "Params 0"  # nothing reaches the Output with known shapes
    window.view.set_zoom(0.5)
    assert summary.zoom.text() == "Zoom 50 %"


def test_issues_list_click_selects_and_centres_the_node(qtbot, window: MainWindow) -> None:
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.document.push(Disconnect(Edge("relu4", "fc3")))
    issues = window.findChild(QListWidget, "issuesList")
    qtbot.waitUntil(lambda: issues.count() > 0)
    assert (
        window.issues_dock.windowTitle()
        == f"Issues ({len(window.document.analysis.analysis.issues)})"
    )
    messages = [issues.item(i).text() for i in range(issues.count())]
    row = next(i for i, m in enumerate(messages) if m.startswith("fc3 (Linear)"))
    assert issues.item(row).icon().cacheKey() == theme.icon("error").cacheKey()
    window.view.centerOn(0, 0)
    rect = issues.visualItemRect(issues.item(row))
    qtbot.mouseClick(issues.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["fc3"]
    assert window.inspector.node_id == "fc3"
    centre = window.view.viewport().rect().center()
    node = window.view.mapFromScene(window.scene.node_item("fc3").sceneBoundingRect().center())
    assert abs(centre.x() - node.x()) <= 3  # viewport pixels
    assert abs(centre.y() - node.y()) <= 3


def test_selection_drives_the_inspector_and_edit_actions(window: MainWindow) -> None:
    assert not window.action_copy.isEnabled()
    window.scene.select_nodes(["conv2"])
    assert window.inspector.node_id == "conv2"
    assert window.action_copy.isEnabled()
    assert window.action_delete.isEnabled()
    window.action_select_all.trigger()
    assert len(window.scene.selected_node_ids()) == len(window.document.graph)
    window.action_delete.trigger()
    assert len(window.document.graph) == 0
    assert window.document.undo_stack.count() == 1
    window.action_undo.trigger()
    assert len(window.document.graph) == 14


def test_modified_marker_follows_the_undo_stacks_clean_state(window: MainWindow) -> None:
    assert not window.isWindowModified()
    window.document.push(Move({"conv1": (210.0, 30.0)}))
    assert window.isWindowModified()
    assert window.action_undo.text() == "&Undo Move conv1"
    window.action_undo.trigger()
    assert not window.isWindowModified()
    window.action_redo.trigger()
    assert window.isWindowModified()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_templates_create_the_expected_graph(window: MainWindow, template) -> None:
    action = window.findChild(type(window.action_new), f"actionTemplate_{template.key}")
    assert action in window.template_menu.actions()
    old_graph = window.document.graph
    action.trigger()
    assert window.document.graph is not old_graph
    assert window.scene.graph is window.document.graph
    if template.build is not None:
        built = template.build().graph
        assert graph_to_dict(window.document.graph) == graph_to_dict(built)
    elif template.example is None:
        assert len(window.document.graph) == 0
        assert window.document.project.name == "Untitled"
    else:
        example = load_project(examples_dir() / f"{template.example}.cnnstudio")
        assert graph_to_dict(window.document.graph) == graph_to_dict(example.graph)
        assert len(window.scene.node_items()) == len(example.graph)
    assert window.document.project.path is None
    assert window.document.undo_stack.count() == 0
    assert not window.isWindowModified()


def test_new_is_a_blank_project(window: MainWindow) -> None:
    window.action_new.trigger()
    assert len(window.document.graph) == 0
    assert window.inspector.node_id is None
    assert window.summary.issues.text().startswith("2 errors")  # no Input, no Output


def test_auto_layout_and_fit_are_one_step_each(window: MainWindow) -> None:
    window.document.push(Move({"conv1": (500.0, 500.0)}))
    window.action_auto_layout.trigger()
    assert window.document.graph.node("conv1").position == (200.0, 0.0)
    assert window.document.undo_stack.count() == 2
    window.action_fit.trigger()
    window.action_zoom_in.trigger()
    assert window.summary.zoom.text() == f"Zoom {window.view.zoom_percent} %"


def test_theme_switch_changes_palette_icons_and_canvas(window: MainWindow) -> None:
    app = QApplication.instance()
    try:
        window.action_dark.trigger()
        assert theme.current_theme() is theme.DARK
        assert window.scene.look.paints.style is canvas_style.DARK
        assert app.palette().window().color().name() == theme.DARK.window
        assert theme.DARK.base in app.styleSheet()
        assert window.settings.value("theme") == "dark"
        window.action_dark.trigger()
        assert theme.current_theme() is theme.LIGHT
        assert window.scene.look.paints.style is canvas_style.LIGHT
    finally:
        theme.apply_theme(app, "light")
        app.setStyleSheet("")


def test_bottom_dock_is_free_for_the_dashboard(window: MainWindow) -> None:
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    editor_docks = (window.palette_dock, window.inspector_dock, window.issues_dock)
    assert all(window.dockWidgetArea(d) != bottom for d in editor_docks)
    label = QLabel("training")
    dock = window.add_bottom_dock(label, "Training")
    assert window.dockWidgetArea(dock) == bottom
    assert dock.widget() is label
    assert dock.toggleViewAction() in window.view_menu.actions()


def test_dock_layout_and_geometry_are_remembered(qtbot, window: MainWindow) -> None:
    window.issues_dock.hide()
    window.resize(700, 500)
    window.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.issues_dock.isHidden()
    assert second.size() == window.size()
    second.reset_layout()
    assert not second.issues_dock.isHidden()


def test_read_only_guard_disables_edits(window: MainWindow) -> None:
    window.document.push(SetParams("fc1", {"out_features": 99}))
    guard = window.document.guard
    guard.set_read_only("training is running")
    assert not window.action_undo.isEnabled()
    assert not window.action_paste.isEnabled()
    window.undo()
    assert window.document.graph.node("fc1").params["out_features"] == 99
    assert "training is running" in window.statusBar().currentMessage()
    guard.set_read_only(None)
    assert window.action_undo.isEnabled()


def test_palette_double_click_adds_after_the_selection(window: MainWindow) -> None:
    window.scene.select_nodes(["relu4"])
    window.block_palette.block_activated.emit("Dropout")
    assert "dropout_1" in window.document.graph
    assert Edge("relu4", "dropout_1") in window.document.graph.edges
    assert window.scene.selected_node_ids() == ["dropout_1"]
    assert window.scene.node_item("dropout_1").pos() != QPointF(0, 0)


def test_redo_answers_ctrl_y_and_ctrl_shift_z_everywhere(window: MainWindow) -> None:
    keys = window.action_redo.shortcuts()
    assert QKeySequence("Ctrl+Y") in keys
    assert QKeySequence("Ctrl+Shift+Z") in keys


def test_one_missing_wire_is_one_row_of_issues_not_one_per_block(qtbot, window: MainWindow) -> None:
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.document.push(Disconnect(Edge("fc3", "out")))
    issues = window.issues
    qtbot.waitUntil(lambda: issues.count() > 0)
    texts = [issues.item(i).text() for i in range(issues.count())]
    warnings = window.document.analysis.analysis.warnings
    assert len(warnings) == 13  # every block before the cut is ignored ...
    assert len(texts) == 2  # ... and the list says so once, after the error
    assert texts[0].startswith("out (Output)")
    assert texts[1].startswith("13 blocks: not connected to the Output; ignored (input, conv1")
    assert window.issues_dock.windowTitle() == "Issues (14)"
    rect = issues.visualItemRect(issues.item(1))
    qtbot.mouseClick(issues.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == [w.node for w in warnings]


def test_a_problem_picked_when_zoomed_out_is_shown_readable(qtbot, window: MainWindow) -> None:
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.view.set_zoom(0.2)
    window.show_node("fc2")
    assert window.view.zoom_percent == 100
    assert window.scene.selected_node_ids() == ["fc2"]


def test_title_names_a_saved_project_once(window: MainWindow, tmp_path) -> None:
    window.new_project("blank")
    assert window.save_project(tmp_path / "mine.cnnstudio")
    assert window.windowTitle() == "mine.cnnstudio[*] — cnnstudio"
