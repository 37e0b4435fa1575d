"""``cnnstudio train FILE``: train a project headless, one line per epoch.

stdout gets one summary line per epoch (``--json``: one JSON object per epoch); stderr gets a
progress bar when it is a terminal and one line per problem. Ctrl-C stops after the current
batch and leaves a checkpoint that ``--resume RUN_DIR`` continues from.
Exit codes: 0 done, 1 the run failed (diverged, bad graph, out of memory), 2 unreadable input
(project, settings, dataset or run folder), 130 stopped by Ctrl-C.

``--processes N`` (or ``training.processes``) runs the same command under
``torchrun --standalone --nproc_per_node N``: every process runs ``run`` below, rank 0 prints.
torchrun runs in a session of its own (a Ctrl-C would make it kill the job with a traceback);
this process catches the Ctrl-C and creates a stop file that rank 0 watches, so the job stops
after the current batch with a checkpoint, as one process does. Rank 0 exits 0 and leaves its
exit code in a file, since torchrun reports any other code with a traceback; another rank exits
non-zero only after a failure of its own, so that torchrun ends the job.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cnnstudio.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    fail,
    open_project,
)
from cnnstudio.core.fileio import atomic_write_text
from cnnstudio.train.config import KEEP_WEIGHTS
from cnnstudio.train.launch import torchrun

if TYPE_CHECKING:
    from cnnstudio.train.callbacks import (
        BatchProgress,
        EpochMetrics,
        RunInfo,
        TrainingResult,
    )

EXIT_STOPPED = 130  # the shell's code for "ended by Ctrl-C"
JOB_DIR_ENV = "CNNSTUDIO_JOB_DIR"  # a --processes job: where rank 0 finds "stop", leaves "exit"
_STOP_POLL_S = 0.1
INPUT_FAULTS = ("config", "data", "checkpoint")  # failures caused by unreadable input: exit 2
_BAR_WIDTH = 28
_BAR_INTERVAL_S = 0.1


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a project and save its weights in a run folder")
    p.add_argument("file", help="a .cnnstudio project file")
    p.add_argument("--epochs", type=int, metavar="N", help="override training.epochs")
    p.add_argument("--batch-size", type=int, metavar="B", help="override training.batch_size")
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda", "mps"), help="override training.device"
    )
    p.add_argument(
        "--run-dir",
        metavar="DIR",
        help="base folder for run folders (default: runs/ beside FILE); "
        "a run is written to DIR/<project>/<timestamp>/",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a stopped or crashed run")
    p.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="train data-parallel in N processes under torchrun, each a share of every batch "
        "(override training.processes)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per epoch")
    p.add_argument(
        "--attach",
        action="store_true",
        help="when done or stopped, copy the weights training.keep_weights names (the best "
        "epoch's by default) beside FILE and record them in its weights section",
    )
    p.add_argument(
        "--keep",
        choices=KEEP_WEIGHTS,
        help="override training.keep_weights: the weights --attach keeps (best or last epoch)",
    )
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        project = open_project(ns.file)
    except CliError as exc:
        return fail(exc)
    rank = int(os.environ.get("RANK", "0"))
    if "WORLD_SIZE" not in os.environ:
        processes = _project_processes(project) if ns.processes is None else ns.processes
        if processes < 1:
            return fail(CliError(f"--processes must be >= 1, got {processes}", EXIT_UNREADABLE))
        if processes > 1:
            return _launch(ns, processes)
    job = os.environ.get(JOB_DIR_ENV)
    code = _train(ns, project, main=rank == 0, job=Path(job) if job else None)
    if "WORLD_SIZE" in os.environ:
        from cnnstudio.train.loop_core import leave

        if job and rank == 0:
            atomic_write_text(Path(job) / "exit", str(code))
            code = EXIT_OK
        leave(code)  # a rank of a torchrun job skips the interpreter's teardown
    return code


def _train(ns: argparse.Namespace, project: Any, main: bool, job: Path | None) -> int:
    """Train in this process; ``main`` False: a torchrun rank other than 0, which prints nothing;
    ``job``: the folder of the ``--processes`` job this process is a rank of."""
    from cnnstudio.train.distributed import SHARED_FAULTS
    from cnnstudio.train.trainer import Trainer

    printer = _Printer(ns.json, sys.stdout, sys.stderr)
    trainer = Trainer(
        project,
        printer if main else None,
        run_dir=ns.run_dir,
        resume_from=ns.resume,
        epochs=ns.epochs,
        batch_size=ns.batch_size,
        device=ns.device,
        keep_weights=ns.keep,
    )
    if main and job is not None:
        threading.Thread(target=_stop_on_file, args=(trainer, job / "stop"), daemon=True).start()
    result = trainer.run()
    printer.clear_bar()
    if not main:  # rank 0 reports; a failure of this rank alone must end the job
        shared = result.failure is None or result.failure.kind in SHARED_FAULTS
        return EXIT_OK if shared else EXIT_INVALID
    if result.failure is not None:
        code = EXIT_UNREADABLE if result.failure.kind in INPUT_FAULTS else EXIT_INVALID
        return fail(CliError(result.failure.message, code))
    code = _attach(project, result, ns.keep) if ns.attach else EXIT_OK
    if result.status == "stopped":
        print(
            f"cnnstudio: stopped; resume with: cnnstudio train {ns.file} --resume {result.run_dir}",
            file=sys.stderr,
        )
        return EXIT_STOPPED if code == EXIT_OK else code
    return code


def _project_processes(project: Any) -> int:
    """``training.processes``; a bad section is left to the run, which names the fault."""
    from cnnstudio.train.config import ConfigError, training_config

    try:
        return training_config(project.training).processes
    except ConfigError:
        return 1


def _launch(ns: argparse.Namespace, processes: int) -> int:
    """Run this command again under torchrun in ``processes`` processes; returns its exit code.

    A first Ctrl-C creates the stop file; a second one ends torchrun and its job at once.
    """
    args = [ns.file]
    for flag, value in (
        ("--epochs", ns.epochs),
        ("--batch-size", ns.batch_size),
        ("--device", ns.device),
        ("--run-dir", ns.run_dir),
        ("--resume", ns.resume),
        ("--keep", ns.keep),
    ):
        if value is not None:
            args += [flag, str(value)]
    args += [flag for flag, on in (("--json", ns.json), ("--attach", ns.attach)) if on]
    command, env = torchrun(processes, "cnnstudio", "train", *args)
    with tempfile.TemporaryDirectory(prefix="cnnstudio-") as folder:
        stop_file, exit_file = Path(folder) / "stop", Path(folder) / "exit"
        env[JOB_DIR_ENV] = folder
        with subprocess.Popen(command, env=env, start_new_session=True) as job:

            def interrupt(signum: int, frame: Any) -> None:
                if stop_file.exists():
                    job.terminate()
                stop_file.touch()

            previous = signal.signal(signal.SIGINT, interrupt)
            try:
                code = job.wait()
            finally:
                signal.signal(signal.SIGINT, previous)
        rank0 = int(exit_file.read_text(encoding="utf-8")) if exit_file.is_file() else 0
        return rank0 if rank0 != 0 or code == 0 else code


def _stop_on_file(trainer: Any, stop_file: Path) -> None:
    """Rank 0 of a --processes job: stop the run once the launching process asks for it."""
    while not stop_file.exists():
        time.sleep(_STOP_POLL_S)
    trainer.stop()


def _attach(project: Any, result: TrainingResult, keep: str | None) -> int:
    """Keep the run's weights with the project, as the editor does after a run or a Stop."""
    from cnnstudio.core.errors import CnnStudioError
    from cnnstudio.train.resume import kept_weights_choice
    from cnnstudio.train.weights import attach_weights

    kept = result.kept_weights(keep or kept_weights_choice(project.training))
    if kept is None:
        return EXIT_OK
    try:
        attach_weights(
            project, kept.file, run=kept.run_dir, epoch=kept.epoch, val_accuracy=kept.val_accuracy
        )
        project.save()
    except (CnnStudioError, OSError) as exc:
        return fail(CliError(f"cannot attach the weights: {exc}", EXIT_INVALID))
    print(
        f"cnnstudio: weights attached to {project.path} ({kept.file.stem}: epoch {kept.epoch})",
        file=sys.stderr,
    )
    return EXIT_OK


class _Printer:
    """Training callbacks that print: epoch lines on stdout, a progress bar on a terminal."""

    def __init__(self, as_json: bool, out: TextIO, err: TextIO) -> None:
        self.as_json, self.out, self.err = as_json, out, err
        self.tty = err.isatty()
        self.bar_shown = False
        self.next_bar = 0.0

    def on_start(self, info: RunInfo) -> None:
        if info.start_epoch > 1:
            print(f"cnnstudio: resuming at epoch {info.start_epoch}", file=self.err)
        if not self.as_json:
            print(
                f"{info.project}: {info.num_train:,} training and {info.num_val:,} validation "
                f"samples, {len(info.class_names)} classes; {info.device} "
                f"({info.threads} threads, amp {info.precision}); run folder {info.run_dir}",
                file=self.out,
                flush=True,
            )

    def on_batches(self, p: BatchProgress) -> None:
        now = time.monotonic()
        if not self.tty or (now < self.next_bar and p.batch < p.batches_per_epoch):
            return
        self.next_bar = now + _BAR_INTERVAL_S
        done = int(_BAR_WIDTH * p.batch / max(p.batches_per_epoch, 1))
        bar = "#" * done + "." * (_BAR_WIDTH - done)
        self.err.write(
            f"\repoch {p.epoch}/{p.epochs} [{bar}] {p.batch}/{p.batches_per_epoch} "
            f"loss {float(p.losses[-1]):.4f} {p.samples_per_s:,.0f}/s "
            f"ETA {_duration(p.epoch_eta_s)}\x1b[K"
        )
        self.err.flush()
        self.bar_shown = True

    def on_epoch(self, m: EpochMetrics) -> None:
        self.clear_bar()
        if self.as_json:
            print(json.dumps({**m.row(), "epochs": m.epochs, "best": m.best}), file=self.out)
        else:
            print(
                f"epoch {m.epoch}/{m.epochs}  train loss {m.train_loss:.4f} "
                f"acc {m.train_accuracy:.2%}  val loss {m.val_loss:.4f} acc {m.val_accuracy:.2%}  "
                f"lr {m.lr:.2e}  {m.seconds:.1f} s  {m.samples_per_s:,.0f} samples/s"
                + ("  *best" if m.best else ""),
                file=self.out,
            )
        self.out.flush()

    def on_end(self, result: TrainingResult) -> None:
        self.clear_bar()
        if self.as_json or result.status == "failed" or result.run_dir is None:
            return
        best = (
            f"; best val accuracy {result.best_val_accuracy:.2%} at epoch {result.best_epoch}"
            if result.best_val_accuracy is not None
            else ""
        )
        print(f"{result.status} after {result.epochs_done} epochs{best}", file=self.out)
        print(f"weights: {result.last_weights} (best: {result.best_weights})", file=self.out)

    def clear_bar(self) -> None:
        if self.bar_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self.bar_shown = False


def _duration(seconds: float) -> str:
    s = max(int(seconds + 0.5), 0)
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )
