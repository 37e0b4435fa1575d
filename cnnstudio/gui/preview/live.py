"""Live activations while designing: every node shows what one real sample makes of it.

``LivePreview`` follows the document: after each edit (one per burst, when the analysis has
caught up) it sends the network as it stands, one validation sample of the project's dataset
and the trained weights, if any, to the preview thread, and draws the newest result into the
nodes (``Document.node_images``), their tooltips (``node_notes``) and the Issues list (a dead
ReLU). Moving a block changes nothing it shows, so it computes nothing. The dataset comes from
the dashboard's loader, so it is loaded once for both. While a run trains, the run's own
thumbnails take over and the preview waits.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.core.blocks import fmt_shape
from cnnstudio.core.project import graph_structure, graph_to_dict
from cnnstudio.gui.analysis_model import RUN_FINDINGS
from cnnstudio.gui.document import Document
from cnnstudio.gui.numbers import short_count
from cnnstudio.gui.preview.engine import PreviewEngine, PreviewPictures
from cnnstudio.gui.training.dataset_loader import DataRequest, DatasetLoader

if TYPE_CHECKING:
    from cnnstudio.train.data.dataset import Dataset

PARAMS_LIMIT = 1_000_000  # on by default up to this many parameters (~LeNet..small VGG)
FINDINGS = "preview"  # the analysis model's name for the issues the preview finds
# The first preview loads data and torch: it waits until the editor is up, so start-up does not.
START_DELAY_MS = 400


def graph_key(document: Document) -> str:
    """What of the graph a preview depends on: blocks, parameters, wires and the insides of
    groups, not the layout (positions, groups expanded)."""
    structure = graph_structure(graph_to_dict(document.graph))
    return json.dumps(structure, sort_keys=True, default=str)


class LivePreview(QObject):
    """``set_document``; ``set_enabled`` (the user's toggle) and ``set_sample``.

    ``state_changed`` tells the toolbar to re-read ``enabled``, ``reason`` (why the thumbnails
    are shown, absent or paused) and ``sample_count``; ``requested(generation)`` and
    ``drawn(generation)`` mark a computation sent off and its pictures drawn.
    """

    state_changed = Signal()
    requested = Signal(int)
    drawn = Signal(int)

    def __init__(self, loader: DatasetLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.engine = PreviewEngine(self)
        self.document: Document | None = None
        self.enabled = True
        self.reason = ""
        self.sample = 0
        self.sample_count = 0
        self._chosen: bool | None = None  # the user's toggle for this document; None: by size
        self._key: tuple[Any, ...] | None = None  # what the newest request was made from
        self._shown = False  # the document holds pictures or findings of ours
        self._waiting_for: str | None = None  # the dataset key a load was started for
        self._unloadable: tuple[str, str] | None = None  # a dataset key that failed, and why
        self._generation = 0
        self._started = False
        self._closed = False  # the window closed: nothing more is loaded or computed
        QTimer.singleShot(START_DELAY_MS, self, self._start)
        self.engine.ready.connect(self._draw)
        self.engine.failed.connect(self._failed)
        loader.loaded.connect(self._data_loaded)
        loader.failed.connect(self._data_failed)

    # ---- what the user does ----------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        old = self.document
        if old is not None:
            for signal, slot in self._links(old):
                signal.disconnect(slot)
            self._withdraw(old)
        self.engine.cancel()  # the old document's pictures must not land in the new one
        self.document = document
        self._chosen = None
        self._key = None
        for signal, slot in self._links(document):
            signal.connect(slot)
        self.refresh()

    def _links(self, document: Document) -> list[tuple[Any, Any]]:
        return [
            (document.analysis.updated, self.refresh),
            (document.weights_changed, self.refresh),
            (document.section_changed, self._section_changed),
            (document.read_only_changed, self._read_only_changed),
        ]

    def set_enabled(self, on: bool) -> None:
        """The user's toggle: it holds for this document whatever its size."""
        self._chosen = on
        self.refresh()

    def set_sample(self, index: int) -> None:
        if index != self.sample:
            self.sample = index
            self.refresh()

    def _start(self) -> None:
        self._started = True
        self.refresh()

    def shutdown(self) -> None:
        """Stop the preview thread (the window is closing); a start or a data load still due
        then does nothing (it would load data for a closed window)."""
        self._closed = True
        self.engine.shutdown()

    # ---- computing -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask for pictures of the network as it is now, unless the newest request already was."""
        document = self.document
        if document is None or self._closed:
            return
        analysis = document.analysis.analysis
        params = analysis.total_params
        enabled = self._chosen if self._chosen is not None else params <= PARAMS_LIMIT
        if enabled != self.enabled:
            self.enabled = enabled
            self.state_changed.emit()
        if not self.enabled:
            big = self._chosen is None
            self._absent(
                f"Preview is off by default above {short_count(PARAMS_LIMIT)} parameters (this "
                f"network has {short_count(params)}); turn it on to see activations anyway"
                if big
                else "Preview is off: turn it on to see each block's activation for one sample"
            )
            return
        if document.read_only_reason is not None:
            self._say(f"Preview paused while {document.read_only_reason}")
            return
        if analysis.input_shape is None:
            self._absent("No preview: the network needs one valid Input node")
            return
        if not self._started:
            self._say("Preview: starting…")  # the toolbar is set now, the data come after
            return
        input_shape = tuple(analysis.input_shape)
        request = DataRequest(document.project.dataset, input_shape, document.project.base_dir)
        dataset = self.loader.cached(request)
        if dataset is None and self._unloadable is not None and self._unloadable[0] == request.key:
            self._absent(f"No preview: {self._unloadable[1]}")  # not retried at every edit
            return
        if dataset is None:
            self._waiting_for = request.key
            self._key = None
            self.engine.cancel()
            self._say("Preview: loading the dataset…")
            self.loader.load(request)
            return
        self._waiting_for = None
        if tuple(dataset.sample_shape) != input_shape:
            self._absent(
                f"No preview: the dataset's images are {fmt_shape(dataset.sample_shape)} but "
                f"the Input node takes {fmt_shape(input_shape)}"
            )
            return
        self._request(document, request, dataset)

    def _request(self, document: Document, request: DataRequest, dataset: Dataset) -> None:
        count = len(dataset.val)
        if count == 0:
            self._absent("No preview: the dataset has no validation images")
            return
        if count != self.sample_count:
            self.sample_count = count
            self.sample = min(self.sample, count - 1)
            self.state_changed.emit()
        weights = document.weights.weights_file(document.project)
        key = (graph_key(document), request.key, self.sample, weights)
        if key == self._key:
            return
        self._key = key
        from cnnstudio.train.preview import PreviewJob  # torch is loaded with the dataset

        self._generation += 1
        job = PreviewJob(self._generation, document.graph.copy(), dataset, self.sample, weights)
        self.engine.request(job)
        self.requested.emit(self._generation)

    def _draw(self, pictures: PreviewPictures) -> None:
        # Only the newest request's pictures come here: the engine drops superseded results,
        # and a document change or the toggle turned off cancels the request under way.
        document, result = self.document, pictures.result
        assert document is not None
        where = f"Sample {result.sample} ({result.label})"
        notes = {k: f"{where}: {s.describe()}" for k, s in result.stats.items()}
        document.set_node_images(pictures.images)
        document.set_node_notes(notes)
        document.analysis.set_findings(FINDINGS, result.issues, defer_to=(RUN_FINDINGS,))
        self._shown = True
        self._say(
            f"Preview of validation sample {result.sample} ({result.label}), {result.weights}"
        )
        self.drawn.emit(result.generation)

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._absent(f"No preview: the sample does not go through the network: {message}")

    def _data_loaded(self, request: DataRequest, dataset: Dataset) -> None:
        if self._unloadable is not None and self._unloadable[0] == request.key:
            self._unloadable = None  # the Data tab loaded it after all
            self.refresh()
        elif request.key == self._waiting_for:
            self.refresh()

    def _data_failed(self, request: DataRequest, message: str) -> None:
        if request.key == self._waiting_for:
            self._waiting_for = None
            self._unloadable = (request.key, message)
            self._absent(f"No preview: {message}")

    def _section_changed(self, name: str) -> None:
        if name == "dataset":
            self._unloadable = None  # another dataset, or the same asked for again
            self.refresh()

    def _read_only_changed(self, reason: str | None) -> None:
        if reason is None:
            self._key = None  # a run may have changed what the weights file holds
        self.refresh()

    # ---- what the user sees ----------------------------------------------------------------
    def _absent(self, reason: str) -> None:
        """No pictures: cancel what runs and take ours away (the toolbar says ``reason``)."""
        self.engine.cancel()
        self._key = None
        if self.document is not None:
            self._withdraw(self.document)
        self._say(reason)

    def _withdraw(self, document: Document) -> None:
        if self._shown:
            self._shown = False
            document.set_node_images({})
            document.set_node_notes({})
            document.analysis.set_findings(FINDINGS, [])

    def _say(self, reason: str) -> None:
        if reason != self.reason:
            self.reason = reason
            self.state_changed.emit()
