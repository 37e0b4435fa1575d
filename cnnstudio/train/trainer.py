"""The training loop, controllable from another thread.

``Trainer.run()`` runs in the calling thread (a worker thread in the editor, the main thread in
the CLI) and never raises for anything a run can run into: faults end the run with status
``failed`` and reach ``on_error``. ``pause``, ``resume`` and ``stop`` may be called from any
thread; a stop takes effect before the next batch and leaves a checkpoint to resume from.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch

from cnnstudio.core.project import Project
from cnnstudio.train.callbacks import (
    BatchProgress,
    CallbackList,
    Diagnostics,
    DownloadProgress,
    EpochMetrics,
    RunInfo,
    TrainingFailure,
    TrainingResult,
    ValPredictions,
)
from cnnstudio.train.capture import CaptureSettings, features
from cnnstudio.train.checkpoint import save_checkpoint, save_weights
from cnnstudio.train.data.batching import batches
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.data.errors import DownloadCancelled
from cnnstudio.train.data.normalize import to_float
from cnnstudio.train.diagnostics import VAL_CAPTURE, GradientMonitor, relu_zero_shares
from cnnstudio.train.distributed import (
    SHARED_FAULTS,
    BatchExchange,
    Control,
    leave_group,
    share_buffers,
)
from cnnstudio.train.evaluate import early_stop, validate
from cnnstudio.train.faults import CallbackFailed, TrainingError, describe_failure
from cnnstudio.train.loop_core import loss_weight, process_share
from cnnstudio.train.metrics import RunningMetrics, per_class_accuracy
from cnnstudio.train.runs import BEST, LAST
from cnnstudio.train.session import Session, open_session

log = logging.getLogger(__name__)

# At most 10 batch reports a second, whatever the batch rate: the editor redraws its curves 10
# times a second, and every report is a Python call in its thread (which holds the GIL).
REPORT_INTERVAL_S = 1 / 10
_PAUSE_POLL_S = 0.1


class _Clock:
    """Wall time of an epoch with paused time taken out."""

    def __init__(self, already: float = 0.0) -> None:
        self.start = time.perf_counter() - already
        self.paused = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start - self.paused


class Trainer:
    """Trains ``project`` once. Construction is cheap and never fails; ``run()`` does the work.

    ``run_dir`` is the base folder for run folders (default ``runs`` beside the project);
    ``resume_from`` a run folder to continue; ``dataset`` an already loaded dataset to reuse;
    ``overrides`` replace settings of the project's ``training`` section (``epochs=2`` ...).
    """

    def __init__(
        self,
        project: Project,
        callbacks: object | Sequence[object] | None = None,
        *,
        run_dir: str | Path | None = None,
        resume_from: str | Path | None = None,
        dataset: Dataset | None = None,
        capture: CaptureSettings | None = None,
        report_interval: float = REPORT_INTERVAL_S,
        **overrides: Any,
    ) -> None:
        self.project = project
        self.callbacks = CallbackList(callbacks)
        self.capture = capture or CaptureSettings()
        self.run_dir: Path | None = None
        self.dataset = dataset
        self._run_base = Path(run_dir) if run_dir is not None else None
        self._resume_from = Path(resume_from) if resume_from is not None else None
        self._report_interval = report_interval
        self._next_capture = 0.0  # no periodic capture before this (perf_counter time)
        self._overrides = overrides
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._capture_now = threading.Event()
        self._attributions: collections.deque[dict[str, Any]] = collections.deque()
        self._attributor: Any = None  # train.attribution.Attributor, made on the first request
        self._started = False
        self._monitor: GradientMonitor | None = None  # rank 0's gradient diagnostics

    # -- control, from any thread ----------------------------------------------------------

    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def stop(self) -> None:
        """Finish the current batch, save a checkpoint and end the run with status ``stopped``."""
        self._stop.set()
        self._go.set()

    def request_capture(self) -> None:
        """Capture features as soon as possible (also while paused), e.g. after a probe change."""
        self._capture_now.set()

    def request_attribution(self, request: dict[str, Any]) -> None:
        """Answer an attribution request (see ``attribution.attribution_map``) at the next
        capture point, also while paused; the answer is an ``on_attribution`` report."""
        self._attributions.append(dict(request))
        self._capture_now.set()

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> TrainingResult:
        if self._started:
            raise RuntimeError("a Trainer runs once; create a new one for another run")
        self._started = True
        threads_before = torch.get_num_threads()
        session: Session | None = None
        status, failure = "failed", None
        try:
            with self._sigint_stops(), torch.random.fork_rng(devices=[]):
                session = open_session(
                    self.project,
                    self._overrides,
                    self._run_base,
                    self._resume_from,
                    self.dataset,
                    download_progress=self._download_progress,
                    cancel=self._stop,
                )
                self.run_dir, self.dataset = session.folder.path, session.dataset
                if not session.group.main:  # rank 0 reports for the whole job
                    self.callbacks = CallbackList(None)
                torch.set_num_threads(session.runtime.threads)
                status = self._train(session)
        except DownloadCancelled:
            status = "stopped"
        except Exception as exc:
            failure = describe_failure(exc, session)
        finally:
            torch.set_num_threads(threads_before)
        main = session is None or session.group.main
        if failure is not None and main:
            self.callbacks.emit_quietly("on_error", failure)
        result = self._result(session, status, failure)
        if session is not None and main:
            try:
                session.folder.write_summary(_summary(session, result))
            except OSError:
                log.exception("cannot write the run's summary")
        leave_group(together=failure is None or failure.kind in SHARED_FAULTS)
        self.callbacks.emit_quietly("on_end", result)
        return result

    @contextlib.contextmanager
    def _sigint_stops(self) -> Iterator[None]:
        """In the main thread, a first Ctrl-C stops cleanly; a second one interrupts at once.

        The other ranks of a torchrun job ignore it: rank 0's stop reaches them at the next batch.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        if int(os.environ.get("RANK", "0")) > 0:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                yield
            finally:
                signal.signal(signal.SIGINT, previous)
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            if self._stop.is_set():
                raise KeyboardInterrupt
            self.stop()

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _download_progress(self, done: int, total: int) -> None:
        self._emit("on_download", DownloadProgress(done, total))

    def _emit(self, event: str, value: Any) -> None:
        try:
            self.callbacks.emit(event, value)
        except Exception as exc:
            raise CallbackFailed(f"{event} callback failed: {type(exc).__name__}: {exc}") from exc

    def _train(self, s: Session) -> str:
        if s.rng_state is not None:
            torch.set_rng_state(s.rng_state["torch"])
            if s.rng_state.get("cuda") and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(s.rng_state["cuda"])
        else:
            torch.manual_seed(s.config.seed)
        if s.group.rank > 0:  # dropout: every process its own masks
            torch.manual_seed(s.config.seed * 1_000_003 + s.position.step * 1_009 + s.group.rank)
        self._emit("on_start", _run_info(s))
        if s.group.main:
            self._monitor = GradientMonitor(s.model)
        for epoch in range(s.position.epochs_done + 1, s.config.epochs + 1):
            if not self._train_epoch(s, epoch):
                return "stopped"
            if self._end_epoch(s, epoch):
                return "early_stopped"
        return "completed"

    def _train_epoch(self, s: Session, epoch: int) -> bool:
        """One epoch of training batches; False when stopped part-way (a checkpoint is saved)."""
        pos, nb = s.position, s.batches_per_epoch
        if pos.epoch_generator is not None:
            s.generator.set_state(pos.epoch_generator)
        pos.epoch_generator = s.generator.get_state()
        skip = pos.batch
        metrics = RunningMetrics()
        if pos.partial is not None:
            metrics.load_state(pos.partial)
        clock = _Clock(pos.partial_seconds)
        train_clock = _Clock(pos.partial_train_seconds)
        data = batches(
            s.dataset.train,
            s.config.batch_size,
            shuffle=True,
            generator=s.generator,
            normalization=s.normalization,
            augment=s.dataset.augment,
            device=s.runtime.device,
            drop_last=s.drop_last,
        )
        for _ in range(skip):  # replays the shuffle and augmentation draws of a resumed epoch
            next(data)
        s.stepper.train()
        reporter = _Reporter(self, s, epoch, metrics, train_clock, skip)
        capture_every = self.capture.every if self.callbacks.wants("on_features") else 0
        step_fn = _amp_step if s.runtime.precision.dtype is not None else _plain_step
        group = s.group
        shared = BatchExchange(group, self._report_interval)
        if self._monitor is not None:
            self._monitor.reset()
        for b in range(skip, nb):
            if group.parallel:
                if shared.control is Control.PAUSE:
                    reporter.flush(b)
                    self._capture_now.set()
                    self._wait_paused_together(s, shared, epoch, b, (clock, train_clock))
                elif self._capture_now.is_set():
                    self._capture_now.clear()
                    self._capture(s, epoch, b)
            elif not self._go.is_set() or self._capture_now.is_set():
                if not self._go.is_set():  # paused: progress and features name this batch
                    reporter.flush(b)
                    self._capture_now.set()
                self._wait_paused(s, epoch, b, (clock, train_clock))
            stop = shared.control is Control.STOP if group.parallel else self._stop.is_set()
            if stop:
                reporter.flush(b)
                self._save_partial(s, epoch, b, metrics, clock, train_clock)
                return False
            x, y = next(data)
            lr = s.schedule.apply(s.optimizer, pos.step)
            monitor = self._monitor if self._measures(b - skip, nb - skip) else None
            if monitor is not None:
                monitor.before_step()
            if group.parallel:
                self._parallel_step(s, step_fn, x, y, shared)
            else:
                loss, outputs = step_fn(s, x, y, 1.0)
                metrics.update(loss, outputs, y)
            if monitor is not None:
                monitor.after_step()
            pos.step += 1
            if group.parallel:  # every rank reports (rank 0 to its callbacks) what it exchanged
                if shared.due(epoch_ends=b + 1 == nb):
                    shared.exchange(self._control_wish(), metrics)
                    reporter.flush(b + 1, lr)
            elif time.perf_counter() >= reporter.due:
                reporter.flush(b + 1, lr)
            if (
                capture_every
                and (b + 1) % capture_every == 0
                and time.perf_counter() >= self._next_capture
            ):
                self._capture(s, epoch, b + 1)
        reporter.flush(nb, s.optimizer.param_groups[0]["lr"])
        s.position.partial = metrics.state()
        s.position.partial_seconds = clock.elapsed()
        s.position.partial_train_seconds = train_clock.elapsed()
        return True

    def _measures(self, batch: int, batches: int) -> bool:
        """Whether gradient diagnostics measure this batch (counted from the epoch's first one
        this run trains): the capture rate, else once, on the epoch's last batch."""
        every = self.capture.every
        return batch % every == 0 if every > 0 else batch == batches - 1

    def _control_wish(self) -> Control:
        """Rank 0's controls as the number every rank adds up (the others add 0)."""
        if self._stop.is_set():
            return Control.STOP
        return Control.GO if self._go.is_set() else Control.PAUSE

    def _parallel_step(
        self,
        s: Session,
        step_fn: _Step,
        x: torch.Tensor,
        y: torch.Tensor,
        shared: BatchExchange,
    ) -> None:
        """Train on this rank's share of the global batch ``x``; its scores wait in ``shared``
        until the exchange that sums them into the global batch's (what one process records)."""
        rank, world = s.group.rank, s.group.world
        mine_x = process_share(x, world, rank)
        mine_y = process_share(y, world, rank)
        size = mine_y.shape[0]
        loss, outputs = step_fn(s, mine_x, mine_y, loss_weight(size, world, y.shape[0]))
        correct = (outputs.detach().argmax(1) == mine_y).sum()
        shared.add(loss, correct, size, y.shape[0])

    def _wait_paused_together(
        self,
        s: Session,
        shared: BatchExchange,
        epoch: int,
        batch: int,
        clocks: tuple[_Clock, _Clock],
    ) -> None:
        """Every rank waits while rank 0 is paused, asking it again every ``_PAUSE_POLL_S``."""
        started = time.perf_counter()
        while shared.control is Control.PAUSE:
            if s.group.main:
                if self._capture_now.is_set():
                    self._capture_now.clear()
                    if self._probed:
                        self._capture(s, epoch, batch)
                self._go.wait(_PAUSE_POLL_S)
            shared.ask(self._control_wish(), s.runtime.device)
        waited = time.perf_counter() - started
        for clock in clocks:
            clock.paused += waited

    def _wait_paused(
        self, s: Session, epoch: int, batch: int, clocks: tuple[_Clock, _Clock]
    ) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            if self._capture_now.is_set():
                self._capture_now.clear()
                if self._probed:
                    self._capture(s, epoch, batch)
            if self._go.wait(_PAUSE_POLL_S) and not self._capture_now.is_set():
                break
        waited = time.perf_counter() - started
        for clock in clocks:
            clock.paused += waited

    @property
    def _probed(self) -> bool:
        """Someone takes features or attributions: capture points are worth stopping at."""
        return self.callbacks.wants("on_features") or self.callbacks.wants("on_attribution")

    def _capture(self, s: Session, epoch: int, batch: int) -> None:
        while self._attributions:
            request = self._attributions.popleft()
            if self.callbacks.wants("on_attribution"):
                self._emit("on_attribution", self._attribute(s, request))
        if not self.callbacks.wants("on_features"):
            return
        index = min(max(self.capture.sample, 0), len(s.dataset.val) - 1)
        image = to_float(s.dataset.val.x[index].unsqueeze(0).to(s.runtime.device))
        sample = s.normalization.apply(image)[0]
        label = int(s.dataset.val.y[index])
        found = features(s.probe, self.capture, sample, label, index, epoch, batch, s.position.step)
        self._emit("on_features", found)
        self._next_capture = time.perf_counter() + self.capture.min_interval_s

    def _attribute(self, s: Session, request: dict[str, Any]) -> Any:
        from cnnstudio.train.attribution import Attributor, attribution_map  # captum: if asked

        if self._attributor is None or self._attributor.model is not s.probe.model:
            self._attributor = Attributor(s.probe.model, s.probe.output_kind)
        index = min(max(int(request.get("sample", 0)), 0), len(s.dataset.val) - 1)
        image = to_float(s.dataset.val.x[index].unsqueeze(0).to(s.runtime.device))
        return attribution_map(self._attributor, request, s.normalization.apply(image)[0], index)

    def _save_partial(
        self,
        s: Session,
        epoch: int,
        batch: int,
        metrics: RunningMetrics,
        clock: _Clock,
        train_clock: _Clock,
    ) -> None:
        pos = s.position
        pos.batch = batch
        pos.partial = metrics.state()
        pos.partial_seconds = clock.elapsed()
        pos.partial_train_seconds = train_clock.elapsed()
        _save_checkpoint(s, epoch - 1, None)

    def _end_epoch(self, s: Session, epoch: int) -> bool:
        """Validate, record, checkpoint and report; True when early stopping ends the run."""
        pos = s.position
        train = RunningMetrics()
        train.load_state(pos.partial or {"loss_sum": 0.0, "correct": 0, "seen": 0})
        clock, train_seconds = _Clock(pos.partial_seconds), pos.partial_train_seconds
        share_buffers(s.model, s.group)
        val_loss, confusion, preds = validate(s)
        val_accuracy = float(np.trace(confusion) / max(confusion.sum(), 1))
        best = pos.best_val_accuracy is None or val_accuracy > pos.best_val_accuracy
        pos.epochs_done, pos.batch, pos.partial = epoch, 0, None
        pos.partial_seconds = pos.partial_train_seconds = 0.0
        pos.epoch_generator = s.generator.get_state()
        if best:
            pos.best_epoch, pos.best_val_accuracy = epoch, val_accuracy
            if s.group.main:
                meta = _weights_metadata(s, epoch, val_accuracy)
                save_weights(s.folder.weights(BEST), s.model, meta)
        stop_early = early_stop(s, val_loss, val_accuracy)
        _save_checkpoint(s, epoch, val_accuracy)
        metrics = EpochMetrics(
            epoch=epoch,
            epochs=s.config.epochs,
            train_loss=train.loss(),
            train_accuracy=train.accuracy(),
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            per_class_accuracy=per_class_accuracy(confusion),
            confusion=confusion,
            lr=float(s.optimizer.param_groups[0]["lr"]),
            seconds=clock.elapsed(),
            samples_per_s=train.seen / max(train_seconds, 1e-9),
            best=best,
        )
        row = metrics.row()
        s.history.append(row)
        diagnostics = self._diagnostics(s, epoch)
        if s.group.main:
            s.folder.append_metrics(
                {
                    **row,
                    "best": best,
                    "per_class_accuracy": metrics.per_class_accuracy.tolist(),
                    "confusion": confusion.tolist(),
                    **({"diagnostics": diagnostics.row()} if diagnostics is not None else {}),
                }
            )
        if diagnostics is not None:
            self._emit("on_diagnostics", diagnostics)
        if self.callbacks.wants("on_predictions"):
            targets, predicted, confidence = preds
            self._emit("on_predictions", ValPredictions(epoch, targets, predicted, confidence))
        if self._probed:
            self._capture(s, epoch, s.batches_per_epoch)
        self._emit("on_epoch", metrics)
        return stop_early

    def _diagnostics(self, s: Session, epoch: int) -> Diagnostics | None:
        """The epoch's gradient figures with the ReLUs' zeros on the validation capture batch."""
        if self._monitor is None:
            return None
        zeros: dict[str, float] = {}
        if len(s.dataset.val):
            first = batches(
                s.dataset.val,
                VAL_CAPTURE,
                normalization=s.normalization,
                device=s.runtime.device,
            )
            zeros = relu_zero_shares(s.probe, next(first)[0])
        return self._monitor.report(epoch, zeros)

    def _result(
        self, s: Session | None, status: str, failure: TrainingFailure | None
    ) -> TrainingResult:
        if s is None:
            return TrainingResult(status, None, 0, None, None, (), failure)
        return TrainingResult(
            status=status,
            run_dir=s.folder.path,
            epochs_done=s.position.epochs_done,
            best_epoch=s.position.best_epoch,
            best_val_accuracy=s.position.best_val_accuracy,
            history=tuple(s.history),
            failure=failure,
        )


class _Reporter:
    """Folds batch results in at most every ``report_interval``; checks losses; sends progress."""

    def __init__(
        self,
        trainer: Trainer,
        s: Session,
        epoch: int,
        metrics: RunningMetrics,
        clock: _Clock,
        first_batch: int,
    ) -> None:
        self.trainer, self.s, self.epoch = trainer, s, epoch
        self.metrics, self.clock = metrics, clock
        self.interval = trainer._report_interval
        self.wanted = trainer.callbacks.wants("on_batches")
        self.batch = first_batch  # batches done at the last flush
        self.first_batch = first_batch
        self.last_time = clock.elapsed()
        self.start_time = self.last_time
        self.due = time.perf_counter() + self.interval

    def flush(self, batch: int, lr: float | None = None) -> None:
        losses = self.metrics.flush()
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            at = self.batch + int(bad[0]) + 1
            value = losses[bad[0]]
            raise TrainingError(
                "nan",
                f"the loss became {value} at epoch {self.epoch}, batch {at}: training diverged; "
                f"try a lower learning rate (training.lr is {self.s.config.lr:g})",
                self.epoch,
                at,
            )
        now = self.clock.elapsed()
        if self.wanted and losses.size:
            s = self.s
            nb = s.batches_per_epoch
            per_batch = (now - self.start_time) / max(batch - self.first_batch, 1)
            epoch_eta = (nb - batch) * per_batch
            remaining_epochs = s.config.epochs - self.epoch
            samples = losses.size * s.config.batch_size
            self.trainer._emit(
                "on_batches",
                BatchProgress(
                    epoch=self.epoch,
                    epochs=s.config.epochs,
                    batch=batch,
                    batches_per_epoch=nb,
                    step=s.position.step,
                    losses=losses,
                    lr=float(lr if lr is not None else s.optimizer.param_groups[0]["lr"]),
                    samples_per_s=samples / max(now - self.last_time, 1e-9),
                    epoch_eta_s=epoch_eta,
                    eta_s=epoch_eta + remaining_epochs * nb * per_batch,
                ),
            )
        self.batch, self.last_time = batch, now
        self.due = time.perf_counter() + self.interval


# A training step: ``(session, images, labels, loss weight)`` -> (loss, outputs); the weight
# (``loop_core.loss_weight``, 1 in one process) makes DDP's gradient the global batch's mean.
_Step = Callable[[Session, torch.Tensor, torch.Tensor, float], tuple[torch.Tensor, torch.Tensor]]


def _plain_step(
    s: Session, x: torch.Tensor, y: torch.Tensor, weight: float
) -> tuple[torch.Tensor, torch.Tensor]:
    outputs = s.stepper(x)
    loss = s.loss_fn(outputs, y)
    s.optimizer.zero_grad(set_to_none=True)
    torch.autograd.backward(loss if weight == 1.0 else loss * weight)
    s.optimizer.step()
    return loss, outputs


def _amp_step(
    s: Session, x: torch.Tensor, y: torch.Tensor, weight: float
) -> tuple[torch.Tensor, torch.Tensor]:
    device = s.runtime.device.type
    with torch.autocast(device, dtype=s.runtime.precision.dtype):
        outputs = s.stepper(x)
        loss = s.loss_fn(outputs, y)
    s.optimizer.zero_grad(set_to_none=True)
    weighted = loss if weight == 1.0 else loss * weight
    if s.scaler is None:
        torch.autograd.backward(weighted)
        s.optimizer.step()
    else:
        torch.autograd.backward(s.scaler.scale(weighted))
        s.scaler.step(s.optimizer)
        s.scaler.update()
    return loss, outputs


def _weights_metadata(s: Session, epoch: int, val_accuracy: float | None) -> dict[str, str]:
    """Safetensors header strings, so a weights file says where it came from on its own."""
    meta = {"format": "cnnstudio-weights", "project": s.project.name, "epoch": str(epoch)}
    if val_accuracy is not None:
        meta["val_accuracy"] = f"{val_accuracy:.6f}"
    return meta


def _save_checkpoint(s: Session, epochs_done: int, val_accuracy: float | None) -> None:
    """``last``: the weights with the optimizer, RNG and position state that go with them.

    Rank 0 writes for a torchrun job: every rank holds the same weights and optimizer state."""
    if not s.group.main:
        return
    rng: dict[str, Any] = {"torch": torch.get_rng_state()}
    if s.runtime.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state_all()
    save_checkpoint(
        s.folder.weights(LAST),
        s.folder.state(LAST),
        s.model,
        _weights_metadata(s, epochs_done, val_accuracy),
        {
            "position": s.position.state(),
            "optimizer": s.optimizer.state_dict(),
            "scaler": s.scaler.state_dict() if s.scaler is not None else {},
            "rng": rng,
        },
    )


def _run_info(s: Session) -> RunInfo:
    return RunInfo(
        run_dir=s.folder.path,
        project=s.project.name,
        config=s.snapshot,
        device=str(s.runtime.device),
        precision=s.runtime.precision.name,
        threads=s.runtime.threads,
        class_names=tuple(s.dataset.class_names),
        input_shape=tuple(s.dataset.sample_shape),
        num_train=len(s.dataset.train),
        num_val=len(s.dataset.val),
        batches_per_epoch=s.batches_per_epoch,
        start_epoch=s.position.epochs_done + 1,
    )


def _summary(s: Session, result: TrainingResult) -> dict[str, Any]:
    failure = result.failure
    last = s.history[-1] if s.history else None
    return {
        "status": result.status,
        "project": s.project.name,
        "epochs": s.config.epochs,
        "epochs_done": result.epochs_done,
        "stopped_at": {"epoch": s.position.epochs_done + 1, "batch": s.position.batch}
        if result.status == "stopped"
        else None,
        "best_epoch": result.best_epoch,
        "best_val_accuracy": result.best_val_accuracy,
        "final": last,
        "seconds": round(sum(float(r.get("seconds") or 0.0) for r in s.history), 4),
        "weights": {
            which: s.folder.weights(which).name
            for which in (LAST, BEST)
            if s.folder.weights(which).exists()
        },
        "device": str(s.runtime.device),
        "precision": s.runtime.precision.name,
        "threads": s.runtime.threads,
        "failure": None
        if failure is None
        else {
            "kind": failure.kind,
            "message": failure.message,
            "epoch": failure.epoch,
            "batch": failure.batch,
            "details": failure.details,
        },
    }


def train(
    project: Project,
    callbacks: object | Sequence[object] | None = None,
    **options: Any,
) -> TrainingResult:
    """Train ``project`` in this thread and return how it went; never raises for a failed run.

    ``options`` are Trainer's keyword arguments: ``run_dir``, ``resume_from``, ``dataset``,
    ``capture``, and overrides of the ``training`` section such as ``epochs=3``.
    """
    return Trainer(project, callbacks, **options).run()
