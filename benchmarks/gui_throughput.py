"""Does training from the editor, with every live view on, keep up with a plain PyTorch loop?

In-app: an example (LeNet-5 on the built-in shapes, or ``--example vgg_small`` on shapes-rgb)
trains ``EPOCHS`` epochs from the main window (its own batch size and optimiser settings,
``threads: auto``, i.e. every core in the training process) with the Live tab shown, feature
maps and filters switched every second, the confusion matrix and the canvas thumbnails on. Its
speed is the trainer's ``samples_per_s`` of those epochs (the training phase; the editor keeps
drawing all the while).

Plain: in a fresh process of its own (as the training process is), the same compiled model,
the same data (the project's dataset section, loaded the same way), batch size, Adam (fused, as
the trainer) and every core, shuffled index batches scaled and normalised like the trainer's --
forward, cross-entropy, backward, step, nothing else -- while the window is idle.

Each run times both, alternating which goes first so both see the same machine load, after a
warm-up of each. It prints medians over the runs and ratio = in-app / plain samples per second
(target >= 0.90), the median of the per-run ratios, with their spread: on a shared machine
single epochs vary by +-15 % either way.

Run from the repository root: ``python -m benchmarks.gui_throughput [--runs 5] [--example E]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import Project, load_project
from cnnstudio.core.shipped import examples_dir
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import EpochMetrics
from cnnstudio.train.config import training_config
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.hardware import resolve_threads

if TYPE_CHECKING:  # the plain process imports no Qt
    from benchmarks.gui_app import App

TARGET = 0.90
EPOCHS = 2
EXAMPLES = {  # example -> the data it trains on here
    "lenet5": None,
    "vgg_small": {"source": "shapes-rgb", "num_samples": 4000},
}


def plain_epoch(project: Project, data: Dataset, batch: int, lr: float, seed: int) -> float:
    """Samples per second of a bare training loop over one epoch."""
    model = compile_graph(project.graph, seed=0)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=True)  # as the trainer
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


def plain_process(path: Path, seed: int) -> float:
    """Mean samples per second of ``EPOCHS`` plain epochs in a fresh process, after a warm-up."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.gui_throughput", "--plain", str(path), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def plain_main(path: str, seed: int) -> None:
    project = load_project(path)
    config = training_config(project.training)
    torch.set_num_threads(resolve_threads("auto"))
    analysis = analyze(project.graph)
    assert analysis.input_shape is not None
    data = dataset_from_config(project.dataset, analysis.input_shape, project.base_dir)
    plain_epoch(project, data, config.batch_size, config.lr, seed=-1)  # warm-up
    speeds = [
        plain_epoch(project, data, config.batch_size, config.lr, seed * EPOCHS + i)
        for i in range(EPOCHS)
    ]
    print(sum(speeds) / len(speeds))


def app_epochs(app: App) -> float:
    """Mean samples per second of ``EPOCHS`` epochs trained in the app, live views on."""
    epochs: list[EpochMetrics] = []
    app.dashboard.controller.epoch_ended.connect(epochs.append)
    app.flip_views(True)
    app.train("restart")
    if not app.run_until(lambda: bool(epochs) and not app.dashboard.busy, 600):
        raise SystemExit("the in-app epoch did not finish within 10 minutes")
    app.flip_views(False)
    app.dashboard.controller.epoch_ended.disconnect(epochs.append)
    return sum(m.samples_per_s for m in epochs) / len(epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", choices=EXAMPLES, default="lenet5")
    parser.add_argument("--plain", nargs=2, metavar=("PROJECT", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        plain_main(args.plain[0], int(args.plain[1]))
        return
    from benchmarks.gui_app import App, log, median

    path = None if args.example == "lenet5" else str(examples_dir() / f"{args.example}.cnnstudio")
    training = {"epochs": EPOCHS, "optimizer": "adam", "scheduler": "none", "threads": "auto"}
    app = App(training, EXAMPLES[args.example], path)
    project = app.window.document.project
    config = training_config(project.training)
    threads = resolve_threads("auto")
    saved = Path(app.runs.name) / "plain.cnnstudio"
    project.save(saved)  # what the plain process trains: the same network, data and settings
    try:
        app_epochs(app)  # warm-up
        plain, ours, ratios = [], [], []
        for run in range(args.runs):
            if run % 2 == 0:
                p = plain_process(saved, seed=run)
                a = app_epochs(app)
            else:
                a = app_epochs(app)
                p = plain_process(saved, seed=run)
            plain.append(p)
            ours.append(a)
            ratios.append(a / p)
            log(f"  run {run + 1}: plain {p:,.0f}/s, in-app {a:,.0f}/s, ratio {a / p:.3f}")
    finally:
        app.close()
    ratio = median(ratios)
    print(
        f"{project.name}, batch {config.batch_size}, {threads} thread(s) in both, "
        f"{args.runs} runs (medians)"
    )
    print(
        f"plain {median(plain):,.0f} samples/s  in-app {median(ours):,.0f} samples/s  "
        f"ratio {ratio:.3f} (runs {min(ratios):.3f}..{max(ratios):.3f}; target >= {TARGET}) "
        f"{'ok' if ratio >= TARGET else 'BELOW TARGET'}"
    )


if __name__ == "__main__":
    main()
