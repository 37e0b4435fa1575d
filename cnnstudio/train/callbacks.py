"""What a run reports, as plain Python and numpy values that are cheap to hand to another thread.

A callbacks object is any object with some of the ``on_*`` methods of :class:`TrainingCallbacks`;
the trainer only does the work behind a report (feature capture, prediction copies) when some
callbacks object implements the method that receives it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """Sent once before the first batch: what the run will do and where it writes."""

    run_dir: Path
    project: str
    config: dict[str, Any]
    device: str
    precision: str
    threads: int
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    num_train: int
    num_val: int
    batches_per_epoch: int
    start_epoch: int  # 1-based epoch the run starts (or resumes) in


@dataclasses.dataclass(frozen=True)
class DownloadProgress:
    """Bytes fetched so far while the dataset downloads, before the run starts."""

    done: int
    total: int


@dataclasses.dataclass(frozen=True)
class BatchProgress:
    """Every batch since the previous report; sent at most ~30 times a second."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # batches done in this epoch
    batches_per_epoch: int
    step: int  # optimizer steps done in the whole run
    losses: np.ndarray  # float32, one training loss per batch since the previous report
    lr: float
    samples_per_s: float  # since the previous report
    epoch_eta_s: float
    eta_s: float  # to the end of the last epoch, validation excluded


@dataclasses.dataclass(frozen=True)
class EpochMetrics:
    """One finished epoch; ``confusion[i, j]`` counts validation samples of class i predicted j."""

    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    per_class_accuracy: np.ndarray  # float64, NaN for a class absent from validation
    confusion: np.ndarray  # int64 [classes, classes]
    lr: float
    seconds: float
    samples_per_s: float  # training samples per second of this epoch
    best: bool  # best validation accuracy so far (its weights are in best.safetensors)

    def row(self) -> dict[str, Any]:
        """The scalar metrics, as written to metrics.csv and printed by ``cnnstudio train --json``."""
        return {
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
            "lr": self.lr,
            "seconds": round(self.seconds, 4),
            "samples_per_s": round(self.samples_per_s, 1),
        }


@dataclasses.dataclass(frozen=True)
class Features:
    """Activations of one validation sample (the probe) through the current weights.

    ``activations`` maps node id -> that node's output without the batch dimension;
    ``weights`` maps node id -> a copy of that node's ``weight`` (the first convolution always).
    """

    epoch: int
    batch: int  # batches done in this epoch when captured (== batches_per_epoch at epoch end)
    step: int
    sample: int  # index into the validation set
    label: int
    activations: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    probabilities: np.ndarray  # float32 [classes]


# The attribution methods by the names requests use, with what the editor calls them.
ATTRIBUTION_METHODS = {
    "gradcam": "Grad-CAM",
    "saliency": "Saliency",
    "integrated_gradients": "Integrated gradients",
}


@dataclasses.dataclass(frozen=True)
class AttributionMap:
    """Where one validation sample made the network decide for ``target`` (captum), asked for
    by the editor with ``request`` (its answer to an older request is dropped).

    ``method``: ``gradcam`` (on convolution ``node``), ``saliency`` or ``integrated_gradients``;
    ``heat`` is float32 ``(H, W)`` at the input's resolution, scaled to [0, 1].
    """

    request: int
    sample: int  # index into the validation set
    method: str
    node: str | None
    target: int
    heat: np.ndarray
    probabilities: np.ndarray  # float32 [classes]
    error: str = ""  # why no map could be made (then ``heat`` is empty)

    @classmethod
    def unanswerable(cls, request: Mapping[str, Any], sample: int, error: str) -> AttributionMap:
        """The answer to ``request`` when no map can be made, saying why."""
        return cls(
            int(request.get("request", 0)),
            sample,
            str(request.get("method", "")),
            None,
            -1,
            np.zeros((0, 0), np.float32),
            np.zeros(0, np.float32),
            error,
        )


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """The maths of one epoch's training, measured on the capture batches (``capture.every``).

    Per parametrised layer, in network order: the gradient norm and the weight-update ratio
    ‖Δw‖/‖w‖ of one optimizer step, averaged over the batches measured, and the largest share of
    the biggest layer's gradient norm the layer reached in any of them (below 1e-3 all epoch:
    vanishing). ``relu_zeros``: each ReLU node's share of zero outputs over the validation
    capture batch (the first validation samples).
    """

    epoch: int
    layers: tuple[str, ...]
    grad_norm: np.ndarray  # float64 [layers]
    update_ratio: np.ndarray  # float64 [layers]
    peak_grad_share: np.ndarray  # float64 [layers]
    batches: int  # batches measured this epoch
    relu_zeros: dict[str, float]

    def row(self) -> dict[str, Any]:
        """As written to metrics.jsonl under ``diagnostics``."""
        return {
            "batches": self.batches,
            "layers": {
                node: {
                    "grad_norm": float(g),
                    "update_ratio": float(u),
                    "peak_grad_share": float(p),
                }
                for node, g, u, p in zip(
                    self.layers,
                    self.grad_norm,
                    self.update_ratio,
                    self.peak_grad_share,
                    strict=True,
                )
            },
            "relu_zeros": dict(self.relu_zeros),
        }


@dataclasses.dataclass(frozen=True)
class ValPredictions:
    """Each validation sample's true class, predicted class and the predicted class's probability."""

    epoch: int
    targets: np.ndarray  # int64 [num_val]
    predictions: np.ndarray  # int64 [num_val]
    confidence: np.ndarray  # float32 [num_val]

    def samples(self, true: int, predicted: int) -> np.ndarray:
        """Indices of samples of class ``true`` predicted as ``predicted``, most confident first."""
        index = np.flatnonzero((self.targets == true) & (self.predictions == predicted))
        return index[np.argsort(-self.confidence[index], kind="stable")]


@dataclasses.dataclass(frozen=True)
class TrainingFailure:
    """Why a run failed. ``kind``: config, data, graph, nan, oom, callback or internal."""

    kind: str
    message: str
    epoch: int | None = None
    batch: int | None = None
    details: str = ""  # the traceback, for internal errors only


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    """How a run ended. ``status``: completed, early_stopped, stopped or failed."""

    status: str
    run_dir: Path | None
    epochs_done: int
    best_epoch: int | None
    best_val_accuracy: float | None
    history: tuple[dict[str, Any], ...]  # EpochMetrics.row() of every epoch of the run
    failure: TrainingFailure | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def last_weights(self) -> Path | None:
        return self.run_dir / "last.safetensors" if self.run_dir else None

    @property
    def best_weights(self) -> Path | None:
        return self.run_dir / "best.safetensors" if self.run_dir else None

    def kept_weights(self, keep: str = "best") -> KeptWeights | None:
        """The weights a project keeps of this run (``training.keep_weights``): the best
        epoch's, or the last ones (``keep="last"``, or when no epoch was validated yet); None
        when the run left none. The editor and ``cnnstudio train --attach`` both ask this."""
        if self.run_dir is None:
            return None
        best, last = self.best_weights, self.last_weights
        if keep == "best" and self.best_epoch is not None and best is not None and best.is_file():
            return KeptWeights(best, self.run_dir, self.best_epoch, self.best_val_accuracy)
        if last is None or not last.is_file():
            return None
        accuracy = self.history[-1].get("val_accuracy") if self.history else None
        return KeptWeights(
            last,
            self.run_dir,
            self.epochs_done,
            float(accuracy) if isinstance(accuracy, (int, float)) else None,
        )


@dataclasses.dataclass(frozen=True)
class KeptWeights:
    """Weights a run leaves its project: the file, its run, epoch and validation accuracy."""

    file: Path
    run_dir: Path
    epoch: int
    val_accuracy: float | None


class TrainingCallbacks:
    """Base class listing every report; subclass it and override the ones you need."""

    def on_download(self, progress: DownloadProgress) -> None:
        """Called while the dataset is being downloaded (only when it must be)."""

    def on_start(self, info: RunInfo) -> None:
        """Called once, before the first batch."""

    def on_batches(self, progress: BatchProgress) -> None:
        """Called at most ~30 times a second with every batch loss since the last call."""

    def on_epoch(self, metrics: EpochMetrics) -> None:
        """Called after each epoch's validation."""

    def on_features(self, features: Features) -> None:
        """Called every ``capture.every`` batches and at each epoch end."""

    def on_predictions(self, predictions: ValPredictions) -> None:
        """Called after each epoch's validation, before ``on_epoch``."""

    def on_attribution(self, attribution: AttributionMap) -> None:
        """Called when an attribution the editor asked for (``request_attribution``) is ready."""

    def on_diagnostics(self, diagnostics: Diagnostics) -> None:
        """Called after each epoch's validation, before ``on_epoch``."""

    def on_error(self, failure: TrainingFailure) -> None:
        """Called when the run fails; ``on_end`` follows."""

    def on_end(self, result: TrainingResult) -> None:
        """Called once when the run ends, however it ends."""


EVENTS = tuple(n for n in vars(TrainingCallbacks) if n.startswith("on_"))


class ReportSink:
    """Callbacks that hand every report to one function, for a receiver that dispatches by the
    report's type (the editor's worker sends them all through one Qt signal)."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        self.send = send


def _sending(event: str) -> Callable[[ReportSink, Any], None]:
    def method(self: ReportSink, report: Any) -> None:
        self.send(report)

    method.__name__ = event
    return method


for _event in EVENTS:
    setattr(ReportSink, _event, _sending(_event))


class CallbackList:
    """Dispatches each report to the callbacks objects that implement it."""

    def __init__(self, callbacks: object | Sequence[object] | None) -> None:
        if callbacks is None:
            items: Sequence[object] = ()
        elif isinstance(callbacks, (list, tuple)):
            items = callbacks
        else:
            items = (callbacks,)
        self._handlers = {e: [getattr(c, e) for c in items if _implements(c, e)] for e in EVENTS}

    def wants(self, event: str) -> bool:
        return bool(self._handlers[event])

    def emit(self, event: str, value: Any) -> None:
        for handler in self._handlers[event]:
            handler(value)

    def emit_quietly(self, event: str, value: Any) -> None:
        """For on_error/on_end: a faulty handler is logged, never allowed to mask the first fault."""
        for handler in self._handlers[event]:
            try:
                handler(value)
            except Exception:
                log.exception("training callback %s failed", event)


def _implements(obj: object, event: str) -> bool:
    method = getattr(type(obj), event, None)
    if method is None:
        return callable(getattr(obj, event, None))
    return method is not getattr(TrainingCallbacks, event)
