"""Does the editor's memory stay flat over a long run with every live view on?

The LeNet-5 example trains ``--epochs`` small epochs (the built-in shapes, 500 training and 100
validation images) in the main window with the Live tab shown, feature maps and filters
switched every second, the confusion matrix and the canvas thumbnails on. The process's
resident memory (RSS) is read after epoch ``WARM_EPOCH`` (caches, allocator pools and lazy
imports are in place by then) and after the last epoch; growth = last / warm - 1. Each run is
a fresh "Restart from scratch" in the same window; the table shows the median growth over the
runs (target <= 5 %) and the RSS values.

Run from the repository root: ``python -m benchmarks.gui_memory [--runs 5] [--epochs 50]``
"""

from __future__ import annotations

import argparse
import os

from benchmarks.gui_app import App, log, median
from cnnstudio.train.callbacks import EpochMetrics

TARGET = 0.05
WARM_EPOCH = 5
DATA = {"source": "shapes", "num_samples": 600}


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def one_run(app: App, epochs: int) -> tuple[float, float]:
    """RSS (MB) after the warm-up epoch and after the last one."""
    marks: dict[int, float] = {}

    def on_epoch(m: EpochMetrics) -> None:
        if m.epoch in (WARM_EPOCH, epochs):
            marks[m.epoch] = rss_mb()

    app.dashboard.controller.epoch_ended.connect(on_epoch)
    app.flip_views(True)
    app.train("restart")
    done = app.run_until(lambda: epochs in marks and not app.dashboard.busy, 1800)
    app.flip_views(False)
    app.dashboard.controller.epoch_ended.disconnect(on_epoch)
    if not done:
        raise SystemExit("the run did not finish within 30 minutes")
    return marks[WARM_EPOCH], marks[epochs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    app = App({"epochs": args.epochs, "batch_size": 32}, DATA)
    growths, warm_values, last_values = [], [], []
    try:
        for run in range(args.runs):
            warm, last = one_run(app, args.epochs)
            growths.append(last / warm - 1)
            warm_values.append(warm)
            last_values.append(last)
            log(
                f"  run {run + 1}: RSS {warm:.1f} MB after epoch {WARM_EPOCH}, {last:.1f} MB "
                f"after epoch {args.epochs}: {100 * (last / warm - 1):+.2f} %"
            )
    finally:
        app.close()
    growth = median(growths)
    print(f"RSS over {args.epochs} epochs with live views on, {args.runs} runs (medians)")
    print(
        f"after epoch {WARM_EPOCH}: {median(warm_values):.1f} MB  after epoch {args.epochs}: "
        f"{median(last_values):.1f} MB  growth {100 * growth:+.2f} % (target <= "
        f"{100 * TARGET:.0f} %) {'ok' if growth <= TARGET else 'ABOVE TARGET'}"
    )


if __name__ == "__main__":
    main()
