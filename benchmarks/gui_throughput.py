"""Does training in the editor, with every live view on, keep up with a plain PyTorch loop?

In-app: the LeNet-5 example trains one epoch in the main window (its own batch size and
optimiser settings, the built-in shapes, the CPU threads the app picks) with the Live tab
shown, feature maps and filters switched every second, the confusion matrix and the canvas
thumbnails on. Its speed is the trainer's ``samples_per_s`` of that epoch (the training
phase; the app keeps drawing all the while).

Plain: the same compiled model, the same data tensors (the very dataset the app loaded),
batch size, Adam (fused, as the trainer) and thread count, shuffled index batches scaled and normalised like the
trainer's -- forward, cross-entropy, backward, step, nothing else -- in the same process with
the window idle.

Each run times ``EPOCHS`` epochs of each (their mean speed), alternating which goes first so
both see the same machine load, after a warm-up of each. The table shows medians over the runs
and ratio = in-app / plain samples per second (target >= 0.95), the median of the per-run
ratios, with their spread: on a shared machine single epochs vary by +-15 % either way.

Run from the repository root: ``python -m benchmarks.gui_throughput [--runs 5]``
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from benchmarks.gui_app import App, log, median
from cnnstudio.core.project import Project
from cnnstudio.gui.training.dashboard import editor_threads
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import EpochMetrics
from cnnstudio.train.config import training_config
from cnnstudio.train.data.dataset import Dataset

TARGET = 0.95
EPOCHS = 2


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


def plain_epochs(project: Project, data: Dataset, batch: int, lr: float, seed: int) -> float:
    speeds = [plain_epoch(project, data, batch, lr, seed * EPOCHS + i) for i in range(EPOCHS)]
    return sum(speeds) / len(speeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = App({"epochs": EPOCHS, "optimizer": "adam", "scheduler": "none"})
    project = app.window.document.project
    config = training_config(project.training)
    threads = editor_threads()
    try:
        app_epochs(app)  # warm-up; also loads the dataset the plain loop then uses
        request = app.dashboard.data_request()
        assert request is not None
        data = app.dashboard.loader.cached(request)
        assert data is not None
        torch.set_num_threads(threads)
        plain_epoch(project, data, config.batch_size, config.lr, seed=0)
        plain, ours, ratios = [], [], []
        for run in range(args.runs):
            if run % 2 == 0:
                p = plain_epochs(project, data, config.batch_size, config.lr, seed=run)
                a = app_epochs(app)
            else:
                a = app_epochs(app)
                p = plain_epochs(project, data, config.batch_size, config.lr, seed=run)
            plain.append(p)
            ours.append(a)
            ratios.append(a / p)
            log(f"  run {run + 1}: plain {p:,.0f}/s, in-app {a:,.0f}/s, ratio {a / p:.3f}")
    finally:
        app.close()
    ratio = median(ratios)
    print(
        f"LeNet-5, {len(data.train):,} training images, batch {config.batch_size}, "
        f"{threads} thread(s), {args.runs} runs (medians)"
    )
    print(
        f"plain {median(plain):,.0f} samples/s  in-app {median(ours):,.0f} samples/s  "
        f"ratio {ratio:.3f} (runs {min(ratios):.3f}..{max(ratios):.3f}; target >= {TARGET}) "
        f"{'ok' if ratio >= TARGET else 'BELOW TARGET'}"
    )


if __name__ == "__main__":
    main()
