"""Comparing runs, offscreen: 10 runs x 100 epochs overlaid on the curves, and the Runs tab
opened on 200 runs.

Run from the repository root: ``python -m benchmarks.runs_overlay [--runs 15]``. Synthetic run
folders (config.json, metrics.jsonl, summary.json as the trainer writes them) go to a temporary
folder. Prints medians of wall and GUI-thread CPU time and their ratio to the target (below 1.0
meets it); the targets are absolute (a frame, and what a person waits for a list), so there is
no baseline. On a shared machine the CPU time is the cost, the wall time adds the wait for a core.

- overlay redraw: the 10 compared runs drawn again for a new view (the x range alternates, as a
  zoom or a growing live run does: every path is rebuilt), then a synchronous repaint of the
  loss and accuracy plots.
- new selection: the dashboard's path when the user selects 10 other runs (each run's curves
  from the per-run cache, which only stats its metrics.jsonl; new arrays, the key above the
  plots renamed), then the same repaint. Two selections of 10 different runs alternate.
- overlay first show: a new selection on an overlay that never showed runs (its path items are
  created; once per session).
- runs panel open: a new Runs tab shown on 200 runs (listing them, the table laid out and
  painted).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import QApplication

from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import EXTENSION, load_project
from cnnstudio.gui.plots.curves import CurvesView
from cnnstudio.gui.plots.history import RunHistory
from cnnstudio.gui.templates import examples_dir
from cnnstudio.gui.training.runs_panel import RunsPanel
from cnnstudio.train.run_curves import CurvesCache

RUNS, EPOCHS, LISTED = 10, 100, 200
TARGETS_MS = {
    "overlay redraw": 16.0,
    "new selection": 16.0,
    "overlay first show": 16.0,
    "runs panel open": 200.0,
}
CURVES_SIZE = (480, 380)  # the curves' share of the training dock at its default size


def write_runs(folder: Path, count: int, epochs: int) -> list[Path]:
    """``count`` run folders of LeNet-5, each with ``epochs`` rows of plausible metrics."""
    project = load_project(examples_dir() / f"lenet5{EXTENSION}").to_dict()
    rng = np.random.default_rng(0)
    runs = []
    for i in range(count):
        run = folder / f"20250101-{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}"
        run.mkdir(parents=True)
        training = {"optimizer": "adam", "lr": 0.003, "batch_size": 64, "epochs": epochs}
        config = {"created": "2025-01-01T00:00:00", "project": project, "training": training}
        (run / "config.json").write_text(json.dumps(config))
        t = np.arange(1, epochs + 1)
        decay = np.exp(-t / rng.uniform(5, 30))
        rows = [
            {
                "epoch": int(e),
                "train_loss": float(2.3 * d + rng.uniform(0, 0.05)),
                "train_accuracy": float(1 - 0.9 * d),
                "val_loss": float(2.3 * d + rng.uniform(0, 0.1)),
                "val_accuracy": float(1 - 0.92 * d),
                "lr": 0.003,
                "seconds": 1.0,
                "samples_per_s": 10_000.0,
            }
            for e, d in zip(t, decay, strict=True)
        ]
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        summary = {
            "status": "completed",
            "epochs_done": epochs,
            "best_epoch": epochs,
            "best_val_accuracy": rows[-1]["val_accuracy"],
            "final": rows[-1],
            "seconds": float(epochs),
        }
        (run / "summary.json").write_text(json.dumps(summary))
        runs.append(run)
    return runs


def measure(repeats: int, step: Callable[[int], None]) -> tuple[float, float]:
    """Median wall and GUI-thread CPU milliseconds of ``step(i)``: on a shared machine the CPU
    time is what the step costs, the wall time also what it waited for a core."""
    wall, cpu = [], []
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        step(i)
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return 1000.0 * statistics.median(wall), 1000.0 * statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="repetitions of each measurement")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="cnnstudio-bench-") as tmp:
        runs = write_runs(Path(tmp) / "overlay", 2 * RUNS, EPOCHS)
        selections = (runs[:RUNS], runs[RUNS:])
        cache = CurvesCache()
        for run in runs:
            cache.get(run)  # read once, as a first selection does

        def view() -> CurvesView:
            v = CurvesView(RunHistory())
            v.resize(*CURVES_SIZE)
            v.show()
            app.processEvents()
            return v

        def paint(v: CurvesView) -> None:
            v.loss_plot.viewport().repaint()
            v.accuracy_plot.viewport().repaint()

        def select(v: CurvesView, selection: list[Path]) -> None:
            v.compare([cache.get(p) for p in selection], None)
            paint(v)

        def zoom(v: CurvesView, i: int) -> None:
            v.loss_plot.getPlotItem().setXRange(0, EPOCHS / (1 + i % 2), padding=0.01)
            paint(v)

        shown = view()
        select(shown, selections[1])
        redraws = measure(args.runs, lambda i: zoom(shown, i))
        selects = measure(args.runs, lambda i: select(shown, selections[i % 2]))
        fresh = [view() for _ in range(args.runs)]
        firsts = measure(args.runs, lambda i: select(fresh[i], selections[0]))
        assert len(shown.runs_key.names) == RUNS

        listed = Path(tmp) / "listed"
        write_runs(listed, LISTED, 10)

        def open_panel(_: int) -> None:
            panel = RunsPanel(lambda: listed, GraphModel)  # the network is for diffs only
            panel.resize(1200, 400)
            panel.show()  # the Runs tab is shown: it reads the run folders
            app.processEvents()
            assert panel.proxy.rowCount() == LISTED
            panel.close()
            panel.deleteLater()

        opens = measure(args.runs, open_panel)
        app.processEvents()

    figures = {
        "overlay redraw": redraws,
        "new selection": selects,
        "overlay first show": firsts,
        "runs panel open": opens,
    }
    print(f"{RUNS} runs x {EPOCHS} epochs overlaid; {LISTED} runs listed; {args.runs} repetitions")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, (wall, cpu) in figures.items():
        target = TARGETS_MS[name]
        print(
            f"{name:>20}: {wall:7.2f} ms wall (ratio {wall / target:.2f}), {cpu:7.2f} ms CPU "
            f"(ratio {cpu / target:.2f}); target {target:.0f} ms"
        )


if __name__ == "__main__":
    main()
