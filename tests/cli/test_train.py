"""``python -m cnnstudio train FILE`` run as a user runs it, in a subprocess.

Contract: one JSON object per epoch on stdout with --json; exit 0 done, 1 the run failed,
2 unreadable input with one line on stderr and never a traceback; Ctrl-C stops with a
checkpoint that --resume continues; the final weights load strictly into the compiled graph.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import safetensors.torch

from cnnstudio.cli import main
from cnnstudio.core.project import load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.checkpoint import sha256

ROOT = Path(__file__).parents[2]
TIMEOUT_S = 180
EPOCH_KEYS = {
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "samples_per_s",
}


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cnnstudio", "train", *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def project_file(folder: Path, training: dict[str, Any] | None = None, **changes: Any) -> Path:
    doc = json.loads((ROOT / "examples" / "lenet5.cnnstudio").read_text())
    doc["dataset"] = {"source": "shapes", "num_samples": 600}
    doc["training"] = {"epochs": 1, "batch_size": 50, "threads": 1, **(training or {})}
    doc.update(changes)
    path = folder / "net.cnnstudio"
    path.write_text(json.dumps(doc))
    return path


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], text: str) -> None:
    assert proc.stderr.startswith("cnnstudio: ")
    assert text in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.slow  # a Python start-up with torch, then training
def test_json_lines_contract_and_weights_load_strictly(tmp_path: Path) -> None:
    path = project_file(tmp_path)
    proc = cli(path, "--json", "--epochs", "2", "--run-dir", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # not a terminal: no progress bar
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for row in rows:
        assert set(row) >= EPOCH_KEYS
        assert all(isinstance(row[k], (int, float)) for k in EPOCH_KEYS)
        assert row["samples_per_s"] > 0
    (run,) = (tmp_path / "out" / "lenet-5").iterdir()
    model = compile_graph(load_project(path).graph)
    model.load_state_dict(safetensors.torch.load_file(run / "last.safetensors"), strict=True)
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"


@pytest.mark.slow  # a Python start-up with torch, then training
def test_divergence_exits_1(tmp_path: Path) -> None:
    path = project_file(tmp_path, {"optimizer": "sgd", "lr": 1e12})
    proc = cli(path, "--json", cwd=tmp_path)
    assert proc.returncode == 1
    _assert_one_line_error(proc, "try a lower learning rate")


@pytest.mark.slow  # a Python start-up with torch, then training
def test_bad_training_setting_exits_2(tmp_path: Path) -> None:
    proc = cli(project_file(tmp_path, {"lr": -1}), cwd=tmp_path)
    assert proc.returncode == 2
    _assert_one_line_error(proc, "training.lr: must be > 0, got -1")
    assert proc.stdout == ""


def test_unreadable_project_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.cnnstudio"
    path.write_text("{not json")
    proc = cli(path, "--json", cwd=tmp_path)
    assert proc.returncode == 2
    _assert_one_line_error(proc, "not valid JSON")


@pytest.mark.slow  # a Python start-up with torch, then training
def test_ctrl_c_stops_cleanly_and_resume_continues(tmp_path: Path) -> None:
    path = project_file(tmp_path, {"epochs": 50})
    command = [sys.executable, "-m", "cnnstudio", "train", str(path), "--json", "--attach"]
    with subprocess.Popen(
        command, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            first = json.loads(proc.stdout.readline())
            assert first["epoch"] == 1
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "--resume" in err
    (run,) = (tmp_path / "runs" / "lenet-5").iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "stopped"
    stopped_epoch = summary["stopped_at"]["epoch"]
    assert 1 < stopped_epoch < 50
    kept = load_project(path).weights  # a stop keeps the best epoch's weights, as the editor does
    assert kept is not None
    assert kept["epoch"] == summary["best_epoch"]
    assert kept["sha256"] == sha256(run / "best.safetensors")
    done = cli(path, "--json", "--resume", run, "--epochs", str(stopped_epoch), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"resuming at epoch {stopped_epoch}" in done.stderr
    assert [json.loads(line)["epoch"] for line in done.stdout.splitlines()] == [stopped_epoch]
    epochs = [
        json.loads(line)["epoch"] for line in (run / "metrics.jsonl").read_text().splitlines()
    ]
    assert epochs == list(range(1, stopped_epoch + 1))


# The remaining exit paths run in-process: same code, without a Python start-up each.


@pytest.mark.parametrize(
    ("training", "changes", "code", "text"),
    [
        ({}, {"dataset": {"source": "npz", "path": "nowhere.npz"}}, 2, "nowhere.npz"),
        (
            {},
            {"dataset": {"source": "shapes", "num_samples": 600, "image_size": [32, 32]}},
            2,
            "does not match",
        ),
        ({"batch_size": 0}, {}, 2, "training.batch_size: must be >= 1, got 0"),
    ],
)
def test_input_faults_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    training: dict[str, Any],
    changes: dict[str, Any],
    code: int,
    text: str,
) -> None:
    path = project_file(tmp_path, training, **changes)
    assert main(["train", str(path), "--json"]) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("cnnstudio: ")
    assert text in err
    assert len(err.strip().splitlines()) == 1


def test_output_shape_mismatch_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project_file(tmp_path)
    project = load_project(path)
    project.graph.set_params("fc3", {"out_features": 4})
    project.save()
    assert main(["train", str(path)]) == 1
    assert (
        "fc3 (Linear): 4 outputs but dataset 'shapes' has 10 classes — set out_features to 10"
        in capsys.readouterr().err
    )


def test_text_output_and_attach(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project_file(tmp_path)
    assert main(["train", str(path), "--attach", "--batch-size", "100"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("LeNet-5: 500 training and 100 validation samples, 10 classes; cpu")
    assert lines[1].startswith("epoch 1/1  train loss ")
    assert "samples/s" in lines[1]
    assert lines[2].startswith("completed after 1 epochs; best val accuracy")
    assert "weights attached" in err
    project = load_project(path)
    assert project.weights is not None
    assert project.weights["file"] == "net.safetensors"
    assert project.weights["epoch"] == 1


def test_attach_keeps_the_last_epochs_weights_when_asked(tmp_path: Path) -> None:
    path = project_file(tmp_path, {"keep_weights": "last"})
    assert main(["train", str(path), "--attach", "--epochs", "2", "--json"]) == 0
    (run,) = (tmp_path / "runs" / "lenet-5").iterdir()
    kept = load_project(path).weights
    assert kept is not None
    assert kept["epoch"] == 2
    assert kept["sha256"] == sha256(run / "last.safetensors")
    assert main(["train", str(path), "--attach", "--keep", "best", "--json"]) == 0  # overridden
    best = json.loads((tmp_path / "net.cnnstudio").read_text())["weights"]
    newest = max((tmp_path / "runs" / "lenet-5").iterdir())
    assert best["sha256"] == sha256(newest / "best.safetensors")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    import numpy as np

    from cnnstudio.cli.train import _Printer
    from cnnstudio.train.callbacks import BatchProgress

    progress = BatchProgress(
        epoch=2,
        epochs=5,
        batch=40,
        batches_per_epoch=80,
        step=120,
        losses=np.array([0.9, 0.5], np.float32),
        lr=0.001,
        samples_per_s=2500.0,
        epoch_eta_s=75.0,
        eta_s=400.0,
    )
    terminal, pipe = _Terminal(), io.StringIO()
    _Printer(False, io.StringIO(), terminal).on_batches(progress)
    _Printer(False, io.StringIO(), pipe).on_batches(progress)
    assert pipe.getvalue() == ""
    bar = terminal.getvalue()
    assert bar.startswith("\repoch 2/5 [" + "#" * 14 + "." * 14 + "] 40/80 loss 0.5000")
    assert "2,500/s ETA 1:15" in bar
