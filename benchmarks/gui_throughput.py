"""Does training from the editor, with every live view on, keep up with a plain PyTorch loop?

In-app: an example (LeNet-5 on the built-in shapes, or ``--example vgg_small`` on shapes-rgb)
trains ``1 + PAIRS`` epochs from the main window (its own batch size and optimiser settings,
``threads: auto``, i.e. every core in the training process) with the Live tab shown, feature
maps and filters switched every second, the confusion matrix and the canvas thumbnails on. Its
speed is the trainer's ``samples_per_s`` of each epoch (the training phase, paused time left
out; the editor keeps drawing all the while).

Plain: a process of its own (as the training process is) holding the same compiled model, the
same data (the project's dataset section, loaded the same way), batch size, Adam (fused, as the
trainer) and every core, trains an epoch of shuffled index batches, scaled and normalised like
the trainer's -- forward, cross-entropy, backward, step, nothing else -- each time it is asked.

The two take turns epoch by epoch: one plain epoch before the run, then after each in-app epoch
the run is paused, one plain epoch trains, the run resumes; one more plain epoch after it. On
this shared machine the speed of both drifts by +-15 % within seconds, so each in-app epoch is
compared with the plain epochs just before and after it (ratio = in-app / their geometric
mean); the first epoch of each process (5-15 % slower: memory pages, kernel caches) is compared
apart. It prints, over ``--runs`` runs (each a fresh training and plain process), the median
of all epoch ratios (target >= 0.90), their spread, and the median first-epoch ratio.

Run from the repository root: ``python -m benchmarks.gui_throughput [--runs 5] [--example E]``
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import load_project
from cnnstudio.core.shipped import examples_dir
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import EpochMetrics
from cnnstudio.train.config import training_config
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.hardware import resolve_threads
from cnnstudio.train.warm import warm_up

if TYPE_CHECKING:  # the plain process imports no Qt
    from benchmarks.gui_app import App

TARGET = 0.90
PAIRS = 5  # in-app epochs measured per run, after its first
PAUSE_S = 0.1  # for a pause to reach the training process
EXAMPLES = {  # example -> the data it trains on here
    "lenet5": None,
    "vgg_small": {"source": "shapes-rgb", "num_samples": 4000},
}


def plain_epoch(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: Dataset, batch: int, seed: int
) -> float:
    """Samples per second of a bare training loop over one epoch."""
    x, y = data.train.x, data.train.y
    assert isinstance(x, torch.Tensor)
    norm = data.normalization
    mean = torch.tensor(norm.mean).view(1, -1, 1, 1)
    std = torch.tensor(norm.std).view(1, -1, 1, 1)
    generator = torch.Generator().manual_seed(seed)
    n = len(y)
    start = time.perf_counter()
    order = torch.randperm(n, generator=generator)
    for i in range(0, n, batch):
        index = order[i : i + batch]
        xb = (x[index].to(torch.float32).div_(255.0) - mean) / std
        loss = F.cross_entropy(model(xb), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return n / (time.perf_counter() - start)


def plain_main(path: str) -> None:
    """The plain process: set up as the training process is (torch imported, one tiny warm-up
    step, then the run's own model and optimizer), then one epoch per line read, its speed
    printed, until its input ends."""
    project = load_project(path)
    config = training_config(project.training)
    torch.set_num_threads(resolve_threads("auto"))
    warm_up(torch.device("cpu"), training_config({}))
    analysis = analyze(project.graph)
    assert analysis.input_shape is not None
    data = dataset_from_config(project.dataset, analysis.input_shape, project.base_dir)
    model = compile_graph(project.graph, seed=0)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)  # as the trainer
    print("ready", flush=True)
    for seed, _ in enumerate(sys.stdin):
        print(plain_epoch(model, optimizer, data, config.batch_size, seed), flush=True)


class PlainLoop:
    """The plain process, trained an epoch at a time (the caller waits, the window idles)."""

    def __init__(self, project: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.gui_throughput", "--plain", str(project)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        if self.stdout.readline().strip() != "ready":
            raise SystemExit("the plain process did not start")

    def epoch(self) -> float:
        self.stdin.write("epoch\n")
        self.stdin.flush()
        return float(self.stdout.readline())

    def close(self) -> None:
        self.stdin.close()
        self.process.wait()


def idle(app: App) -> None:
    """Waits for the editor to be idle: its next training process started and warmed up."""
    if not app.run_until(lambda: app.dashboard.controller.prewarmed, 60):
        raise SystemExit("the next training process did not start within a minute")
    app.run_for(PAUSE_S)


def paired_run(app: App, plain: PlainLoop) -> tuple[list[float], float]:
    """One in-app run taking turns with ``plain``: the ratio of each in-app epoch after the
    first to the plain epochs around it, and the ratio of the two first epochs."""
    controller = app.dashboard.controller
    epochs: list[EpochMetrics] = []
    controller.epoch_ended.connect(epochs.append)
    ours: list[float] = []
    idle(app)
    theirs = [plain.epoch()]
    app.flip_views(True)
    app.train("restart")
    for k in range(PAIRS + 1):
        if not app.run_until(lambda: len(epochs) > k, 600):  # noqa: B023 (k of this turn)
            raise SystemExit("an in-app epoch did not finish within 10 minutes")
        ours.append(epochs[k].samples_per_s)
        if k < PAIRS:
            controller.pause()
            app.run_for(PAUSE_S)  # the training process stops at its next batch
            theirs.append(plain.epoch())
            controller.resume()
    if not app.run_until(lambda: not app.dashboard.busy, 60):
        raise SystemExit("the in-app run did not end")
    app.flip_views(False)
    controller.epoch_ended.disconnect(epochs.append)
    idle(app)
    theirs.append(plain.epoch())
    around = [math.sqrt(theirs[k] * theirs[k + 1]) for k in range(1, PAIRS + 1)]
    return [a / p for a, p in zip(ours[1:], around, strict=True)], ours[0] / theirs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", choices=EXAMPLES, default="lenet5")
    parser.add_argument("--plain", metavar="PROJECT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        plain_main(args.plain)
        return
    from benchmarks.gui_app import App, log, median, quantile

    path = None if args.example == "lenet5" else str(examples_dir() / f"{args.example}.cnnstudio")
    training = {"epochs": PAIRS + 1, "optimizer": "adam", "scheduler": "none", "threads": "auto"}
    app = App(training, EXAMPLES[args.example], path)
    project = app.window.document.project
    config = training_config(project.training)
    saved = Path(app.runs.name) / "plain.cnnstudio"
    project.save(saved)  # what the plain process trains: the same network, data and settings
    ratios: list[float] = []
    firsts: list[float] = []
    try:
        for run in range(args.runs):
            plain = PlainLoop(saved)
            try:
                epochs, first = paired_run(app, plain)
            finally:
                plain.close()
            ratios += epochs
            firsts.append(first)
            log(
                f"  run {run + 1}: epoch ratios {' '.join(f'{r:.3f}' for r in epochs)}; "
                f"first epochs {first:.3f}"
            )
    finally:
        app.close()
    ratio = median(ratios)
    print(
        f"{project.name}, batch {config.batch_size}, {resolve_threads('auto')} thread(s) in both, "
        f"{args.runs} runs x {PAIRS} epochs, each against the plain epochs around it"
    )
    print(
        f"ratio {ratio:.3f} (median of {len(ratios)}; quartiles {quantile(ratios, 0.25):.3f}.."
        f"{quantile(ratios, 0.75):.3f}; target >= {TARGET}) "
        f"{'ok' if ratio >= TARGET else 'BELOW TARGET'}"
    )
    print(f"first epochs: ratio {median(firsts):.3f} ({min(firsts):.3f}..{max(firsts):.3f})")


if __name__ == "__main__":
    main()
