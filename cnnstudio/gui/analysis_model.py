"""The graph's shape analysis, kept current for every view that shows it.

A burst of model changes (a macro deleting twenty nodes) triggers one re-analysis on the next
event-loop turn and one ``updated`` signal; reading ``analysis`` in between re-analyses at once,
so a caller never sees a stale result.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.core.analysis import Analysis, Issue, analyze
from cnnstudio.core.graph import GraphModel
from cnnstudio.gui.editor.model_links import ModelLinks

RUN_FINDINGS = "training"  # the findings source of a run's warnings (dead ReLUs, overfitting...)


class AnalysisModel(QObject):
    updated = Signal()

    def __init__(self, graph: GraphModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self._classes: tuple[int, str] | None = None  # the dataset's class count and name
        self._findings: dict[str, list[Issue]] = {}  # issues found by running the network
        self._defers: dict[str, tuple[str, ...]] = {}  # source -> sources it gives way to
        self._analysis = analyze(graph)
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._flush)
        self._links = ModelLinks(self)
        self._links.connect(graph.changed, self._on_changed)

    @property
    def analysis(self) -> Analysis:
        if self._dirty:
            classes, dataset = self._classes or (None, "")
            self._analysis = analyze(self.graph, classes, dataset)
            for source, found in self._findings.items():
                named = {
                    i.node
                    for other in self._defers.get(source, ())
                    for i in self._findings.get(other, [])
                }
                self._analysis.issues.extend(
                    i
                    for i in found
                    if i.node is None or (i.node in self.graph and i.node not in named)
                )
            self._dirty = False
        return self._analysis

    def set_dataset_classes(self, classes: int | None, dataset: str = "") -> None:
        """The project's dataset has ``classes`` classes (None: not known without loading it),
        so an Output of another size is an issue before training is tried."""
        known = (classes, dataset) if classes is not None else None
        if known != self._classes:
            self._classes = known
            self._on_changed()

    def set_findings(
        self, source: str, issues: list[Issue], defer_to: tuple[str, ...] = ()
    ) -> None:
        """Issues that running the network found (``source``: who found them, e.g. the live
        preview or the last run's figures), listed with the analysis's own until ``source``
        replaces them; those naming a node that is gone are dropped, and so are those naming a
        node that a source in ``defer_to`` has an issue about (the live preview's zeros on one
        sample give way to the run's on the validation set)."""
        if issues != self._findings.get(source, []) or defer_to != self._defers.get(source, ()):
            self._findings[source] = list(issues)
            self._defers[source] = defer_to
            self._on_changed()

    @property
    def pending(self) -> bool:
        """True while an ``updated`` signal is scheduled (views still show the old result)."""
        return self._timer.isActive()

    def detach(self) -> None:
        """Stop following the graph (when the window replaces it)."""
        self._links.unlink()
        self._timer.stop()

    def _on_changed(self) -> None:
        self._dirty = True
        self._timer.start()

    def _flush(self) -> None:
        _ = self.analysis
        self.updated.emit()
