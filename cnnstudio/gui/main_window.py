"""The main window: the shell that lays the views out and swaps documents.

The canvas sits in the centre, block palette, inspector and issues in docks, the training
dashboard in the bottom dock area (``add_bottom_dock``). The window holds one ``Document`` at a
time and hands it to every view (``document_changed``); New and Open make a new document and
a scene around its graph; a failed open leaves the current document untouched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QCursor,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.commands import Command, Macro
from cnnstudio.core.diff import Comparison
from cnnstudio.core.errors import CnnStudioError, GraphError, ProjectFileError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.groups import GroupNodes, Ungroup, boundary
from cnnstudio.core.project import EXTENSION, VERSION, Project, load_project
from cnnstudio.core.recovery import RecoveredProject
from cnnstudio.gui import clipboard, theme
from cnnstudio.gui.autosave import Autosaver
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.breadcrumb import Breadcrumb
from cnnstudio.gui.editor.group_item import free_definition_name
from cnnstudio.gui.editor.node_item import DETAIL_LOD
from cnnstudio.gui.editor.palette import BlockPalette
from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.view import GraphView
from cnnstudio.gui.export_menu import install_export_menu
from cnnstudio.gui.help import install_help_menu
from cnnstudio.gui.import_dialog import ImportDialog, ModelImporter
from cnnstudio.gui.inspector import Inspector
from cnnstudio.gui.issues import IssuesList
from cnnstudio.gui.preview.install import install_preview
from cnnstudio.gui.quick_add import QuickAdd
from cnnstudio.gui.settings import Settings, data_dir
from cnnstudio.gui.summary_bar import SummaryBar
from cnnstudio.gui.templates import DEFAULT_TEMPLATE, TEMPLATES, new_project
from cnnstudio.gui.training.install import install_dashboard
from cnnstudio.train.run_history import run_project

STATE_VERSION = 1  # bump when the docks change so an old saved layout is not applied
FILE_FILTER = f"cnnstudio projects (*{EXTENSION});;All files (*)"
DUPLICATE_OFFSET = (40.0, 40.0)
# A network too big to fit at this zoom opens showing its start instead of all of it unreadably.
# Zoomed out, blocks show only their id and shape, in labels kept large enough down to here.
READABLE_ZOOM = 0.4
VIEW_MARGIN = 40.0


def _describe_open_error(path: str, exc: Exception) -> str:
    if isinstance(exc, ProjectFileError):
        where = f"\nWhere: {exc.json_path}" if exc.json_path else ""
        return f"File: {exc.file}{where}\nProblem: {exc.reason}"
    return f"File: {path}\nProblem: {exc}"


def _upgrade_note(project: Project) -> str:
    """What the status bar adds when an older file was opened (it is upgraded in memory only)."""
    if project.upgraded_from is None:
        return ""
    return (
        f": a version {project.upgraded_from} file, upgraded to version {VERSION}; saving writes "
        f"version {VERSION}"
    )


class MainWindow(QMainWindow):
    """``MainWindow(path)`` opens ``path``; with no path, an unsaved copy of the LeNet-5 example."""

    document_changed = Signal(object)  # Document: New/Open replaced the document and scene

    def __init__(self, project_path: str | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(theme.app_icon())
        self.setAcceptDrops(True)
        self.settings = Settings()
        self.document = Document(Project(), self)
        self.scene: GraphScene | None = None
        self._themed: list[tuple[QAction, str]] = []
        self._view_pending = True
        self._import_progress: QProgressDialog | None = None

        self.view = GraphView(None, self)
        self.view.setObjectName("canvas")
        self.view.installEventFilter(self)
        self.view.refit_wanted.connect(self.show_start, Qt.ConnectionType.QueuedConnection)
        self.breadcrumb = Breadcrumb()
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.breadcrumb)
        centre_layout.addWidget(self.view, 1)
        self.setCentralWidget(centre)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.block_palette = BlockPalette()
        self.inspector = Inspector()
        self.issues = IssuesList()
        self.palette_dock = self._dock(
            self.block_palette, "Blocks", Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector_dock = self._dock(
            self.inspector, "Inspector", Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.issues_dock = self._dock(self.issues, "Issues", Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.inspector_dock, self.issues_dock, Qt.Orientation.Vertical)
        self.resizeDocks(
            [self.palette_dock, self.inspector_dock], [210, 330], Qt.Orientation.Horizontal
        )
        self.summary = SummaryBar()
        self.statusBar().addPermanentWidget(self.summary)
        self.quick_add_popup = QuickAdd(self)
        self._quick_add_at = QPointF()

        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._connect()
        self._restore_layout()
        self._install_dashboard()
        self.preview = install_preview(self)
        self.importer = ModelImporter(data_dir() / "imports", self)
        self.importer.imported.connect(self._imported)
        self.importer.failed.connect(self._import_failed)
        self.autosaver = Autosaver(data_dir(), self.settings.autosave_interval_s(), self)
        self.autosaver.failed.connect(self.show_message)
        self.document_changed.connect(self.autosaver.set_document)

        project = self._load(project_path) if project_path is not None else None
        self._set_document(
            project or new_project(DEFAULT_TEMPLATE if project_path is None else "blank")
        )
        if project is not None and project.upgraded_from is not None:
            self.show_message(f"Opened {project_path}{_upgrade_note(project)}")

    # ---- construction -----------------------------------------------------------------------
    def _dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{widget.objectName()}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(
        self,
        name: str,
        text: str,
        slot: object,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: str | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            keys = (
                QKeySequence.keyBindings(shortcut)
                if isinstance(shortcut, QKeySequence.StandardKey)
                else [QKeySequence(shortcut)]
            )
            action.setShortcuts(keys)
        if icon is not None:
            self.theme_icon(action, icon)
        hint = tip or text.replace("&", "").rstrip(".")
        if action.shortcut().toString():
            hint += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(hint)
        action.setStatusTip(tip or "")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def theme_icon(self, action: QAction, icon: str) -> None:
        """Give ``action`` the icon ``icon``, redrawn in the colours of each theme chosen."""
        self._themed.append((action, icon))
        action.setIcon(theme.icon(icon))

    def _create_actions(self) -> None:
        a = self._action
        sk = QKeySequence.StandardKey
        self.action_new = a(
            "actionNew",
            "&New",
            lambda: self.new_project("blank"),
            sk.New,
            "new",
            "New blank project",
        )
        self.template_actions = [
            a(
                f"actionTemplate_{t.key}",
                t.label,
                lambda _=False, k=t.key: self.new_project(k),
                tip=t.help,
            )
            for t in TEMPLATES
        ]
        self.action_open = a("actionOpen", "&Open…", self.open_dialog, sk.Open, "open")
        self.action_import = a(
            "actionImportModel",
            "&Import PyTorch Model…",
            self.import_dialog,
            tip="Open a PyTorch nn.Module from a Python file as a new, editable project",
        )
        self.action_compare = a(
            "actionCompareWithFile",
            "Compare with &File…",
            self.compare_with_file,
            tip="Show over the canvas what changed from a project file's network to the current "
            "one (choose two files to compare them with each other)",
        )
        self.action_save = a("actionSave", "&Save", self.save, sk.Save, "save")
        self.action_save_as = a("actionSaveAs", "Save &As…", self.save_as, sk.SaveAs)
        self.action_quit = a("actionQuit", "&Quit", self.close, sk.Quit)
        self.action_undo = a("actionUndo", "&Undo", self.undo, sk.Undo, "undo")
        self.action_redo = a("actionRedo", "&Redo", self.redo, sk.Redo, "redo")
        redo_keys = self.action_redo.shortcuts()  # Ctrl+Y too, as on Windows, on every platform
        redo_keys += [
            k for k in map(QKeySequence, ("Ctrl+Y", "Ctrl+Shift+Z")) if k not in redo_keys
        ]
        self.action_redo.setShortcuts(redo_keys)
        self.action_cut = a("actionCut", "Cu&t", self.cut, sk.Cut, "cut")
        self.action_copy = a("actionCopy", "&Copy", self.copy, sk.Copy, "copy")
        self.action_paste = a("actionPaste", "&Paste", self.paste, sk.Paste, "paste")
        self.action_duplicate = a(
            "actionDuplicate", "D&uplicate", self.duplicate, "Ctrl+D", "duplicate"
        )
        self.action_delete = a("actionDelete", "&Delete", self.delete, sk.Delete, "delete")
        self.action_delete.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)]
        )
        self.action_select_all = a(
            "actionSelectAll", "Select &All", self.select_all, sk.SelectAll, "select-all"
        )
        self.action_quick_add = a(
            "actionQuickAdd",
            "&Add Block…",
            self.quick_add,
            "Shift+A",
            "quick-add",
            "Search for a block and add it at the mouse",
        )
        self.action_auto_layout = a(
            "actionAutoLayout",
            "Auto-&Layout",
            self.auto_layout,
            "Ctrl+Shift+L",
            "layout",
            "Arrange the blocks left to right",
        )
        self.action_zoom_in = a("actionZoomIn", "Zoom &In", self.view.zoom_in, sk.ZoomIn, "zoom-in")
        self.action_zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        self.action_zoom_out = a(
            "actionZoomOut", "Zoom &Out", self.view.zoom_out, sk.ZoomOut, "zoom-out"
        )
        self.action_fit = a(
            "actionFitView", "&Fit Network in View", self.view.fit_all, "Ctrl+0", "fit"
        )
        self.action_dark = a(
            "actionDarkTheme",
            "&Dark Theme",
            self.set_dark_theme,
            "Ctrl+Shift+T",
            "theme",
            "Switch between the light and dark theme",
        )
        self.action_dark.setCheckable(True)
        self.action_dark.setChecked(theme.current_theme().dark)
        self.action_reset_layout = a("actionResetLayout", "&Reset Layout", self.reset_layout)
        self.action_group = a(
            "actionGroup",
            "&Group",
            self.group_selection,
            "Ctrl+G",
            tip="Replace the selected blocks by one group, a new project block",
        )
        self.action_ungroup = a(
            "actionUngroup",
            "U&ngroup",
            self.ungroup_selection,
            "Ctrl+Shift+G",
            tip="Put the selected groups' blocks back in their place",
        )
        self.action_enter_group = a(
            "actionEnterGroup",
            "&Enter Group",
            self.enter_selected_group,
            tip="Show the selected group's inside (double-click does it too; Esc leaves)",
        )
        self.action_leave_group = a(
            "actionLeaveGroup",
            "&Leave Group",
            lambda: self.document.leave(),
            tip="Go back up from the group shown (Esc on the canvas)",
        )
        self.action_expand_group = a(
            "actionExpandGroup",
            "E&xpand Group",
            self.toggle_expanded,
            tip="Show or hide the selected groups' inner blocks in place",
        )

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.action_new)
        self.template_menu = file_menu.addMenu(theme.icon("new"), "New from &Template")
        self.template_menu.setObjectName("menuTemplates")
        self.template_menu.addActions(self.template_actions)
        file_menu.addAction(self.action_open)
        file_menu.addAction(self.action_import)
        self.recent_menu = file_menu.addMenu(theme.icon("recent"), "Open &Recent")
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.action_compare)
        file_menu.addSeparator()
        file_menu.addAction(self.action_save)
        file_menu.addAction(self.action_save_as)
        self.export_menu = install_export_menu(self, file_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)

        edit = bar.addMenu("&Edit")
        edit.addActions([self.action_undo, self.action_redo])
        edit.addSeparator()
        edit.addActions(
            [
                self.action_cut,
                self.action_copy,
                self.action_paste,
                self.action_duplicate,
                self.action_delete,
            ]
        )
        edit.addSeparator()
        edit.addActions([self.action_select_all, self.action_quick_add, self.action_auto_layout])
        edit.addSeparator()
        edit.addActions(
            [
                self.action_group,
                self.action_ungroup,
                self.action_enter_group,
                self.action_leave_group,
                self.action_expand_group,
            ]
        )

        view = bar.addMenu("&View")
        self.view_menu = view
        view.addActions([self.action_zoom_in, self.action_zoom_out, self.action_fit])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.issues_dock):
            view.addAction(dock.toggleViewAction())
        self._docks_end = view.addSeparator()
        view.addAction(self.action_dark)
        view.addAction(self.action_reset_layout)
        self.help_menu = install_help_menu(self)

    def _create_toolbar(self) -> None:
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        new_button = QToolButton()
        new_button.setDefaultAction(self.action_new)
        new_button.setMenu(self.template_menu)
        new_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        bar.addWidget(new_button)
        bar.addActions([self.action_open, self.action_save])
        bar.addSeparator()
        bar.addActions([self.action_undo, self.action_redo])
        bar.addSeparator()
        bar.addActions(
            [
                self.action_quick_add,
                self.action_duplicate,
                self.action_delete,
                self.action_auto_layout,
            ]
        )
        bar.addSeparator()
        bar.addActions([self.action_zoom_out, self.action_zoom_in, self.action_fit])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.action_dark)
        self.toolbar = bar

    def _connect(self) -> None:
        self.view.zoom_changed.connect(self.summary.set_zoom)
        self.view.file_dropped.connect(self._open_later)
        self.block_palette.block_activated.connect(self._add_from_palette)
        self.block_palette.definition_activated.connect(self._add_instance_from_palette)
        self.breadcrumb.crumb_clicked.connect(lambda depth: self.document.leave(depth))
        self.view.customContextMenuRequested.connect(self._canvas_menu)
        self.inspector.status_message.connect(self.show_message)
        self.issues.node_chosen.connect(self.show_node)
        self.issues.nodes_chosen.connect(self.show_nodes)
        self.summary.issues_clicked.connect(self._show_issues)
        self.quick_add_popup.block_chosen.connect(self._quick_add_chosen)

    # ---- document ---------------------------------------------------------------------------
    def _set_document(self, project: Project) -> None:
        """Make ``project`` the window's document (the old one and its scene go away)."""
        old = self.document
        document = Document(project, self)
        self.document = document
        self._show_scope()
        document.scope_changed.connect(self._scope_changed)
        document.history_changed.connect(self._update_undo_actions)
        document.modified_changed.connect(self.setWindowModified)
        document.title_changed.connect(self._update_title)
        document.read_only_changed.connect(self._read_only_changed)
        document.analysis.updated.connect(self._analysis_updated)
        self.inspector.set_document(document)
        self.block_palette.set_document(document)
        old.close()
        old.deleteLater()
        self.setWindowModified(False)
        self._update_title()
        self._analysis_updated()
        self._selection_changed()
        self._update_undo_actions()
        self.document_changed.emit(document)
        if self.isVisible():
            QTimer.singleShot(0, self, self.show_start)
        else:
            self._view_pending = True

    def _show_scope(self) -> None:
        """A new scene for the graph the document edits now (the network, or the inside of the
        group entered), the old one dropped; the breadcrumb shows where the canvas is."""
        old_scene, document = self.scene, self.document
        self.scene = GraphScene(document, self)
        self.scene.set_style(theme.current_theme().canvas)
        self.view.setScene(self.scene)
        self.scene.status_message.connect(self.show_message)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.node_activated.connect(self._node_activated)
        self.scene.nodes_resized.connect(self.view.refit_if_following)
        if old_scene is not None:
            old_scene.detach()
            old_scene.deleteLater()
        self.breadcrumb.set_path(
            [document.name] + [f"{level.instance} ({level.definition})" for level in document.scope]
        )
        self.action_leave_group.setEnabled(bool(document.scope))

    def _scope_changed(self) -> None:
        self._show_scope()
        self._selection_changed()
        self.show_start()

    def _update_title(self) -> None:
        title = self.document.title()
        head, sep, tail = title.partition(" — ")
        self.setWindowTitle(f"{head}[*]{sep}{tail} — cnnstudio")

    def _confirm_discard(self, doing: str) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True means go on."""
        if not self.dashboard.release(doing):  # a run stops first (it asks)
            return False
        if not self.document.modified:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"“{self.document.name}” has unsaved changes. Save them before {doing}?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def new_project(self, template: str = "blank") -> bool:
        """Start an unsaved project from a template ('blank', 'lenet5', 'vgg', ...)."""
        if not self._confirm_discard("starting a new project"):
            return False
        try:
            project = new_project(template)
        except CnnStudioError as exc:
            QMessageBox.critical(self, "Cannot create project", str(exc))
            return False
        self._set_document(project)
        return True

    def open_dialog(self) -> bool:
        if not self._confirm_discard("opening another project"):
            return False
        start = str(self.settings.last_folder())
        path, _ = QFileDialog.getOpenFileName(self, "Open Project", start, FILE_FILTER)
        return bool(path) and self._open_or_report(path)

    def open_project(self, path: str | os.PathLike[str]) -> bool:
        """Open ``path`` (asking first about unsaved changes); on failure the current document
        stays and a dialog names the file, the place in it and the problem."""
        if not self._confirm_discard("opening another project"):
            return False
        return self._open_or_report(path)

    def _load(self, path: str | os.PathLike[str]) -> Project | None:
        """The project at ``path``, or None after showing why it cannot be read."""
        try:
            return load_project(path)
        except Exception as exc:  # a user's file must never end in a traceback
            QMessageBox.critical(self, "Cannot open project", _describe_open_error(str(path), exc))
            if not Path(path).exists():
                self.settings.remove_recent_file(str(Path(path).resolve()))
            return None

    def _open_or_report(self, path: str | os.PathLike[str]) -> bool:
        project = self._load(path)
        if project is None:
            return False
        self._set_document(project)
        self.settings.add_recent_file(path)
        self.show_message(f"Opened {path}{_upgrade_note(project)}")
        return True

    def open_run(self, run: str | os.PathLike[str]) -> bool:
        """Open the network and settings a run trained (its ``config.json``) as a new, unsaved
        project, asking first about unsaved changes as New does."""
        if not self._confirm_discard("opening the run's network"):
            return False
        try:
            project = run_project(Path(run))
        except CnnStudioError as exc:
            QMessageBox.critical(self, "Cannot open the run's network", str(exc))
            return False
        self._set_document(project)
        self.show_message(f"Opened the network of run {Path(run).name} as a new project")
        return True

    def compare_with_file(self) -> bool:
        """Ask for one project file (compared with the current network) or two."""
        start = str(self.settings.last_folder())
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Compare with File (one, or two to compare)", start, FILE_FILTER
        )
        return bool(paths) and self.compare_files(paths)

    def compare_files(self, paths: list[str]) -> bool:
        """Show the architecture diff from ``paths[0]``'s network to the current one, or to
        ``paths[1]``'s, over the canvas and in the Runs tab's list."""
        if len(paths) > 2:
            QMessageBox.warning(
                self,
                "Compare with File",
                f"{len(paths)} files were chosen: choose one to compare with the current "
                "network, or two to compare with each other.",
            )
            return False
        projects = [self._load(p) for p in paths]
        graphs = [p.graph for p in projects if p is not None]
        if len(graphs) != len(paths):
            return False
        names = [Path(p).name for p in paths]
        if len(graphs) == 1:
            graphs.append(self.document.graph)
            names.append("the current network")
        self.document.set_comparison(Comparison.of(graphs[0], graphs[1], names[0], names[1]))
        self.show_message(f"Changes from {names[0]} to {names[1]} (Esc clears them)")
        return True

    def import_dialog(self) -> bool:
        """Ask for a module to import; it opens as a new project once traced (see _imported)."""
        if self.importer.running or not self._confirm_discard("importing a model"):
            return False
        dialog = ImportDialog(self.settings.last_folder(), self)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            request = dialog.request()
        finally:
            dialog.deleteLater()
        self.settings.set_value("last_folder", str(request.file.parent.resolve()))
        self.importer.start(request)
        self.show_message(f"Importing {request.name} from {request.file.name}…")
        self._import_progress = QProgressDialog(
            f"Importing {request.name} from {request.file.name}…\n"
            "Tracing it with torch.fx and checking its outputs.",
            "",
            0,
            0,
            self,
        )
        self._import_progress.setObjectName("importProgress")
        self._import_progress.setWindowTitle("Import")
        self._import_progress.setCancelButton(None)  # the user's code cannot be interrupted
        self._import_progress.setMinimumDuration(300)
        return True

    def _end_import_progress(self) -> None:
        if self._import_progress is not None:
            self._import_progress.close()
            self._import_progress.deleteLater()
            self._import_progress = None

    def _imported(self, project: Project, weights: Path) -> None:
        self._end_import_progress()
        self._set_document(project)
        self.document.adopt_weights(weights)
        self.show_message(
            f"Imported {project.name}: {len(project.graph)} blocks with the module's weights."
        )

    def _import_failed(self, message: str) -> None:
        self._end_import_progress()
        QMessageBox.critical(self, "Cannot import the model", message)

    def restore_recovered(self, recovered: RecoveredProject) -> None:
        """Open an autosave a crash left: modified until saved, and Save writes the user's file."""
        self._set_document(recovered.project)
        self.document.undo_stack.resetClean()
        self.autosaver.save_now()  # safe in this session's slot before the crashed one's goes
        recovered.discard()
        self.show_message(f"Restored the autosave of “{recovered.name}” from {recovered.path}")

    def _open_later(self, path: str) -> None:
        # Dropped files open after the drop has finished, so the dialogs are not nested in it.
        QTimer.singleShot(0, self, lambda: self.open_project(path))

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_project(self.document.path)

    def save_as(self) -> bool:
        start = (
            self.document.path or self.settings.last_folder() / f"{self.document.name}{EXTENSION}"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save Project As", str(start), FILE_FILTER)
        if not path:
            return False
        if not path.endswith(EXTENSION):
            path += EXTENSION
        return self.save_project(path)

    def save_project(self, path: str | os.PathLike[str]) -> bool:
        """Write the project (graph with positions, other sections untouched) atomically."""
        target = Path(path)
        try:
            self.document.save(target)
        except (OSError, CnnStudioError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            QMessageBox.critical(self, "Cannot save project", f"File: {target}\nProblem: {reason}")
            return False
        self.settings.add_recent_file(target)
        self.show_message(f"Saved {target}")
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", self.settings.clear_recent_files)
        else:
            self.recent_menu.addAction("No recent projects").setEnabled(False)

    # ---- editing ----------------------------------------------------------------------------
    def _scene(self) -> GraphScene:
        assert self.scene is not None
        return self.scene

    def undo(self) -> None:
        if self.document.read_only_reason is None:
            self.document.undo_stack.undo()

    def redo(self) -> None:
        if self.document.read_only_reason is None:
            self.document.undo_stack.redo()

    def copy(self) -> bool:
        ids = self._scene().selected_node_ids()
        if not ids:
            self.show_message("Select blocks to copy first.")
            return False
        clipboard.copy_to_clipboard(self.document.editing, ids)
        self.show_message(f"Copied {len(ids)} block{'s' * (len(ids) != 1)}.")
        return True

    def cut(self) -> None:
        if self.copy():
            self._scene().delete_selection()

    def paste(self) -> None:
        try:
            fragment = clipboard.read_fragment(QGuiApplication.clipboard().mimeData())
        except CnnStudioError as exc:
            self.show_message(f"Nothing pasted: {exc}.")
            return
        at = self._mouse_scene_pos()
        self._add_fragment(fragment, at if at is not None else self._scene().paste_spot(fragment))

    def duplicate(self) -> None:
        ids = self._scene().selected_node_ids()
        if not ids:
            self.show_message("Select blocks to duplicate first.")
            return
        graph = self.document.editing
        cx, cy = clipboard.centre_of(graph, ids)
        fragment = clipboard.fragment(graph, ids)
        self._add_fragment(fragment, QPointF(cx + DUPLICATE_OFFSET[0], cy + DUPLICATE_OFFSET[1]))

    def _add_fragment(self, fragment: GraphModel, at: QPointF) -> None:
        command, new_ids = clipboard.paste_command(
            self.document.editing, fragment, (at.x(), at.y())
        )
        message = self.document.push(command)
        if message is not None:
            self.show_message(message)
            return
        self._scene().select_nodes(new_ids)
        self.show_message(command.text)

    def delete(self) -> None:
        self._scene().delete_selection()

    def select_all(self) -> None:
        self._scene().select_nodes([n.id for n in self.document.editing])

    def auto_layout(self) -> None:
        self._scene().auto_layout()
        QTimer.singleShot(0, self.view, self.view.fit_all)

    def quick_add(self) -> None:
        """Open the block search at the mouse (or the canvas centre if the mouse is elsewhere)."""
        self._quick_add_at = self._cursor_scene_pos()
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(self._quick_add_at))
        self.quick_add_popup.popup(global_pos)

    def _quick_add_chosen(self, block_type: str) -> None:
        self._scene().add_block_after_selection(block_type, self._quick_add_at)

    def _add_from_palette(self, block_type: str) -> None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self._scene().add_block_after_selection(block_type, centre)

    def _add_instance_from_palette(self, definition: str) -> None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        scene = self._scene()
        scene.drop_definition(definition, scene.free_spot_near(centre))

    # ---- groups -----------------------------------------------------------------------------
    def group_selection(self) -> bool:
        """Replace the selected blocks by an instance of a new definition, named by the user."""
        ids = self._scene().selected_node_ids()
        graph = self.document.editing
        if not ids:
            self.show_message("Select the blocks to group first.")
            return False
        try:
            boundary(graph, ids)
        except GraphError as exc:
            self.show_message(f"Cannot group: {exc}.")
            return False
        name = self._ask_definition_name(free_definition_name(graph.definitions))
        if name is None:
            return False
        command = GroupNodes(ids, name)
        message = self.document.push(command)
        if message is not None:
            QMessageBox.warning(self, "Cannot group", message)
            return False
        assert command.instance_id is not None
        self._scene().select_nodes([command.instance_id])
        self.show_message(f"Grouped {len(ids)} blocks as {command.instance_id} ({name}).")
        return True

    def _ask_definition_name(self, default: str) -> str | None:
        """The new group's definition name (it becomes a class name in the exported code)."""
        name, ok = QInputDialog.getText(
            self,
            "Group",
            "Name of the new project block (letters, digits and '_'; it is also the class "
            "name in exported code):",
            text=default,
        )
        return name.strip() if ok and name.strip() else None

    def ungroup_selection(self) -> bool:
        ids = [
            n for n in self._scene().selected_node_ids() if self.document.editing.node(n).is_group
        ]
        if not ids:
            self.show_message("Select a group to ungroup first.")
            return False
        command: Command = (
            Ungroup(ids[0])
            if len(ids) == 1
            else Macro(f"Ungroup {len(ids)} groups", [Ungroup(n) for n in ids])
        )
        message = self.document.push(command)
        if message is not None:
            self.show_message(message)
            return False
        self.show_message(command.text)
        return True

    def enter_selected_group(self) -> None:
        groups = self._selected_groups()
        if len(groups) == 1:
            self.enter_group(groups[0])
        else:
            self.show_message("Select one group to enter.")

    def enter_group(self, node_id: str) -> None:
        try:
            self.document.enter(node_id)
        except GraphError as exc:
            self.show_message(str(exc))

    def toggle_expanded(self) -> None:
        """Expand the selected groups, or collapse them if they are all expanded already."""
        scene = self._scene()
        groups = self._selected_groups()
        if not groups:
            self.show_message("Select a group to expand or collapse.")
            return
        expand = not all(scene.node_item(n).expanded for n in groups)  # type: ignore[attr-defined]
        scene.set_expanded(groups, expand)

    def _selected_groups(self) -> list[str]:
        graph = self.document.editing
        return [n for n in self._scene().selected_node_ids() if graph.node(n).is_group]

    def _canvas_menu(self, at: QPoint) -> None:
        """Right-click on the canvas: the edits of what is under the mouse (selected first)."""
        scene = self._scene()
        node = scene.node_at(self.view.mapToScene(at))
        if node is not None and not node.isSelected():
            scene.select_nodes([node.node_id])
        menu = QMenu(self)
        menu.setObjectName("canvasMenu")
        menu.addActions([self.action_cut, self.action_copy, self.action_paste])
        menu.addActions([self.action_duplicate, self.action_delete])
        menu.addSeparator()
        menu.addActions([self.action_group, self.action_ungroup])
        menu.addActions([self.action_enter_group, self.action_expand_group])
        if self.document.scope:
            menu.addAction(self.action_leave_group)
        menu.exec(self.view.viewport().mapToGlobal(at))
        menu.deleteLater()

    def _cursor_scene_pos(self) -> QPointF:
        at = self._mouse_scene_pos()
        return at if at is not None else self.view.mapToScene(self.view.viewport().rect().center())

    def _mouse_scene_pos(self) -> QPointF | None:
        """The scene point under the mouse, or None when the mouse is not over the canvas."""
        viewport = self.view.viewport()
        local = viewport.mapFromGlobal(QCursor.pos())
        return self.view.mapToScene(local) if viewport.rect().contains(local) else None

    def show_start(self) -> None:
        """Fit the network in the canvas, or if it would be too small to read, show its start
        (the top left, where the Input is) at a readable zoom."""
        self.view.fit_all()
        bounds = self._scene().network_rect()
        if bounds.isNull() or self.view.zoom_percent >= READABLE_ZOOM * 100:
            return
        self.view.set_zoom(READABLE_ZOOM)
        seen = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        x, y = bounds.center().x(), bounds.center().y()
        if bounds.width() + 2 * VIEW_MARGIN > seen.width():
            x = bounds.left() - VIEW_MARGIN + seen.width() / 2
        if bounds.height() + 2 * VIEW_MARGIN > seen.height():
            y = bounds.top() - VIEW_MARGIN + seen.height() / 2
        self.view.centerOn(x, y)

    def show_node(self, node_id: str) -> None:
        """Select ``node_id`` and bring it to the middle of the canvas, zoomed in to be read."""
        self.show_nodes([node_id])

    def show_nodes(self, node_ids: list[str]) -> None:
        """Select the nodes and bring them to the middle of the canvas (the first one, if they
        do not fit), zoomed in far enough to show their details. Ids are paths from the network
        (analysis names a block inside a group ``layer1.0/conv2``): the canvas goes there."""
        paths = [n.split("/") for n in node_ids]
        if paths:
            self._go_to(paths[0][:-1])
            node_ids = [p[-1] for p in paths if p[:-1] == paths[0][:-1]]
        present = [n for n in node_ids if n in self.document.editing]
        if not present:
            return
        scene = self._scene()
        scene.select_nodes(present)
        self.view.following_fit = False  # the user asked for these nodes: keep them in view
        if self.view.zoom_percent < DETAIL_LOD * 100:  # blocks show their parameters again
            self.view.set_zoom(1.0)
        bounds = QRectF()
        for node_id in present:
            bounds = bounds.united(scene.node_item(node_id).sceneBoundingRect())
        seen = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        fits = bounds.width() <= seen.width() and bounds.height() <= seen.height()
        self.view.centerOn(bounds.center() if fits else scene.node_item(present[0]).pos())

    def _go_to(self, instances: list[str]) -> None:
        """Show the inside of the group at path ``instances`` (empty: the network); a step that
        names a repetition (``layer1.0``) enters the repeated group."""
        document = self.document
        if [level.instance for level in document.scope] == instances:
            return
        document.leave(0)
        for step in instances:
            graph = document.editing
            node_id = step if step in graph else re.sub(r"\.\d+$", "", step)
            if node_id not in graph or not graph.node(node_id).is_group:
                return
            document.enter(node_id)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    # ---- follow the document ----------------------------------------------------------------
    def _analysis_updated(self) -> None:
        analysis = self.document.analysis.analysis
        self.summary.set_analysis(analysis)
        self.issues.set_analysis(analysis)
        count = len(analysis.issues)
        self.issues_dock.setWindowTitle(f"Issues ({count})" if count else "Issues")

    def _selection_changed(self) -> None:
        if self.scene is None:
            return
        has_nodes = bool(self.scene.selected_node_ids())
        for action in (
            self.action_copy,
            self.action_cut,
            self.action_duplicate,
            self.action_group,
        ):
            action.setEnabled(has_nodes)
        groups = bool(self._selected_groups())
        for action in (self.action_ungroup, self.action_enter_group, self.action_expand_group):
            action.setEnabled(groups)
        self.action_delete.setEnabled(bool(self.scene.selectedItems()))
        self._apply_read_only()

    def _update_undo_actions(self) -> None:
        stack = self.document.undo_stack
        self.action_undo.setText(f"&Undo {stack.undoText()}".rstrip())
        self.action_redo.setText(f"&Redo {stack.redoText()}".rstrip())
        self._apply_read_only()

    def _read_only_changed(self, reason: str | None) -> None:
        self._apply_read_only()
        if reason:
            self.show_message(f"Editing is paused while {reason}.")

    def _apply_read_only(self) -> None:
        """Undo/Redo and the edits that change the network are off while the guard is set."""
        free = self.document.read_only_reason is None
        stack = self.document.undo_stack
        self.action_undo.setEnabled(free and stack.canUndo())
        self.action_redo.setEnabled(free and stack.canRedo())
        for action in (self.action_paste, self.action_quick_add):
            action.setEnabled(free)
        if not free:
            for action in (
                self.action_cut,
                self.action_delete,
                self.action_duplicate,
                self.action_group,
                self.action_ungroup,
            ):
                action.setEnabled(False)

    def _node_activated(self, node_id: str) -> None:
        graph = self.document.editing
        if node_id in graph and graph.node(node_id).is_group:
            self.enter_group(node_id)
            return
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.id_edit.setFocus()

    def _show_issues(self) -> None:
        self.issues_dock.show()
        self.issues_dock.raise_()

    # ---- theme and layout -------------------------------------------------------------------
    def set_dark_theme(self, dark: bool) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        current = theme.apply_theme(app, "dark" if dark else "light")
        self.settings.set_value("theme", current.name)
        self.action_dark.setChecked(current.dark)
        for action, name in self._themed:
            action.setIcon(theme.icon(name))
        self.template_menu.setIcon(theme.icon("new"))
        self.recent_menu.setIcon(theme.icon("recent"))
        self.block_palette.set_style(current.canvas)
        self._scene().set_style(current.canvas)
        self.inspector.show_nodes(self._scene().selected_node_ids())  # redrawn with new icons
        self.summary.retheme()
        self._analysis_updated()

    def _install_dashboard(self) -> None:
        """The training dashboard (``cnnstudio.gui.training``) in the bottom dock. It follows
        ``document_changed`` and is asked before the document is replaced, closed or saved."""
        self.dashboard = install_dashboard(self)

    def add_bottom_dock(self, widget: QWidget, title: str) -> QDockWidget:
        """Put ``widget`` in a dock under the canvas (the training dashboard's place); its toggle
        joins the View menu and its remembered place is restored."""
        dock = self._dock(widget, title, Qt.DockWidgetArea.BottomDockWidgetArea)
        if not widget.objectName():
            dock.setObjectName(f"{title.replace(' ', '')}Dock")
        self.view_menu.insertAction(self._docks_end, dock.toggleViewAction())
        self.restoreDockWidget(dock)
        return dock

    def _restore_layout(self) -> None:
        self._default_state = self.saveState(STATE_VERSION)
        geometry = self.settings.bytes_value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = QGuiApplication.primaryScreen().availableGeometry()
            self.resize(min(1440, screen.width() - 40), min(900, screen.height() - 60))
        state = self.settings.bytes_value("window/state")
        if state is not None:
            self.restoreState(state, STATE_VERSION)
        self._dock_heights_pending = state is None  # set once the window is laid out

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in (self.palette_dock, self.inspector_dock, self.issues_dock):
            dock.show()
        QTimer.singleShot(0, self, self._default_dock_heights)  # once the restored layout is set

    def _default_dock_heights(self) -> None:
        """Inspector above, Issues below with room for several rows (only works once shown)."""
        self.resizeDocks(
            [self.inspector_dock, self.issues_dock], [400, 240], Qt.Orientation.Vertical
        )

    def _save_layout(self) -> None:
        self.settings.set_value("window/geometry", self.saveGeometry())
        self.settings.set_value("window/state", self.saveState(STATE_VERSION))

    # ---- events -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dock_heights_pending:
            self._dock_heights_pending = False
            self._default_dock_heights()
        if self._view_pending:
            self._view_pending = False
            QTimer.singleShot(0, self, self.show_start)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.export_menu.shutdown()  # a running export finishes first (its file is whole)
        self.importer.wait()  # and a running import (its thread must not outlive the window)
        if not self._confirm_discard("closing"):
            event.ignore()
            return
        self._save_layout()
        self.quick_add_popup.hide()
        self.autosaver.close()
        self.dashboard.shutdown()  # no training process outlives the window
        self.preview.shutdown()  # nor the preview's thread
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_project(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_project(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self._open_later(path)

    @staticmethod
    def _dropped_project(event: QDropEvent | QDragEnterEvent) -> str | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and url.toLocalFile().endswith(EXTENSION):
                return url.toLocalFile()
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Tab on the canvas opens quick add (Shift+A works everywhere)."""
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Tab
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.quick_add()
            return True
        return super().eventFilter(watched, event)
