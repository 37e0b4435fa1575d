"""The training dashboard: data, settings, Train/Pause/Stop and the live views of a run.

It owns the run's life in the editor: it loads the data off the GUI thread, makes the graph
read-only while a run goes (the undo stack's edit guard), starts the worker thread through the
controller, and keeps the reports in buffers that ``LiveRefresh`` draws from one timer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.blocks import get_spec
from cnnstudio.core.commands import SetParams
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.core.training_warnings import dead_relus, overfitting, vanishing_gradients
from cnnstudio.gui.analysis_model import RUN_FINDINGS
from cnnstudio.gui.document import Document
from cnnstudio.gui.plots.attribution import AttributionPanel
from cnnstudio.gui.plots.confusion import ConfusionView
from cnnstudio.gui.plots.curves import CurvesView
from cnnstudio.gui.plots.feature_maps import FeatureMapsView
from cnnstudio.gui.plots.filters import FiltersView
from cnnstudio.gui.plots.gradients import GradientsView
from cnnstudio.gui.plots.history import RunHistory
from cnnstudio.gui.plots.style import layout_boundary, restyle
from cnnstudio.gui.settings import data_dir
from cnnstudio.gui.training.attributions import AttributionService, OfflineSource
from cnnstudio.gui.training.control_bar import ControlBar
from cnnstudio.gui.training.controller import TrainingController
from cnnstudio.gui.training.data_panel import DataPanel, dims
from cnnstudio.gui.training.dataset_loader import DataRequest, DatasetLoader
from cnnstudio.gui.training.gallery import GalleryDialog
from cnnstudio.gui.training.live_refresh import LiveRefresh
from cnnstudio.gui.training.predict_panel import PredictPanel
from cnnstudio.gui.training.project_sections import SECTIONS
from cnnstudio.gui.training.runs_panel import RunsPanel
from cnnstudio.gui.training.settings_panel import SettingsPanel
from cnnstudio.gui.training.thumbnails import CanvasThumbnails
from cnnstudio.gui.training.worker_process import CRASH
from cnnstudio.train.callbacks import (
    AttributionMap,
    BatchProgress,
    Diagnostics,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingFailure,
    TrainingResult,
    ValPredictions,
)
from cnnstudio.train.config import ConfigError, training_config
from cnnstudio.train.data.section import dataset_name, declared_classes
from cnnstudio.train.resume import epochs_done, run_overrides, why_not_continue
from cnnstudio.train.run_curves import CurvesCache, last_confusion, latest_run, run_class_names
from cnnstudio.train.run_history import project_runs_dir, read_run
from cnnstudio.train.run_state import RunState
from cnnstudio.train.runs import BEST

if TYPE_CHECKING:  # both import torch: the editor starts without it
    from cnnstudio.gui.training.probe import OfflineProbe
    from cnnstudio.train.data.dataset import Dataset

# Feature captures: every 10 batches, at most twice a second. LeNet-5 on one core of this
# 2-core machine runs ~150 batches/s, so twice a second; a model at 5 batches/s every 2 s. Every
# capture is drawn in the GUI thread, whose Python time the training thread waits for (the
# GIL), so more would slow training down and show nothing a user can follow.
CAPTURE_EVERY = 10
CAPTURE_INTERVAL_S = 0.5
STRIP_SAMPLES = 32
# A training process starts this long after the dashboard shows (importing torch takes a core
# for ~1.5 s: not during the editor's own start), so that Train finds it ready.
PREWARM_DELAY_MS = 3000
STOP_TIMEOUT_MS = 5000  # the process checkpoints, reports and exits (killed after 3 s)
READ_ONLY_REASON = "training is running"
_LIVE, _DATA, _SETTINGS = range(3)


def default_run_base() -> Path:
    """Where runs of a project that was never saved go (a saved one's go beside its file)."""
    return data_dir() / "runs"


class TrainingDashboard(QWidget):
    status_message = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingDashboard")
        self.controller = TrainingController(self)
        self.loader = DatasetLoader(self)
        self.history = RunHistory()
        self.document = Document(Project(), self)
        self.thumbnails = CanvasThumbnails(lambda: self.document)
        self.run_base: Path | None = None  # None: beside a saved project, else default_run_base()
        self.info: RunInfo | None = None
        self.dataset: Dataset | None = None  # the data of the current or last run
        self.predictions: ValPredictions | None = None
        self.progress: BatchProgress | None = None
        self.diagnostics: Diagnostics | None = None  # the run's latest gradient figures
        self._preparing: tuple[DataRequest, Path | None, dict[str, Any]] | None = None
        self._preview_key: str | None = None  # the data request the Data tab last asked for
        self._probe: OfflineProbe | None = None
        self._pending_thumbnails: Features | None = None
        self.attributions = AttributionService(self.controller, self)
        self._probe_attributed: tuple[int, int] | None = None  # (sample, epoch) last asked for
        self._progress_dirty = False
        self._graph_blocked = False  # the banner says the network cannot train
        self._readiness_shown = False  # the status line shows readiness, not a run's outcome
        self.curves_cache = CurvesCache()
        self.shown_run: Path | None = None  # the run whose epochs the curves show (live or read)
        self.compared: list[Path] = []  # runs selected in the Runs tab, overlaid on the curves
        self.controller.capture.every = CAPTURE_EVERY
        self.controller.capture.min_interval_s = CAPTURE_INTERVAL_S

        self.control = ControlBar()
        self.data_panel = DataPanel()
        self.settings_panel = SettingsPanel()
        self.curves = CurvesView(self.history)
        self.feature_maps = FeatureMapsView()
        self.filters = FiltersView()
        self.confusion = ConfusionView()
        self.gradients = GradientsView()
        self.gallery = GalleryDialog(self)
        self.view_tabs = QTabWidget()
        self.view_tabs.setObjectName("featureTabs")
        self.view_tabs.addTab(self.feature_maps, "Feature maps")
        self.view_tabs.addTab(self.filters, "Filters")
        self.view_tabs.addTab(self.gradients, "Gradients")
        live = QSplitter(Qt.Orientation.Horizontal)
        live.setObjectName("liveViews")
        live.setChildrenCollapsible(False)
        for widget, stretch in ((self.curves, 4), (self.view_tabs, 5), (self.confusion, 3)):
            live.addWidget(layout_boundary(widget))
            live.setStretchFactor(live.count() - 1, stretch)
        live.setSizes([480, 600, 380])
        self.tabs = QTabWidget()
        self.tabs.setObjectName("trainingTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.insertTab(_LIVE, live, "Live")
        self.tabs.insertTab(_DATA, self.data_panel, "Data")
        self.tabs.insertTab(_SETTINGS, self.settings_panel, "Settings")
        self.runs_panel = RunsPanel(self.runs_folder, lambda: self.project.graph)
        self.tabs.addTab(self.runs_panel, "Runs")
        self.predict_panel = PredictPanel(self._predict_source)
        self.tabs.addTab(self.predict_panel, "Predict")
        self.controller.run_ended.connect(self.runs_panel.refresh_if_shown)
        self.runs_panel.set_document(self.document)
        self.runs_panel.compare_changed.connect(self.compare_runs)
        self.runs_panel.show_curves.connect(lambda: self.tabs.setCurrentIndex(_LIVE))
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.control)
        layout.addWidget(self.tabs, 1)

        self.live = LiveRefresh(
            lambda force: self.curves.refresh(force=force),
            (self.feature_maps, self.filters, self.confusion, self.gradients),
            self._draw_thumbnails,
            self._live_shown,
            self._show_progress,
            self,
        )
        self._connect()
        for signal, slot in self._document_links():
            signal.connect(slot)

    def _connect(self) -> None:
        c = self.controller
        c.state_changed.connect(self._state_changed)
        c.run_started.connect(self._run_started)
        c.batches.connect(self._batches)
        c.epoch_ended.connect(self._epoch_ended)
        c.features.connect(self._features)
        c.predictions.connect(self._predictions)
        c.diagnostics.connect(self._diagnostics)
        c.failed.connect(self._failed)
        c.run_ended.connect(self._run_ended)
        c.download.connect(lambda p: self.control.show_text(_download_text(p.done, p.total)))
        self.loader.loaded.connect(self._data_loaded)
        self.loader.failed.connect(self._data_failed)
        self.loader.progress.connect(
            lambda done, total: self.control.show_text(
                _download_text(done, total), done / total if total else None
            )
        )
        self.control.train_requested.connect(self.train)
        self.control.pause_requested.connect(self.pause_or_resume)
        self.control.stop_requested.connect(self.stop)
        self.data_panel.changed.connect(
            lambda section, text, key: self.document.set_section("dataset", section, text, key)
        )
        self.data_panel.fix_input.connect(self.fix_input_shape)
        self.settings_panel.changed.connect(
            lambda section, text, key: self.document.set_section("training", section, text, key)
        )
        self.feature_maps.sample_chosen.connect(self._sample_chosen)
        self.filters.node_chosen.connect(self._filter_node_chosen)
        self.confusion.cell_clicked.connect(self.open_gallery)
        self.attributions.answered.connect(self._attribution_arrived)
        self.feature_maps.attribution.changed.connect(self._probe_attribution_changed)
        self.gallery.attribution_wanted.connect(
            lambda index: self._ask_attribution("gallery", self.gallery.attribution, index)
        )
        self.curves.export_failed.connect(self._report)

    # ---- the document ----------------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self.document.project

    def set_document(self, document: Document) -> None:
        """Follow a new document (the window calls this after New/Open; never mid-run)."""
        old = self.document
        for signal, slot in self._document_links():
            signal.disconnect(slot)
        self.document = document
        for signal, slot in self._document_links():
            signal.connect(slot)
        self.runs_panel.set_document(document)
        if old.parent() is self:
            old.deleteLater()
        self._probe = None
        self.info = self.dataset = self.predictions = self.progress = None
        self._pending_thumbnails = None
        self._probe_attributed = None
        self.history.clear()
        for view in (self.curves, self.feature_maps, self.filters, self.confusion):
            view.clear()
        self._clear_diagnostics()
        self.shown_run, self.compared = None, []
        self.curves.compare([], None)
        self.gallery.hide()
        self.control.banner.hide()
        self.control.info.setText("")
        for name in SECTIONS:
            self._section_changed(name)
        self.settings_panel.set_model(self.project, self.document.analysis.analysis)
        self._update_filter_layers()
        self._update_controls()
        self._show_latest_run()
        self._show_readiness()

    def _show_latest_run(self) -> None:
        """A project opened with runs shows its latest run's curves, confusion matrix and
        outcome at once, read from the run folder (no training, no torch)."""
        run = latest_run(self.runs_folder())
        if run is None:
            return
        curves = self.curves_cache.get(run)
        if not len(curves):
            return
        record = read_run(run)
        self.history.add_rows(curves.rows)
        self.shown_run = run
        self.curves.set_run_length(1, record.epochs_planned or int(curves.epoch[-1]))
        self.curves.refresh(force=True)
        confusion = last_confusion(curves)
        if confusion is not None:
            n = len(confusion.matrix)
            names = run_class_names(run) or ()
            if len(names) != n:
                names = tuple(map(str, range(n)))
            self.confusion.set_result(
                confusion.matrix, confusion.per_class_accuracy, names, confusion.epoch
            )
            self.confusion.refresh()
        best = (
            f", best validation accuracy {100 * record.best_val_accuracy:.2f} % "
            f"(epoch {record.best_epoch})"
            if record.best_val_accuracy is not None and record.best_epoch is not None
            else ""
        )
        epochs = len(curves)
        text = (
            f"Last run {run.name}: {record.status.replace('_', '-')} after {epochs} "
            f"epoch{'s' * (epochs != 1)}{best}."
        )
        self.control.show_text(text, min(epochs / max(record.epochs_planned or epochs, 1), 1.0))
        self._readiness_shown = False

    def compare_runs(self, runs: list[Path]) -> None:
        """Overlay the curves of the runs selected in the Runs tab (none: stop comparing)."""
        self.compared = list(runs)
        self._draw_comparison()

    def _draw_comparison(self) -> None:
        """The compared runs over the curves; the run the curves show live is not drawn twice
        but named in the key above the plots."""
        live = self.shown_run
        others = [self.curves_cache.get(p) for p in self.compared if p != live]
        label = None
        if live is not None and live in self.compared:
            label = f"{live.name} ({'live' if self.busy else 'current'})"
        self.curves.compare(others, label)

    def runs_folder(self) -> Path:
        """Where this project's runs are (the same base as ``_launch`` gives the trainer)."""
        base = self.run_base or (None if self.project.path else default_run_base())
        return project_runs_dir(self.project, base)

    def _document_links(self) -> list[tuple[Any, Any]]:
        d = self.document
        return [
            (d.analysis.updated, self._analysis_updated),
            (d.selection_changed, self._canvas_selection),
            (d.section_changed, self._section_changed),
            (d.comparison_changed, self._comparison_changed),
        ]

    def _comparison_changed(self) -> None:
        """A diff shown over the canvas (from the Runs tab or File > Compare): list it there."""
        if self.document.comparison is not None:
            self.tabs.setCurrentWidget(self.runs_panel)

    def _section_changed(self, name: str) -> None:
        if name == "dataset":
            self._dataset_known()
            self.data_panel.set_section(self.document.section("dataset"))
            if self.tabs.currentIndex() == _DATA:
                self.load_preview()
        elif name == "training":
            self.settings_panel.set_section(self.document.section("training"))
            if not self.busy:  # raising Epochs may give the run epochs to continue with
                self._update_controls()

    def _analysis_updated(self) -> None:
        self.settings_panel.set_model(self.project, self.document.analysis.analysis)
        self._update_filter_layers()
        self._update_controls()
        self._show_readiness()
        if self.data_panel.dataset is not None:
            shapes = self._shapes()
            self.data_panel.check_fit(*shapes)
            request = self.data_request()  # the data follow the Input's shape, not other edits
            if self.tabs.currentIndex() == _DATA and (
                request is None or request.key != self._preview_key
            ):
                self.load_preview()

    def _shapes(self) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
        a = self.document.analysis.analysis
        return (
            tuple(a.input_shape) if a.input_shape is not None else None,
            tuple(a.output_shape) if a.output_shape is not None else None,
        )

    def data_request(self) -> DataRequest | None:
        input_shape, _ = self._shapes()
        if input_shape is None:
            return None
        return DataRequest(self.project.dataset, input_shape, self.project.base_dir)

    def _dataset_known(self, loaded: Dataset | None = None) -> None:
        """Tell the analysis how many classes the project's data has: from the dataset section
        when that fixes it, else from the data once loaded (``loaded``)."""
        section = self.project.dataset
        classes = declared_classes(section)
        if classes is None and loaded is not None:
            classes = loaded.num_classes
        self.document.analysis.set_dataset_classes(classes, dataset_name(section))

    def _tab_changed(self, index: int) -> None:
        if index == _DATA:
            self.load_preview()

    # ---- data ------------------------------------------------------------------------------
    def load_preview(self) -> None:
        """Show the data the project names (loading it off the GUI thread if needed)."""
        request = self.data_request()
        if request is None:
            self.data_panel.show_error("Give the network a valid Input node to see its data.")
            return
        self._preview_key = request.key
        dataset = self.loader.load(request)
        if dataset is not None:
            self._dataset_known(dataset)
            self.data_panel.show_dataset(dataset, *self._shapes())
        else:
            self.data_panel.show_loading("Loading the data…")

    def _data_loaded(self, request: DataRequest, dataset: Dataset) -> None:
        current = self.data_request()
        if current is not None and current.key == request.key:
            self._dataset_known(dataset)
            self.data_panel.show_dataset(dataset, *self._shapes())
        if self._preparing is not None and self._preparing[0].key == request.key:
            self._launch(dataset)

    def _data_failed(self, request: DataRequest, message: str) -> None:
        current = self.data_request()
        if current is not None and current.key == request.key:
            self.data_panel.show_error(message)
        if self._preparing is not None and self._preparing[0].key == request.key:
            self._preparing = None
            self._end_read_only()
            self._state_changed(RunState.IDLE)
            self.control.show_text("Not started: the data could not be loaded", 0.0)
            self._report(f"Cannot train: {message}", "Check the Data tab.")

    def fix_input_shape(self, shape: list[int]) -> None:
        """Give the Input node the data's shape, as one undoable step."""
        input_id = self.document.analysis.analysis.input_id
        if input_id is None:
            return
        error = self.document.push(SetParams(input_id, {"shape": list(shape)}))
        if error is not None:
            self.status_message.emit(error)
        else:
            self.status_message.emit(f"Input node {input_id} now takes {dims(shape)} images.")

    # ---- running ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A run is being prepared or is going: the document must not be replaced."""
        return self._preparing is not None or self.controller.busy

    def train(self, mode: str = "auto") -> None:
        """Start a run: ``continue`` the run the trained weights came from, ``restart`` from
        scratch, or ``auto`` (continue when that is possible, else start)."""
        if self.busy:
            return
        analysis = self.document.analysis.analysis
        if not analysis.valid:
            first = analysis.errors[0].message if analysis.errors else "the network is not valid"
            self._report(f"Cannot train yet: {first}", "Fix the issues listed in the Issues panel.")
            self._graph_blocked = True
            return
        try:
            config = training_config(self.project.training)
        except ConfigError as exc:
            self._report(f"Cannot train: {exc}", "Change the setting in the Settings tab.")
            return
        if not self.settings_panel.confirm_fit():
            return
        resume_from: Path | None = None
        if mode != "restart":
            run = self.document.weights.run_to_continue(self.project)
            why_not = why_not_continue(self.project, run)
            resume_from = run if why_not is None else None
            if why_not is not None and mode == "continue":
                self._report(f"Cannot continue: {why_not}", "Use “Restart from scratch”.")
                return
        overrides = run_overrides(self.project, config, resume_from is not None)
        request = self.data_request()
        assert request is not None  # the analysis is valid, so the Input has a shape
        self.document.set_read_only(READ_ONLY_REASON)
        self.control.banner.hide()
        self._preparing = (request, resume_from, overrides)
        self._state_changed(RunState.PREPARING)
        dataset = self.loader.load(request)
        if dataset is not None:
            self._launch(dataset)

    def _epochs_done(self) -> int:
        pending = self.document.weights.pending
        return epochs_done(self.project, pending.epoch if pending is not None else None)

    def _launch(self, dataset: Dataset) -> None:
        assert self._preparing is not None
        request, resume_from, overrides = self._preparing
        self._preparing = None
        if tuple(dataset.sample_shape) != request.input_shape:
            self._end_read_only()
            self._state_changed(RunState.IDLE)
            self.control.show_text("Not started: the images do not fit the Input node", 0.0)
            self.tabs.setCurrentIndex(_DATA)
            self.data_panel.show_dataset(dataset, *self._shapes())
            self._report(
                f"Cannot train: the images are {dims(dataset.sample_shape)} but the Input node "
                f"expects {dims(request.input_shape)}.",
                "The Data tab offers to fix the Input node.",
            )
            return
        copy = Project.from_dict(self.project.to_dict())
        copy.path = self.project.path
        run_dir = self.run_base or (None if self.project.path else default_run_base())
        if resume_from is None:
            self.history.clear()
            for view in (self.curves, self.feature_maps, self.filters, self.confusion):
                view.clear()
            self._clear_diagnostics()
            self.shown_run = None
            self._draw_comparison()
        self.dataset = dataset
        self.predictions = None
        self._probe = None
        self.controller.capture.sample = min(
            self.controller.capture.sample, max(len(dataset.val) - 1, 0)
        )
        processes = training_config(copy.training).processes
        self.controller.start(
            copy, run_dir=run_dir, resume_from=resume_from, processes=processes, **overrides
        )
        self.live.start()

    def pause_or_resume(self) -> None:
        if self.controller.state == RunState.PAUSED:
            self.controller.resume()
        elif self.controller.state == RunState.RUNNING:
            self.controller.pause()

    def train_or_resume(self) -> None:
        """F5: resume a paused run, otherwise train."""
        if self.controller.state == RunState.PAUSED:
            self.controller.resume()
        else:
            self.train("auto")

    def stop(self) -> None:
        if self._preparing is not None:
            self._preparing = None
            self.loader.cancel()
            self._end_read_only()
            self._state_changed(RunState.IDLE)
            self.control.show_text("Stopped before training started", 0.0)
            return
        self.controller.stop()

    def _end_read_only(self) -> None:
        self.document.set_read_only(None)

    def _state_changed(self, state: RunState) -> None:
        shown = RunState.PREPARING if self._preparing is not None else state
        self._update_controls(shown)
        running = shown != RunState.IDLE
        for panel in (self.data_panel, self.settings_panel):
            panel.setEnabled(not running)
        self.running_changed.emit(running)

    def _update_controls(self, state: RunState | None = None) -> None:
        if state is None:
            state = RunState.PREPARING if self._preparing is not None else self.controller.state
        can_continue = state == RunState.IDLE and self._continuable()
        self.control.set_state(state, can_continue)

    def _continuable(self) -> bool:
        """Whether "Continue training" has a run to go on with: one of this very network, with
        epochs left before the total that Epochs sets."""
        run = self.document.weights.run_to_continue(self.project)
        return run is not None and why_not_continue(self.project, run) is None

    # ---- reports from the run (GUI thread) -------------------------------------------------
    def _run_started(self, info: RunInfo) -> None:
        self.info = info
        self._readiness_shown = False
        epochs = int(info.config.get("training", {}).get("epochs", info.start_epoch))
        if info.start_epoch > 1 and self.shown_run != info.run_dir:
            # A continued run the curves do not show yet: its earlier epochs from its folder.
            self.history.clear()
            rows = self.curves_cache.get(info.run_dir).rows
            self.history.add_rows(r for r in rows if int(r["epoch"]) < info.start_epoch)
        self.shown_run = info.run_dir
        self._draw_comparison()
        self.curves.set_run_length(1 if len(self.history.epoch_x) else info.start_epoch, epochs)
        dataset = self.dataset
        if dataset is not None:
            n = min(STRIP_SAMPLES, len(dataset.val))
            images = [dataset.val.x[i] for i in range(n)]
            labels = [int(v) for v in dataset.val.y[:n]]
            self.feature_maps.set_samples(images, labels, info.class_names)
            self.feature_maps.samples.setCurrentRow(self.controller.capture.sample)
        self.tabs.setCurrentIndex(_LIVE)
        threads = (
            f", {info.threads} thread{'s' * (info.threads != 1)}" if info.device == "cpu" else ""
        )
        resumed = f", resuming at epoch {info.start_epoch}" if info.start_epoch > 1 else ""
        self.control.info.setText(f"{info.device}{threads}")
        self.status_message.emit(
            f"Training {info.project} on {info.num_train:,} images ({info.device}{threads}{resumed})."
        )

    def _batches(self, progress: BatchProgress) -> None:
        self.history.add_batches(progress)
        self.progress = progress
        self._progress_dirty = True

    def _epoch_ended(self, m: EpochMetrics) -> None:
        self.history.add_epoch(m)
        names = self.info.class_names if self.info else tuple(map(str, range(len(m.confusion))))
        self.confusion.set_result(m.confusion, m.per_class_accuracy, names, m.epoch)
        best = " (best so far)" if m.best else ""
        self.status_message.emit(
            f"Epoch {m.epoch}/{m.epochs}: validation accuracy {100 * m.val_accuracy:.2f} %{best}, "
            f"loss {m.val_loss:.4f}."
        )
        self._warn_from_training()

    def _features(self, f: Features) -> None:
        image = self.dataset.val.x[f.sample] if self.dataset is not None else None
        self.feature_maps.set_features(f, image)
        self.filters.set_features(f)
        self._pending_thumbnails = f
        if image is not None and (f.sample, f.epoch) != self._probe_attributed:
            self._probe_attributed = (f.sample, f.epoch)  # a new sample, or weights of a new epoch
            self.feature_maps.attribution.set_sample(f.sample, image)
            self._ask_attribution("probe", self.feature_maps.attribution, f.sample)

    def _predictions(self, p: ValPredictions) -> None:
        self.predictions = p

    def _diagnostics(self, d: Diagnostics) -> None:
        self.diagnostics = d
        self.gradients.add(d)
        self._warn_from_training()

    def _warn_from_training(self) -> None:
        """The run's warnings (vanishing gradients, overfitting, dead ReLUs) into the Issues list,
        through the document's analysis, as each epoch's figures come."""
        h, d = self.history, self.diagnostics
        epochs = [int(e) for e in h.epoch_x.values.tolist()]
        issues = overfitting(epochs, h.train_loss.values.tolist(), h.val_loss.values.tolist())
        if d is not None:
            vanishing = vanishing_gradients(d.layers, d.peak_grad_share.tolist())
            issues = vanishing + dead_relus(d.relu_zeros) + issues
        self.document.analysis.set_findings(RUN_FINDINGS, issues)

    def _clear_diagnostics(self) -> None:
        self.diagnostics = None
        self.gradients.clear()
        self.document.analysis.set_findings(RUN_FINDINGS, [])

    def _failed(self, failure: TrainingFailure) -> None:
        if failure.kind == CRASH:  # the message says what happened, where, and what is kept
            self._report(failure.message, failure.details)
            return
        where = ""
        if failure.epoch is not None:
            batch = f", batch {failure.batch}" if failure.batch is not None else ""
            where = f" (epoch {failure.epoch}{batch})"
        self._report(f"Training failed{where}: {failure.message}", failure.details)

    def _run_ended(self, result: TrainingResult) -> None:
        self._end_read_only()
        adopted = self.document.adopt_run(result)
        self._ask_unanswered()
        self.live.draw_all()
        self.live.stop()
        self._draw_comparison()  # the live run is no longer live
        self._update_controls()
        if result.status == "failed":
            self.control.show_text("Training failed — see the message above")
            return
        kept = ""
        if adopted is not None:  # say which weights the project keeps (training.keep_weights)
            which = "best" if adopted.file.stem == BEST else "last"
            accuracy = adopted.val_accuracy
            score = f", validation accuracy {100 * accuracy:.2f} %" if accuracy is not None else ""
            kept = f"; keeping the {which} weights (epoch {adopted.epoch}{score})"
        words = {
            "completed": "Training finished",
            "early_stopped": "Training stopped early (no more improvement)",
            "stopped": "Training stopped",
        }
        text = f"{words.get(result.status, result.status)} after {result.epochs_done} epochs{kept}."
        keep = " Save the project to keep the trained weights." if adopted is not None else ""
        self.control.show_text(text)
        self.status_message.emit(text + keep)

    def _show_readiness(self) -> None:
        """While idle, the status line says whether Train can start; a "Cannot train yet"
        banner goes once the network it was about is valid again."""
        errors = self.document.analysis.analysis.errors
        if self._graph_blocked and not errors:
            self._graph_blocked = False
            self.control.banner.hide()
        if self.busy or (self.shown_run is not None and not self._readiness_shown and not errors):
            return  # a run's outcome stays on show until the network breaks
        n = len(errors)
        text = (
            f"Fix {n} issue{'s' * (n != 1)} in the Issues list before training"
            if n
            else "Ready to train"
        )
        self.control.show_text(text, 0.0)
        self._readiness_shown = True

    def _report(self, message: str, details: str = "") -> None:
        """A problem the user should see: in the dashboard (non-blocking) and the status bar."""
        self.control.banner.show_message(message, "error", details)
        self.status_message.emit(message)

    # ---- drawing ---------------------------------------------------------------------------
    def _show_progress(self) -> None:
        if self._progress_dirty and self.progress is not None:
            self._progress_dirty = False
            self.control.show_progress(self.progress, self.info.start_epoch if self.info else 1)

    def _live_shown(self) -> bool:
        return self.isVisible() and self.tabs.currentIndex() == _LIVE

    def _draw_thumbnails(self) -> bool:
        pending, self._pending_thumbnails = self._pending_thumbnails, None
        if pending is None:
            return False
        self.thumbnails.update(pending)
        return True

    # ---- user choices in the views ---------------------------------------------------------
    def _canvas_selection(self) -> None:
        ids = self.document.selection
        if len(ids) != 1:
            return
        # A block selected inside a group is shown by its path (its first repetition's).
        info = self.document.node_infos().get(ids[0])
        node = info.path if info is not None and info.path else ids[0]
        self.feature_maps.select_node(node)
        if self.filters.select_node(node):
            self._filter_node_chosen(node)

    def _sample_chosen(self, index: int) -> None:
        self.controller.capture.sample = index
        self._capture_now()

    def _filter_node_chosen(self, node_id: str) -> None:
        self.controller.capture.weights = (node_id,)
        self._capture_now()

    def _capture_now(self) -> None:
        """New capture settings take effect at once: by the run, or through the trained weights."""
        if self.controller.busy:
            self.controller.request_capture()
            return
        probe = self._offline_probe()
        if probe is None:
            return
        f = probe.capture(self.controller.capture)
        self._features(f)
        self.live.draw_all()

    def _offline_probe(self) -> OfflineProbe | None:
        if self.dataset is None:
            return None
        weights = self.document.weights.weights_file(self.project)
        if weights is None:
            return None
        if self._probe is None or self._probe.weights != weights:
            from cnnstudio.gui.training.probe import OfflineProbe  # torch, once weights are shown

            try:
                self._probe = OfflineProbe(
                    self.project.graph, weights, self.dataset, self._epochs_done()
                )
            except (CnnStudioError, OSError) as exc:
                self.feature_maps.caption.setText(f"Cannot show features: {exc}")
                self.feature_maps.attribution.say(f"Cannot attribute: {exc}")
                return None
        return self._probe

    def _update_filter_layers(self) -> None:
        """The convolutions the Filters and Grad-CAM choosers offer, those inside groups by
        path (``layer1.0/conv1``), in network order."""
        analysis = self.document.analysis.analysis
        layers = []
        for info in analysis.every_node():
            if info.type == "Conv2d" and info.status == "ok":
                summary = get_spec(info.type).summary
                layers.append((info.path, summary(info.kwargs) if summary else ""))
        self.filters.set_layers(layers)
        convolutions = [
            info.path
            for info in analysis.every_node(model_only=True)
            if info.type in ("Conv2d", "ConvTranspose2d")
        ]
        for panel in (self.feature_maps.attribution, self.gallery.attribution):
            panel.set_layers(convolutions)

    # ---- attributions ----------------------------------------------------------------------
    def _ask_attribution(self, view: str, panel: AttributionPanel, sample: int) -> None:
        """Ask the run, or a background thread with the trained weights, for a map."""
        if not self.attributions.ask(view, panel.request(sample), self._offline_source()):
            panel.say("Train the network to see where it looks.")

    def _offline_source(self) -> OfflineSource | None:
        weights = self.document.weights.weights_file(self.project)
        if self.dataset is None or weights is None:
            return None
        snapshot = Project.from_dict(self.project.to_dict()).graph  # the thread's own copy
        return OfflineSource(snapshot, weights, self.dataset)

    def _predict_source(self) -> tuple[Project, Path | None] | None:
        """The network and weights the Predict tab classifies with (a copy for its thread)."""
        keeper = self.document.weights
        if keeper.weights_file(self.project) is None:
            return None
        snapshot = Project.from_dict(self.project.to_dict())
        snapshot.path = self.project.path
        return snapshot, keeper.pending.file if keeper.pending is not None else None

    def predict_images(self) -> None:
        """File > Predict on Images…: show the Predict tab and ask for the images."""
        dock = self.parentWidget()
        if dock is not None and not dock.isVisible():
            dock.show()
        self.tabs.setCurrentWidget(self.predict_panel)
        self.predict_panel.open_images()

    def _ask_unanswered(self) -> None:
        """A question the run ended before answering goes to the trained weights instead."""
        for view, panel in (
            ("probe", self.feature_maps.attribution),
            ("gallery", self.gallery.attribution),
        ):
            if panel.sample is not None and panel.map is None:
                self._ask_attribution(view, panel, panel.sample)

    def _probe_attribution_changed(self) -> None:
        panel = self.feature_maps.attribution
        if panel.sample is not None:
            self._ask_attribution("probe", panel, panel.sample)

    def _attribution_arrived(self, view: str, found: AttributionMap) -> None:
        panel = self.gallery.attribution if view == "gallery" else self.feature_maps.attribution
        if panel.sample == found.sample:
            panel.set_map(found)

    def open_gallery(self, true: int, predicted: int) -> None:
        """Show the validation images of one confusion-matrix cell."""
        if self.predictions is None or self.dataset is None:
            self.status_message.emit("The images appear once an epoch has been validated.")
            return
        names = self.info.class_names if self.info else self.dataset.class_names
        self.gallery.show_cell(self.dataset.val, self.predictions, names, true, predicted)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(PREWARM_DELAY_MS, self, self._prewarm)

    def _prewarm(self) -> None:
        if self.isVisible() and not self.busy:
            self.controller.prewarm()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the light/dark theme was switched
            restyle(self)
            self.control.retheme()
            self.curves.retheme()
            self.data_panel.counts.retheme()
            for view in (self.feature_maps, self.filters, self.confusion):
                view.redraw()

    # ---- the window's questions ------------------------------------------------------------
    def release(self, doing: str) -> bool:
        """Before the document is closed or replaced: stop a run (asking first). True: go on."""
        if doing == "closing":
            self.loader.shutdown(10_000)
        if not self.busy:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Training is running",
            f"Training is running. Stop it before {doing}? The weights trained so far are kept.",
            buttons.Yes | buttons.Cancel,
            buttons.Yes,
        )
        if answer != buttons.Yes:
            return False
        if self._preparing is not None:
            self.stop()
            return True
        if not self.controller.stop_and_wait(STOP_TIMEOUT_MS):
            self.status_message.emit("Training is still stopping; try again in a moment.")
            return False
        return True

    def shutdown(self) -> None:
        """End every thread (the window is going away)."""
        self.controller.shutdown(STOP_TIMEOUT_MS)
        self.attributions.shutdown()
        self.predict_panel.stop()
        self.settings_panel.stop_search()
        self.loader.shutdown(10_000)
        self.live.stop()


def _download_text(done: int, total: int) -> str:
    mb = 1024 * 1024
    if total:
        return f"Downloading the dataset: {done / mb:.1f} of {total / mb:.1f} MB"
    return f"Downloading the dataset: {done / mb:.1f} MB"
