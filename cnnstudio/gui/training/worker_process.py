"""The training process as the editor sees it: started early, sent one job, watched to its end.

``TrainingProcess`` starts ``python -m cnnstudio.train.worker`` (or N of them under
``torchrun``) and accepts its connection; ``RunDriver`` lives in the controller's QThread, sends
the job, turns the process's messages into reports, and ends however the process ends: with its
result, or — killed, crashed, out of memory — with a failure that says what happened and where
the last checkpoint is. The editor process never trains and never imports torch for a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from cnnstudio.gui.threads import back_to_gui_thread
from cnnstudio.train.callbacks import (
    BatchProgress,
    EpochMetrics,
    RunInfo,
    TrainingFailure,
    TrainingResult,
)
from cnnstudio.train.launch import torchrun
from cnnstudio.train.wire import WireError, decode_report, encode_command
from cnnstudio.train.worker import KEY_VARIABLE, READY

POLL_S = 0.05
ANSWER_S = 3.0  # a process that does not end this long after being told to is terminated
START_S = 60.0  # to connect and import torch, on a busy machine
CRASH = "crash"  # the TrainingFailure kind of a process that ended without a result


class TrainingProcess:
    """One training process, connecting back here; started early, it waits for its job.

    With ``processes`` > 1 it is ``torchrun`` with that many ranks, started for ``job`` (every
    rank reads it from a file; rank 0 connects back).
    """

    def __init__(self, processes: int = 1, job: dict[str, Any] | None = None) -> None:
        key = secrets.token_bytes(32)
        self._listener = Listener(authkey=key)
        self._job_file: Path | None = None
        self.processes = processes
        command = [sys.executable, "-m", "cnnstudio.train.worker", str(self._listener.address)]
        env = dict(os.environ)
        if processes > 1:
            fd, job_path = tempfile.mkstemp(prefix="cnnstudio-job-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(job, file)
            self._job_file = Path(job_path)
            command, env = torchrun(
                processes, "cnnstudio.train.worker", str(self._listener.address), "--job", job_path
            )
        env.update({KEY_VARIABLE: key.hex(), "PYTHONUNBUFFERED": "1"})
        self.popen = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
        self._conn: Connection | None = None
        self._has_job = processes > 1  # a torchrun job starts with its job
        self._accepted = threading.Event()
        self._helpers = [
            threading.Thread(target=self._accept, name="trainingProcessAccept", daemon=True)
        ]
        self._helpers[0].start()

    @property
    def helping(self) -> bool:
        """A Python thread of this object still runs (the collector must stay in the GUI
        thread meanwhile: see ``gui.gc_guard``)."""
        return any(t.is_alive() for t in self._helpers)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def _accept(self) -> None:
        try:
            conn = self._listener.accept()
            if conn.recv_bytes() == READY:
                self._conn = conn
        except (OSError, EOFError):
            pass  # the process died first, or close() closed the listener
        finally:
            self._accepted.set()

    def connection(self, timeout_s: float = START_S) -> Connection | None:
        """The connection once the process is ready (torch imported), else None if it died."""
        deadline = time.monotonic() + timeout_s
        while not self._accepted.wait(POLL_S):
            if not self.alive or time.monotonic() > deadline:
                self._listener.close()  # ends the waiting accept
                self._accepted.wait(1.0)
                break
        return self._conn

    @property
    def ready(self) -> bool:
        return self._conn is not None and self.alive

    def send(self, command: str, **values: Any) -> None:
        self._has_job |= command == "start"
        if self._conn is not None:
            with contextlib.suppress(OSError):  # it ended: the driver reports how
                self._conn.send_bytes(encode_command(command, **values))

    def end(self, wait_s: float = ANSWER_S) -> int | None:
        """Wait up to ``wait_s`` for the process to end, then terminate it, then kill it."""
        for step in (None, self.popen.terminate, self.popen.kill):
            if step is not None:
                step()
            try:
                return self.popen.wait(wait_s if step is None else ANSWER_S)
            except subprocess.TimeoutExpired:
                continue
        return self.popen.poll()

    def close(self, wait: bool = True) -> None:
        """Hang up and make sure the process ends: one that ran a job gets ``ANSWER_S`` to exit
        by itself, then is terminated, then killed (with ``wait`` False, in the background); a
        spare that never got one is killed at once."""
        if self._conn is not None:
            self._conn.close()
        self._listener.close()
        if self._job_file is not None:
            self._job_file.unlink(missing_ok=True)
        if not self.alive:
            return
        if not self._has_job:  # a spare has nothing to save: no need to wait for it
            self.popen.kill()
            self.popen.wait()
        elif wait:
            self.end()
        else:
            helper = threading.Thread(target=self.end, name="trainingProcessEnd", daemon=True)
            self._helpers.append(helper)
            helper.start()


def describe_exit(code: int | None) -> str:
    if code is None:
        return "did not end"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


class RunDriver(QObject):
    """In the controller's QThread: sends the job, emits each report, ends with ``result``."""

    report = Signal(object)  # any report of cnnstudio.train.callbacks

    def __init__(self, process: TrainingProcess, job: dict[str, Any]) -> None:
        super().__init__()
        self.process, self.job = process, job
        self.result: TrainingResult | None = None
        self._info: RunInfo | None = None
        self._where: tuple[int, int | None] | None = None  # (epoch, batch) last heard of

    @Slot()
    def run(self) -> None:
        """Drive the run, then hand this object back to the GUI thread and end the thread."""
        thread = QThread.currentThread()
        try:
            self.result = self._drive()
        finally:
            back_to_gui_thread(self)
            thread.quit()

    def _drive(self) -> TrainingResult:
        conn = self.process.connection()
        if conn is None:
            return self._lost("could not start")
        self.process.send("start", **self.job)
        while True:
            try:
                if not conn.poll(POLL_S):
                    if not self.process.alive:
                        return self._lost(describe_exit(self.process.popen.poll()))
                    continue
                message = conn.recv_bytes()
            except (EOFError, OSError):
                return self._lost(describe_exit(self.process.end()))
            try:
                report = decode_report(message)
            except WireError:
                continue
            if isinstance(report, TrainingResult):
                return report  # the process exits by itself; close() sees to it
            if isinstance(report, RunInfo):
                self._info = report
            elif isinstance(report, BatchProgress):
                self._where = (report.epoch, report.batch)
            elif isinstance(report, EpochMetrics):
                self._where = (report.epoch, None)  # the epoch ended, checkpointed
            self.report.emit(report)

    def _lost(self, how: str) -> TrainingResult:
        """The process ended without a result: say what happened, where, and what is kept."""
        self.process.end()
        epoch, batch = self._where if self._where is not None else (None, None)
        where = ""
        if epoch is not None:
            where = (
                f" at epoch {epoch}, batch {batch}"
                if batch is not None
                else f" after epoch {epoch}"
            )
        run_dir = self._info.run_dir if self._info is not None else None
        kept = f" — the last checkpoint is kept in {run_dir}" if run_dir is not None else ""
        failure = TrainingFailure(
            CRASH, f"The training process ended unexpectedly ({how}){where}{kept}.", epoch, batch
        )
        self.report.emit(failure)
        done = 0 if epoch is None else epoch if batch is None else epoch - 1
        return TrainingResult("failed", run_dir, done, None, None, (), failure)
