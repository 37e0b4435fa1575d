"""The Trainer in every process of a torchrun job (gloo, CPU): two processes, each taking its
share of every global batch, end with the weights and metrics one process gets from the same
global batches; rank 0 alone writes the run folder and reports, and its pause holds every rank."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch

from cnnstudio.core.project import Project
from cnnstudio.train.trainer import train

ROOT = Path(__file__).parents[2]
# 500 training samples in global batches of 45: shares of 23 and 22, and a last batch of 5
# split 3 and 2, so the loss weighting of unequal shares is exercised.
TRAINING = {"epochs": 2, "batch_size": 45, "optimizer": "sgd", "lr": 0.05, "seed": 7, "threads": 1}
RANK = '''\
"""One rank: train with callbacks that record what they receive; rank 0 pauses once and
records the longest time between two batch reports."""
import json, os, sys, threading, time
from pathlib import Path
from cnnstudio.core.project import load_project
from cnnstudio.train.loop_core import leave
from cnnstudio.train.trainer import Trainer

events, pause = {}, {}


class Record:
    def __getattr__(self, name):
        if not name.startswith("on_") or name == "on_features":
            raise AttributeError(name)
        return lambda report: self.seen(name)

    def seen(self, name):
        events[name] = events.get(name, 0) + 1
        if name != "on_batches":
            return
        now = time.perf_counter()
        if not pause:  # as the editor would: pause, resume later
            trainer.pause()
            threading.Timer(0.5, trainer.resume).start()
        pause["gap"] = max(pause.get("gap", 0.0), now - pause.get("at", now))
        pause["at"] = now


trainer = Trainer(load_project(sys.argv[1]), Record(), run_dir=sys.argv[2], report_interval=0)
result = trainer.run()
record = {"status": result.status, "events": events, "pause": pause}
Path(sys.argv[3], f"rank{os.environ['RANK']}.json").write_text(json.dumps(record))
leave(0)
'''


def _metrics(run: Path) -> list[dict[str, float]]:
    with open(run / "metrics.csv", newline="") as f:
        return [
            {k: float(v) for k, v in row.items() if k not in ("seconds", "samples_per_s")}
            for row in csv.DictReader(f)
        ]


@pytest.mark.slow
@pytest.mark.torchrun
def test_two_processes_train_like_one_and_rank_0_alone_reports(
    tmp_path: Path, lenet: Project
) -> None:
    lenet.training = dict(TRAINING)
    lenet.save()
    single = train(lenet, run_dir=tmp_path / "single")
    assert single.status == "completed"
    assert single.run_dir is not None
    script = tmp_path / "rank.py"
    script.write_text(RANK, encoding="utf-8")
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    assert lenet.path is not None
    job = subprocess.run(
        [*launcher, "--nproc_per_node=2", script, lenet.path, tmp_path / "ddp", tmp_path],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert job.returncode == 0, job.stderr
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert rank0["status"] == rank1["status"] == "completed"
    batches = 2 * 12  # report_interval 0: one report per batch
    reports = {"on_start": 1, "on_batches": batches, "on_epoch": 2, "on_predictions": 2}
    reports["on_diagnostics"] = 2  # rank 0 measures the gradients DDP averaged
    assert rank0["events"] == {**reports, "on_end": 1}
    assert rank1["events"] == {}
    assert rank0["pause"]["gap"] >= 0.4  # paused 0.5 s, less the batch it took to reach rank 1
    (run,) = (tmp_path / "ddp" / "lenet-5").iterdir()  # the other rank made no folder
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in single.run_dir.iterdir())
    one = safetensors.torch.load_file(single.run_dir / "last.safetensors")
    two = safetensors.torch.load_file(run / "last.safetensors")
    assert one.keys() == two.keys()
    assert max((one[k] - two[k]).abs().max().item() for k in one) <= 1e-6
    rows_one, rows_two = _metrics(single.run_dir), _metrics(run)
    assert [r["epoch"] for r in rows_two] == [1.0, 2.0]
    for a, b in zip(rows_one, rows_two, strict=True):
        assert b == pytest.approx(a, rel=1e-6, abs=1e-7)
    config = json.loads((run / "config.json").read_text())
    assert config["runtime"]["processes"] == 2
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"
