"""Attribution maps for the dashboard's views, never computed in the GUI thread.

During a run the training process answers (an ``attribute`` command: the map is of the weights
being trained); otherwise a background thread compiles the network with the document's trained
weights (torch and captum are imported there, once) and answers the same way. Each view asks
under its own name; a newer question from a view replaces its older one still waiting, and an
answer is only handed to the view if it answers that view's newest question.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import graph_structure, graph_to_dict
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.training.controller import TrainingController
from cnnstudio.train.callbacks import AttributionMap

if TYPE_CHECKING:
    from cnnstudio.train.data.dataset import Dataset


@dataclasses.dataclass(frozen=True)
class OfflineSource:
    """What a map needs when no run goes: the network, its trained weights, the data."""

    graph: GraphModel
    weights: Path
    dataset: Dataset


class _Engine:
    """The compiled network with its weights, rebuilt only when they change. Used by one job
    thread at a time."""

    def __init__(self) -> None:
        self.key: tuple[str, str] | None = None
        self.attributor: Any = None

    def answer(
        self, source: OfflineSource, key: tuple[str, str], request: dict[str, Any]
    ) -> AttributionMap:
        from cnnstudio.core.analysis import analyze
        from cnnstudio.torch_backend.compiler import compile_graph
        from cnnstudio.train.attribution import Attributor, attribution_map
        from cnnstudio.train.checkpoint import load_weights_into, read_weights
        from cnnstudio.train.data.normalize import to_float
        from cnnstudio.train.loss import output_kind

        if key != self.key:
            self.key, self.attributor = None, None
            analysis = analyze(source.graph)
            if analysis.output_id is None or not analysis.valid:
                raise CnnStudioError("the network has errors (see the Issues list)")
            model = compile_graph(source.graph, analysis=analysis)
            load_weights_into(model, read_weights(source.weights), str(source.weights))
            self.attributor = Attributor(model, output_kind(source.graph, analysis.output_id))
            self.key = key
        val = source.dataset.val
        index = min(max(int(request["sample"]), 0), len(val) - 1)
        image = to_float(val.x[index].unsqueeze(0))
        sample = source.dataset.normalization.apply(image)[0]
        return attribution_map(self.attributor, request, sample, index)


class _Job(QThread):
    answered = Signal(AttributionMap)

    def __init__(
        self,
        engine: _Engine,
        source: OfflineSource,
        key: tuple[str, str],
        request: dict[str, Any],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self.engine, self.source, self.key, self.request = engine, source, key, request

    def run(self) -> None:
        try:
            found = self.engine.answer(self.source, self.key, self.request)
        except (CnnStudioError, OSError) as exc:
            sample = int(self.request["sample"])
            found = AttributionMap.unanswerable(self.request, sample, str(exc))
        self.answered.emit(found)


class AttributionService(QObject):
    answered = Signal(str, AttributionMap)  # the view that asked, its newest map

    def __init__(self, controller: TrainingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._engine = _Engine()
        self._count = 0
        self._newest: dict[str, int] = {}  # view -> id of its newest question
        self._waiting: dict[str, tuple[OfflineSource, dict[str, Any]]] = {}
        self._job: _Job | None = None
        controller.attribution.connect(self._arrived)

    def ask(self, view: str, request: dict[str, Any], source: OfflineSource | None) -> bool:
        """Ask for a map for ``view``; False when there is nothing to ask (no run, no weights)."""
        self._count += 1
        request = {**request, "request": self._count}
        if self.controller.busy:
            self._newest[view] = self._count
            self.controller.request_attribution(**request)
            return True
        if source is None:
            return False
        self._newest[view] = self._count
        self._waiting[view] = (source, request)
        self._next()
        return True

    @property
    def working(self) -> bool:
        return self._job is not None

    def _next(self) -> None:
        if self._job is not None or not self._waiting:
            return
        view = next(iter(self._waiting))
        source, request = self._waiting.pop(view)
        key = (
            str(source.weights),
            json.dumps(graph_structure(graph_to_dict(source.graph)), sort_keys=True),
        )
        self._job = _Job(self._engine, source, key, request, self)
        self._job.answered.connect(self._arrived)
        self._job.finished.connect(self._job_done)
        gui_thread_collector().hold_until_finished(self._job)  # Python runs in it; see gui.gc_guard
        self._job.start()

    def _job_done(self) -> None:
        if self._job is not None:
            self._job.deleteLater()
            self._job = None
        self._next()

    def _arrived(self, found: AttributionMap) -> None:
        for view, newest in self._newest.items():
            if newest == found.request:
                self.answered.emit(view, found)

    def shutdown(self) -> None:
        """Let a running job end (one map: milliseconds) and drop the waiting ones."""
        self._waiting.clear()
        if self._job is not None:
            self._job.wait()
            self._job_done()
