"""Does the trainer train as fast as a plain PyTorch loop, with feature capture switched on?

The trainer adds per-batch work a bare loop lacks: the learning-rate schedule, running metrics,
batch reports at <= 10 Hz, the stop/pause checks and feature captures (every 10 batches, at
most twice a second, as the editor asks). This measures what that costs on LeNet-5 (1x28x28,
built-in shapes) and the small VGG (3x32x32, shapes-rgb) from ``examples/``:

* plain: the same compiled model, the same uint8 data tensors, batch size and threads, fused Adam (as the trainer),
  shuffled index batches scaled and normalised like the trainer's -- forward, cross-entropy,
  backward, step, nothing else;
* trainer: ``Trainer.run()`` for one epoch with a callbacks object that takes batch reports and
  features, its ``samples_per_s`` (training phase of the epoch).

Each run times one epoch of each, alternating which goes first so both see the same machine
load, after one discarded warm-up epoch of each. The table shows medians over the runs and
ratio = trainer / plain samples per second (target >= 0.95), the median of the per-run ratios.

Run from the repository root:
``python -m benchmarks.train_throughput [--runs 5] [--threads 1] [--models lenet5 vgg_small]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cnnstudio.core.project import Project, load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import BatchProgress, EpochMetrics, Features
from cnnstudio.train.capture import CaptureSettings
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.hardware import resolve_threads
from cnnstudio.train.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TARGET = 0.95
BATCH = 64
LR = 1e-3
CAPTURE = {"every": 10, "min_interval_s": 0.5}  # what the editor asks for
MODELS = {  # example file, dataset source, samples (5/6 of them train)
    "lenet5": ("lenet5.cnnstudio", "shapes", 12000),
    "vgg_small": ("vgg_small.cnnstudio", "shapes-rgb", 8000),
}


class Consumer:
    """What the editor does with reports, minus drawing: keep the curve and the latest features."""

    def __init__(self) -> None:
        self.losses: list[np.ndarray] = []
        self.features: Features | None = None
        self.captures = 0
        self.samples_per_s = 0.0

    def on_batches(self, progress: BatchProgress) -> None:
        self.losses.append(progress.losses)

    def on_features(self, features: Features) -> None:
        self.features = features
        self.captures += 1

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.samples_per_s = metrics.samples_per_s


def plain_epoch(project: Project, data: Dataset, seed: int) -> float:
    """Samples per second of a bare training loop over one epoch."""
    model = compile_graph(project.graph, seed=0)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, fused=True)  # as the trainer
    x, y = data.train.x, data.train.y
    assert isinstance(x, torch.Tensor)
    norm = data.normalization
    mean = torch.tensor(norm.mean).view(1, -1, 1, 1)
    std = torch.tensor(norm.std).view(1, -1, 1, 1)
    generator = torch.Generator().manual_seed(seed)
    n = len(y)
    start = time.perf_counter()
    order = torch.randperm(n, generator=generator)
    for i in range(0, n, BATCH):
        index = order[i : i + BATCH]
        xb = (x[index].to(torch.float32).div_(255.0) - mean) / std
        loss = F.cross_entropy(model(xb), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return n / (time.perf_counter() - start)


def trainer_epoch(
    project: Project, data: Dataset, threads: int, run_dir: Path
) -> tuple[float, int]:
    """Samples per second of the trainer's training phase, and how many captures it made."""
    consumer = Consumer()
    trainer = Trainer(
        project,
        consumer,
        dataset=data,
        run_dir=run_dir,
        capture=CaptureSettings(**CAPTURE),
        epochs=1,
        batch_size=BATCH,
        lr=LR,
        threads=threads,
        optimizer="adam",
    )
    result = trainer.run()
    if result.status != "completed":
        raise SystemExit(f"trainer failed: {result.failure}")
    return consumer.samples_per_s, consumer.captures


def measure(name: str, runs: int, threads: int, run_dir: Path) -> dict[str, Any]:
    file, source, samples = MODELS[name]
    project = load_project(EXAMPLES / file)
    shape = project.graph.node("input").params["shape"]
    data = dataset_from_config({"source": source, "num_samples": samples}, shape)
    torch.set_num_threads(threads)
    plain_epoch(project, data, seed=0)
    trainer_epoch(project, data, threads, run_dir)
    plain, ours, ratios, captures = [], [], [], 0
    for run in range(runs):
        if run % 2 == 0:
            p = plain_epoch(project, data, seed=run)
            t, captures = trainer_epoch(project, data, threads, run_dir)
        else:
            t, captures = trainer_epoch(project, data, threads, run_dir)
            p = plain_epoch(project, data, seed=run)
        plain.append(p)
        ours.append(t)
        ratios.append(t / p)
        print(
            f"  {name} run {run + 1}: plain {p:,.0f}/s, trainer {t:,.0f}/s, ratio {t / p:.3f}",
            file=sys.stderr,
        )
    return {
        "model": name,
        "train_samples": len(data.train),
        "batches": -(-len(data.train) // BATCH),
        "captures": captures,
        "plain": statistics.median(plain),
        "trainer": statistics.median(ours),
        "ratio": statistics.median(ratios),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=resolve_threads("auto"))
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {args.threads} threads, batch {BATCH}, {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(name, args.runs, args.threads, Path(tmp)) for name in args.models]
    header = f"{'model':<10} {'train samples':>13} {'captures':>8} {'plain/s':>9} {'trainer/s':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    ok = True
    for r in rows:
        ok &= r["ratio"] >= TARGET
        print(
            f"{r['model']:<10} {r['train_samples']:>13,} {r['captures']:>8} {r['plain']:>9,.0f} "
            f"{r['trainer']:>9,.0f} {r['ratio']:>6.3f}"
        )
    print(f"target: ratio >= {TARGET} -> {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
