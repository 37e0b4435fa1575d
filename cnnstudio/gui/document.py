"""The open project and everything the views share about it: one object handed to every view.

A ``Document`` holds the core ``Project`` (its ``graph`` is the model the canvas draws), the
undo stack (whose clean state is "saved"), the shape analysis, the edit guard (read-only while a
run trains), the trained weights not yet saved beside the file, the canvas selection and the
pictures shown inside nodes. Views take the document in ``set_document`` and follow its
signals; none reaches into another view or into the main window, which only lays the views out
and swaps documents (New, Open).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QUndoStack

from cnnstudio.core.analysis import NodeInfo
from cnnstudio.core.commands import AddNode, Command, Connect, Macro, remove_nodes
from cnnstudio.core.diff import Comparison
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import Project
from cnnstudio.gui.analysis_model import AnalysisModel
from cnnstudio.gui.editor.model_links import ModelLinks
from cnnstudio.gui.training.project_sections import SECTIONS, SetSection
from cnnstudio.gui.training.trained_weights import TrainedWeights, TrainedWeightsKeeper
from cnnstudio.gui.undo import EditGuard, record
from cnnstudio.train.callbacks import TrainingResult
from cnnstudio.train.resume import kept_weights_choice

UNTITLED = "Untitled"


class Document(QObject):
    """``Document(project)``: one open project with its undo stack, analysis and guard."""

    modified_changed = Signal(bool)
    history_changed = Signal()  # what Undo and Redo would do (or whether they can) changed
    title_changed = Signal()  # file path or project name
    section_changed = Signal(str)  # "dataset" or "training" replaced (an edit or its undo)
    read_only_changed = Signal(object)  # str | None: why the network may not be edited
    selection_changed = Signal()
    node_images_changed = Signal()
    node_notes_changed = Signal()
    weights_changed = Signal()  # a run's weights were adopted or saved beside the file
    saved = Signal(object)  # Path
    comparison_changed = Signal()  # an architecture diff was put over the canvas, or cleared
    change_chosen = Signal(str, bool)  # node id, in the old network: show this change
    scope_changed = Signal()  # a group was entered or left: the canvas shows another graph

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.undo_stack = QUndoStack(self)
        self.analysis = AnalysisModel(project.graph, self)
        self.guard = EditGuard(self)
        self.weights = TrainedWeightsKeeper()
        self._selection: list[str] = []
        self._node_images: dict[str, QImage] = {}
        self._comparison: Comparison | None = None
        self._node_notes: dict[str, str] = {}
        self._scope: list[Level] = []
        self._links = ModelLinks(self)
        self._links.connect(project.graph.changed, self._check_scope)  # inner graphs' too
        # Views hear the stack through the document: a document being destroyed drops its
        # connections before the stack it owns is cleared, so no slot of a window that is
        # being torn down runs for those last emissions.
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        for signal in (
            self.undo_stack.indexChanged,
            self.undo_stack.canUndoChanged,
            self.undo_stack.canRedoChanged,
            self.undo_stack.undoTextChanged,
            self.undo_stack.redoTextChanged,
        ):
            signal.connect(self._history_changed)
        self.guard.read_only_changed.connect(self.read_only_changed)
        self.undo_stack.indexChanged.connect(self._edited)

    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    def _history_changed(self) -> None:
        self.history_changed.emit()

    def _edited(self) -> None:
        """Any edit, undo or redo: a diff drawn over the canvas no longer describes it."""
        self.set_comparison(None)

    # ---- what it is ------------------------------------------------------------------------
    @property
    def graph(self) -> GraphModel:
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self.project.path

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def title(self) -> str:
        """The window title part: the file's name, or the project's name and its file's."""
        path, name = self.path, self.name
        if path is not None and name == path.stem:
            return path.name
        return f"{name} — {path.name}" if path is not None else name

    # ---- editing ---------------------------------------------------------------------------
    @property
    def read_only_reason(self) -> str | None:
        return self.guard.reason

    def set_read_only(self, reason: str | None) -> None:
        self.guard.set_read_only(reason)

    def push(self, command: Command, merge_key: str | None = None) -> str | None:
        """Do ``command`` on the graph being edited (the network, or the inner graph of the
        group entered) as one undo step; on refusal, the message (nothing done).

        Consecutive pushes with the same ``merge_key`` become one step.
        """
        return record(self.undo_stack, self.guard, self.editing, command, merge_key)

    def push_to_network(self, command: Command) -> str | None:
        """Like ``push``, on the network itself wherever the canvas is: for edits of a group
        definition (its ports, its exposed parameters), which check every instance in it."""
        return record(self.undo_stack, self.guard, self.graph, command)

    # ---- entering groups -------------------------------------------------------------------
    @property
    def scope(self) -> list[Level]:
        """The groups entered, outermost first (empty: the canvas shows the network)."""
        return list(self._scope)

    @property
    def editing(self) -> GraphModel:
        """The graph the canvas shows and edits: the network or the entered group's inside."""
        if not self._scope:
            return self.graph
        return self.graph.definitions.get(self._scope[-1].definition).graph

    @property
    def scope_path(self) -> str:
        """The entered instances as analysis names them (``layer1/block``; ``""`` at the top)."""
        return "/".join(level.instance for level in self._scope)

    def node_infos(self) -> dict[str, NodeInfo]:
        """What analysis says of the nodes of the graph being edited: inside a group, those of
        the instance entered (its first repetition), with its parameter values applied."""
        infos = self.analysis.analysis.nodes
        for level in self._scope:
            info = infos.get(level.instance)
            if info is None or not info.inner:
                return {}
            infos = info.inner[0]
        return infos

    def enter(self, instance: str) -> None:
        """Show the inside of group ``instance`` of the graph being edited (GraphError if it is
        not a group)."""
        node = self.editing.node(instance)
        if not node.is_group:
            raise GraphError(f"{self.editing.label(instance)} is not a group")
        self._scope.append(Level(instance, node.definition))
        self._selection = []
        self.scope_changed.emit()

    def leave(self, depth: int = -1) -> None:
        """Go up to ``depth`` groups entered (0: the network; -1: one level up)."""
        depth = len(self._scope) - 1 if depth < 0 else depth
        if 0 <= depth < len(self._scope):
            del self._scope[depth:]
            self._selection = []
            self.scope_changed.emit()

    def is_expanded(self, instance: str) -> bool:
        """Whether group ``instance`` of the graph being edited shows its inside on the canvas."""
        graph = self.editing
        return instance in graph and graph.node(instance).expanded

    def set_expanded(self, instance: str, expanded: bool) -> None:
        """A layout choice kept in the model, like positions, so Save writes it and reopening
        shows the group as it was; not an undo step (nor a modification), as scrolling is not."""
        self.editing.set_expanded(instance, expanded)

    def _check_scope(self, *_: object) -> None:
        """An undo or redo took away a group entered (or its definition): go up to the deepest
        level that still exists, so the canvas never edits a graph outside the project."""
        graph, keep = self.graph, 0
        for level in self._scope:
            if level.definition not in graph.definitions or level.instance not in graph:
                break
            node = graph.node(level.instance)
            if node.definition != level.definition:
                break
            graph = graph.definitions.get(level.definition).graph
            keep += 1
        if keep < len(self._scope):
            self.leave(keep)

    def replace_with(self, project: Project, text: str) -> str | None:
        """Make ``project``'s network and its dataset and training settings this document's,
        as one undo step (undo brings the design back exactly); on refusal, the message."""
        if self.read_only_reason is not None:
            return f"The network cannot be replaced while {self.read_only_reason}."
        graph = self.graph
        commands: list[Command] = [remove_nodes(graph, [n.id for n in graph])]
        commands += [AddNode(n) for n in project.graph]
        commands += [Connect(e) for e in project.graph.edges]
        replace = Macro(text, commands)
        try:  # on a copy first, so a refusal leaves no empty step on the stack
            replace.do(graph.copy())
        except GraphError as exc:
            return str(exc)
        self.undo_stack.beginMacro(text)
        try:
            self.push(replace)
            for name in SECTIONS:
                self.set_section(name, copy.deepcopy(getattr(project, name)), text)
        finally:
            self.undo_stack.endMacro()
        return None

    def section(self, name: str) -> dict[str, Any] | None:
        """A copy of the project's ``dataset`` or ``training`` section."""
        value = getattr(self.project, name)
        return copy.deepcopy(value) if value is not None else None

    def set_section(
        self, name: str, value: dict[str, Any] | None, text: str, merge_key: str | None = None
    ) -> None:
        """Make ``value`` the section ``name`` as one undo step (nothing if it is unchanged)."""
        assert name in SECTIONS, name
        old = getattr(self.project, name)
        if old != value:
            self.undo_stack.push(SetSection(self, name, old, value, text, merge_key))

    def apply_section(self, name: str, value: dict[str, Any] | None) -> None:
        """Set a section without an undo step (the undo command's own way in)."""
        setattr(self.project, name, copy.deepcopy(value))
        self.section_changed.emit(name)

    # ---- what the views share --------------------------------------------------------------
    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, node_ids: list[str]) -> None:
        if node_ids != self._selection:
            self._selection = list(node_ids)
            self.selection_changed.emit()

    @property
    def node_images(self) -> dict[str, QImage]:
        """Pictures shown inside nodes (a run's strongest feature maps), by node id."""
        return dict(self._node_images)

    def set_node_images(self, images: dict[str, QImage]) -> None:
        self._node_images = dict(images)
        self.node_images_changed.emit()

    @property
    def comparison(self) -> Comparison | None:
        """The architecture diff shown over the canvas and listed, until Esc or an edit."""
        return self._comparison

    def set_comparison(self, comparison: Comparison | None) -> None:
        if comparison is not self._comparison:
            self._comparison = comparison
            self.comparison_changed.emit()

    def choose_change(self, node_id: str, in_old: bool) -> None:
        """Ask the canvas to select and centre a listed change's node (or its ghost)."""
        self.change_chosen.emit(node_id, in_old)

    @property
    def node_notes(self) -> dict[str, str]:
        """Lines added to nodes' tooltips (the live preview's activation statistics), by id."""
        return dict(self._node_notes)

    def set_node_notes(self, notes: dict[str, str]) -> None:
        if notes != self._node_notes:
            self._node_notes = dict(notes)
            self.node_notes_changed.emit()

    # ---- trained weights and saving --------------------------------------------------------
    def adopt_run(self, result: TrainingResult) -> TrainedWeights | None:
        """Keep the weights of a run that ``training.keep_weights`` names (the best epoch's by
        default): the document is modified until it is saved."""
        adopted = self.weights.adopt(result, kept_weights_choice(self.project.training))
        if adopted is not None:
            self.undo_stack.resetClean()
            self.weights_changed.emit()
        return adopted

    def adopt_weights(self, file: Path) -> None:
        """Give the network weights that come from no run (an imported module's): they go
        beside the project file when it is saved."""
        self.weights.pending = TrainedWeights(file, None, 0, None)
        self.undo_stack.resetClean()
        self.weights_changed.emit()

    def snapshot(self) -> Project:
        """The project as Save would write it now, detached from later edits; weights of a run
        not yet saved beside the file count as the project's (an export matches the dashboard)."""
        snapshot = Project.from_dict(self.project.to_dict(), str(self.path or self.name))
        snapshot.path = self.path
        pending = self.weights.pending
        if pending is not None:
            snapshot.weights = {"file": str(pending.file.resolve()), "epoch": pending.epoch}
            if pending.run_dir is not None:
                snapshot.weights["run"] = pending.run_dir.name
        return snapshot

    def save(self, target: str | Path) -> None:
        """Write the project atomically to ``target``, trained weights beside it.

        Raises OSError or CnnStudioError, and then nothing about the document changed.
        """
        target = Path(target)
        name = self.project.name
        if self.path is None and name == UNTITLED:
            self.project.name = target.stem  # a new project takes its file's name
        try:
            had_pending = self.weights.pending is not None
            self.weights.attach(self.project, target)
            self.project.save(target)
        except BaseException:
            self.project.name = name
            raise
        self.undo_stack.setClean()
        self.title_changed.emit()
        if had_pending:
            self.weights_changed.emit()
        self.saved.emit(target)

    def close(self) -> None:
        """Stop following the graph (the window drops this document)."""
        self._links.unlink()
        self.analysis.detach()


class Level(NamedTuple):
    """One group entered: the instance double-clicked and the definition it showed."""

    instance: str
    definition: str
