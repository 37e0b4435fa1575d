"""How long from a click on Train to the first batch report, with the training process
pre-warmed (started while the user edits) and cold (started by the click)?

Each run opens the LeNet-5 example in the main window with every live view on, clicks Train
(the ``trainButton``), waits for the first ``batches`` report, and stops the run. Pre-warmed:
the dashboard's own pre-warm has started the process and it is ready. Cold: no process was
started before the click. Targets: <= 1.5 s pre-warmed, <= 5 s cold (issue 14).

Run from the repository root: ``python -m benchmarks.train_start [--runs 5]``
"""

from __future__ import annotations

import argparse
import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from benchmarks.gui_app import App, log, median

TARGETS = {"pre-warmed": 1.5, "cold": 5.0}


def first_batch_after_click(app: App) -> float:
    batches: list[object] = []
    controller = app.dashboard.controller
    controller.batches.connect(batches.append)
    started = time.perf_counter()
    QTest.mouseClick(app.dashboard.control.train_button, Qt.MouseButton.LeftButton)
    if not app.run_until(lambda: bool(batches), 120):
        raise SystemExit("no batch report within 2 minutes")
    seconds = time.perf_counter() - started
    controller.batches.disconnect(batches.append)
    app.stop()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = App({"epochs": 50})
    controller = app.dashboard.controller
    times: dict[str, list[float]] = {"pre-warmed": [], "cold": []}
    try:
        app.dashboard.load_preview()  # the data a run shows is loaded once, as after a first run
        app.run_until(
            lambda: app.dashboard.loader.cached(app.dashboard.data_request()) is not None, 60
        )
        for run in range(args.runs):
            controller.prewarm()
            app.run_until(lambda: controller.prewarmed, 60)
            app.run_for(0.5)
            times["pre-warmed"].append(first_batch_after_click(app))
            controller.drop_prewarmed()  # the next click starts its process itself
            app.run_for(0.5)
            times["cold"].append(first_batch_after_click(app))
            log(
                f"  run {run + 1}: pre-warmed {times['pre-warmed'][-1]:.2f} s, cold {times['cold'][-1]:.2f} s"
            )
    finally:
        app.close()
    for kind, values in times.items():
        m = median(values)
        verdict = "ok" if m <= TARGETS[kind] else "ABOVE TARGET"
        print(
            f"click Train -> first batch, {kind}: median {m:.2f} s "
            f"(runs {min(values):.2f}..{max(values):.2f}; target <= {TARGETS[kind]} s) {verdict}"
        )


if __name__ == "__main__":
    main()
