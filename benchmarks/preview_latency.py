"""How soon after an edit does every block show its new activation? Live preview latency.

The editor opens the LeNet-5 example (built-in shapes, offscreen Qt) with the preview on and
waits for its first pictures (torch imported, data generated). Then each edit changes conv1's
``out_channels`` as one undoable step, a new network every time, and the clock runs from the
push to the canvas's first paint after the new thumbnails reached the nodes: analysis, the
hand-off to the preview thread, compiling, the forward pass, the pictures, and drawing them.

Target: median <= 150 ms. Run from the repository root:
``QT_QPA_PLATFORM=offscreen python -m benchmarks.preview_latency [--edits 30]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from cnnstudio.core.commands import SetParams
from cnnstudio.gui.main_window import MainWindow

TARGET_MS = 150.0
FIRST_TIMEOUT_S = 60.0
EDIT_TIMEOUT_S = 10.0


class PaintClock(QObject):
    """The time of the first paint of the canvas after ``arm()``."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.painted: float | None = None

    def arm(self) -> None:
        self.armed, self.painted = True, None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.armed and event.type() == QEvent.Type.Paint:
            self.armed, self.painted = False, time.perf_counter()
        return False


def wait(app: QApplication, done: object, timeout_s: float) -> None:
    end = time.perf_counter() + timeout_s
    while not done():  # type: ignore[operator]
        if time.perf_counter() > end:
            raise SystemExit("timed out waiting for the preview")
        app.processEvents()
        time.sleep(0.0005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    app = QApplication([])
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    preview, document = window.preview, window.document
    drawn: list[int] = []
    clock = PaintClock()
    preview.drawn.connect(lambda generation: (drawn.append(generation), clock.arm()))
    window.view.viewport().installEventFilter(clock)
    start = time.perf_counter()
    wait(app, lambda: bool(drawn) and clock.painted is not None, FIRST_TIMEOUT_S)
    print(f"first preview (torch import, data, first compile): {time.perf_counter() - start:.2f} s")
    latencies: list[float] = []
    for edit in range(args.edits):
        seen = len(drawn)
        channels = 4 + edit % 5 if edit % 5 != 2 else 9  # never the current value
        pushed = time.perf_counter()
        document.push(SetParams("conv1", {"out_channels": channels}))
        wait(app, lambda s=seen: len(drawn) > s and clock.painted is not None, EDIT_TIMEOUT_S)
        assert clock.painted is not None
        latencies.append((clock.painted - pushed) * 1000)
        app.processEvents()
    window.document.undo_stack.setClean()
    window.close()
    median = statistics.median(latencies)
    print(
        f"edit -> thumbnails drawn, LeNet-5, {args.edits} edits: median {median:.1f} ms, "
        f"p90 {statistics.quantiles(latencies, n=10)[-1]:.1f} ms, max {max(latencies):.1f} ms "
        f"(target {TARGET_MS:.0f} ms, ratio {median / TARGET_MS:.2f})"
    )


if __name__ == "__main__":
    main()
