"""Take the README's screenshots: the editor, then the dashboard in the middle of a real run.

Needs a real X display, because the gallery is a window of its own and the screen is grabbed
as a user would see it. Run from the repository root:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots.py

It opens the LeNet-5 example, trains it on the built-in shapes and saves ``docs/screenshot-*.png``:
the editor (light and dark), the Live tab at epoch 6 (curves, feature maps, confusion matrix),
the filters, the gallery of one confusion-matrix cell, the dark theme and the Data tab.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.main_window import MainWindow

DOCS = Path(__file__).resolve().parent
SIZE = (1600, 1000)
SHOT_EPOCH = 6  # the Live tab is shot once this many epochs are done


def wait(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_until(done: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        wait(0.05)


def shoot(app: QApplication, name: str) -> None:
    """Grab the whole screen (the window fills it) after the pending repaints."""
    wait(0.6)
    screen = app.primaryScreen()
    path = DOCS / f"screenshot-{name}.png"
    if not screen.grabWindow(0).save(str(path)):
        raise SystemExit(f"could not save {path}")
    print(f"saved {path.relative_to(DOCS.parent)}")


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        raise SystemExit("run under xvfb-run (see the docstring): the screen is grabbed")
    app = QApplication(sys.argv[:1])
    window = MainWindow()  # the built-in LeNet-5 example
    dashboard = window.dashboard
    runs = tempfile.TemporaryDirectory(prefix="cnnstudio-shots-")
    dashboard.run_base = Path(runs.name)
    window.move(0, 0)
    window.resize(*SIZE)
    window.show()
    wait(1.0)
    window.set_dark_theme(False)
    shoot(app, "editor-light")
    window.set_dark_theme(True)
    shoot(app, "editor-dark")
    window.set_dark_theme(False)

    epochs: list[object] = []
    dashboard.controller.epoch_ended.connect(epochs.append)
    dashboard.tabs.setCurrentIndex(0)  # Live
    assert window.scene is not None
    window.scene.select_nodes(["conv2"])  # its feature maps are shown
    dashboard.train("restart")
    wait_until(lambda: len(epochs) >= SHOT_EPOCH, 600, f"epoch {SHOT_EPOCH}")
    wait(1.0)  # a few batches into the next epoch, so the progress bar shows it
    shoot(app, "training")

    dashboard.controller.pause()
    dashboard.view_tabs.setCurrentIndex(1)  # Filters
    shoot(app, "training-filters")
    dashboard.view_tabs.setCurrentIndex(0)

    matrix = dashboard.confusion.matrix
    assert matrix is not None
    off = np.array(matrix, copy=True)
    np.fill_diagonal(off, 0)
    true, predicted = np.unravel_index(int(off.argmax()), off.shape)
    dashboard.open_gallery(int(true), int(predicted))
    shoot(app, "training-gallery")
    dashboard.gallery.hide()

    window.set_dark_theme(True)
    shoot(app, "training-dark")
    window.set_dark_theme(False)

    dashboard.controller.resume()
    dashboard.controller.stop_and_wait(5000)
    wait_until(lambda: not dashboard.busy, 30, "the run's end")
    dashboard.tabs.setCurrentIndex(1)  # Data
    shoot(app, "training-data")

    window.document.undo_stack.setClean()  # the trained weights are not to be saved
    window.close()
    runs.cleanup()


if __name__ == "__main__":
    main()
