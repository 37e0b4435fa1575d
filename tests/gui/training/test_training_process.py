"""The run trains in its own process: killing it leaves the editor, the design and the run's
checkpoint intact, and no training process outlives a run or the window."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import safetensors.torch

from cnnstudio.core.commands import SetParams
from cnnstudio.core.project import Project, graph_to_dict
from cnnstudio.gui.training.worker_process import TrainingProcess, describe_exit
from cnnstudio.train.run_state import RunState
from cnnstudio.train.trainer import Trainer

pytestmark = [pytest.mark.slow, pytest.mark.qt_log_ignore("This plugin does not support")]
RUN_S = 60_000  # ms to wait for a run's event on this busy, shared 2-core machine


def _children(command: str = "cnnstudio.train.worker") -> set[int]:
    """The pids of this test process's training processes still running."""
    found = subprocess.run(
        ["pgrep", "-P", str(os.getpid()), "-f", command],
        capture_output=True,
        text=True,
        check=False,
    )
    return {int(p) for p in found.stdout.split()}


def test_killing_the_training_process_leaves_the_editor_and_the_design(
    qtbot, window, dashboard, click, events
) -> None:
    doc = window.document
    doc.push(SetParams("fc1", {"out_features": 100}))  # an unsaved edit of the user's
    doc.project.training = {**doc.project.training, "epochs": 200}
    design = graph_to_dict(doc.graph)
    click("trainButton")
    info = events.wait("started")
    events.wait("epochs")  # one epoch done: its checkpoint is in the run folder
    process = dashboard.controller.process
    assert process is not None
    assert process.pid != os.getpid()
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S) as ended:
        os.kill(process.pid, signal.SIGKILL)
    result = ended.args[0]
    assert result.status == "failed"
    message = dashboard.control.banner.text.text()
    assert message.startswith("The training process ended unexpectedly (killed by signal 9) ")
    assert f" — the last checkpoint is kept in {info.run_dir}." in message
    assert (info.run_dir / "last.safetensors").is_file()
    assert (info.run_dir / "metrics.csv").read_text().count("\n") >= 2  # header + epoch 1
    assert graph_to_dict(doc.graph) == design  # the design is untouched, still unsaved
    assert doc.modified
    assert doc.read_only_reason is None
    assert dashboard.controller.state == RunState.IDLE
    doc.project.training = {**doc.project.training, "epochs": 1}
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S) as again:
        click("trainButton")  # Train works again
    assert again.args[0].status == "completed"


def test_no_training_process_outlives_the_window(qtbot, window, dashboard, click, answer) -> None:
    from PySide6.QtWidgets import QMessageBox

    doc = window.document
    doc.project.training = {**doc.project.training, "epochs": 200}
    with qtbot.waitSignal(dashboard.controller.batches, timeout=RUN_S):
        click("trainButton")
    assert _children()
    answer(QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Discard)
    window.close()
    deadline = time.monotonic() + 5
    while _children() and time.monotonic() < deadline:
        qtbot.wait(50)
    assert _children() == set()


def test_a_process_that_does_not_answer_is_terminated_then_killed() -> None:
    process = TrainingProcess()
    try:
        assert process.connection() is not None  # it started and imported torch
        os.kill(process.pid, signal.SIGSTOP)  # hung: deaf to everything but SIGKILL
        started = time.perf_counter()
        code = process.end(wait_s=0.2)
        assert code == -signal.SIGKILL
        assert time.perf_counter() - started < 0.2 + 2 * 3.0 + 1.0
        assert describe_exit(code) == "killed by signal 9"
    finally:
        process.close()


def test_the_worker_refuses_to_start_without_its_address_and_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cnnstudio.train.worker"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "usage:" in done.stdout


@pytest.mark.torchrun
def test_two_processes_train_from_the_editor_with_live_curves(
    qtbot, window, dashboard, click, events, tmp_path
) -> None:
    doc = window.document
    # SGD: Adam divides by the root of tiny second moments, magnifying float rounding (the order
    # in which the ranks' gradients are summed) past 1e-6 within two epochs.
    sgd = {"optimizer": "sgd", "lr": 0.05, "processes": 2, "threads": 1}
    doc.project.training = {**doc.project.training, **sgd}
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=4 * RUN_S) as ended:
        click("trainButton")
    result = ended.args[0]
    assert result.status == "completed", result.failure
    info = events.wait("started")
    assert json.loads((info.run_dir / "config.json").read_text())["runtime"]["processes"] == 2
    assert list(dashboard.history.epoch_x.values) == [1, 2]  # rank 0 streamed every epoch
    assert len(dashboard.history.batch_x) > 0
    assert len(dashboard.curves.val_loss._x) == 2
    assert (info.run_dir / "last.safetensors").is_file()
    qtbot.waitUntil(lambda: not _children("torch.distributed.run"), timeout=5000)

    # One process with the same global batch ends with the same weights.
    alone = Project.from_dict(doc.project.to_dict())
    alone.path = doc.project.path
    alone.training = {**alone.training, "processes": 1}
    single = Trainer(alone, run_dir=tmp_path / "single").run()
    assert single.status == "completed"
    two = safetensors.torch.load_file(info.run_dir / "last.safetensors")
    one = safetensors.torch.load_file(single.run_dir / "last.safetensors")
    assert two.keys() == one.keys()
    assert max((one[k] - two[k]).abs().max().item() for k in one) <= 1e-6
