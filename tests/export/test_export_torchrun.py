"""The exported ``train.py`` under ``torchrun --nproc_per_node=2`` (gloo, CPU): two processes,
each taking half of every global batch, end with the weights one process gets from the same
global batches, seed and settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import safetensors.torch
import torch
from export_support import EXAMPLES, python, run

from cnnstudio.core.project import load_project
from cnnstudio.export import export_project

LENET = next(p for p in EXAMPLES if p.stem == "lenet5")
ARGS = ("--epochs", "1", "--num-samples", "240", "--batch-size", "40", "--device", "cpu")


@pytest.mark.slow
@pytest.mark.torchrun
def test_two_processes_train_like_one(tmp_path: Path, hide_cnnstudio: Path) -> None:
    project = load_project(LENET)
    project.training = {"optimizer": "sgd", "lr": 0.05, "seed": 7}  # SGD with momentum 0.9
    script = tmp_path / "train.py"
    export_project(project, "script", script)
    single = run(python(hide_cnnstudio, script, *ARGS, "--out", "single"), cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    launcher = [sys.executable, "-I", "-m", "torch.distributed.run", "--standalone"]
    ddp = run(
        [*launcher, "--nproc_per_node=2", hide_cnnstudio, script, *ARGS, "--out", "ddp"],
        cwd=tmp_path,
    )
    assert ddp.returncode == 0, ddp.stderr
    assert "2 processes on cpu; global batch 40 (<= 20 per process)" in ddp.stdout
    assert ddp.stdout.count("epoch 1/1") == 1  # only rank 0 logs
    one = safetensors.torch.load_file(str(tmp_path / "single" / "model.safetensors"))
    two = safetensors.torch.load_file(str(tmp_path / "ddp" / "model.safetensors"))
    start = safetensors.torch.load_file(str(script.with_suffix(".safetensors")))
    assert one.keys() == two.keys() == start.keys()
    assert max((one[k] - two[k]).abs().max().item() for k in one) <= 1e-5
    assert min((one[k] - start[k]).abs().max().item() for k in one if k.endswith("weight")) > 1e-4
    (row_one,) = [
        json.loads(r) for r in (tmp_path / "single" / "metrics.jsonl").read_text().splitlines()
    ]
    (row_two,) = [
        json.loads(r) for r in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    ]
    assert row_two["train_loss"] == pytest.approx(row_one["train_loss"], rel=1e-5)
    assert row_two["val_accuracy"] == pytest.approx(row_one["val_accuracy"])
    assert torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=True)["epoch"] == 1


@pytest.mark.slow
@pytest.mark.torchrun
def test_a_finished_job_exits_0_every_time(tmp_path: Path, hide_cnnstudio: Path) -> None:
    """A rank ended by SIGABRT at exit in 10 of 72 runs ("terminate called without an active
    exception") after everything was written; ten runs in a row must all exit 0."""
    script = tmp_path / "train.py"
    export_project(load_project(LENET), "script", script)
    launcher = [sys.executable, "-I", "-m", "torch.distributed.run", "--standalone"]
    tiny = ("--epochs", "1", "--num-samples", "40", "--batch-size", "20", "--device", "cpu")
    for attempt in range(10):
        out = f"run{attempt}"
        job = run(
            [*launcher, "--nproc_per_node=2", hide_cnnstudio, script, *tiny, "--out", out],
            cwd=tmp_path,
        )
        assert job.returncode == 0, f"run {attempt + 1} of 10:\n{job.stderr}"
        assert "terminate called" not in job.stderr
        assert (tmp_path / out / "model.safetensors").is_file()
