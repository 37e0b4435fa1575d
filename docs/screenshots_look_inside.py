"""Take the screenshots of docs/look-inside.md: a short LeNet-5 run, then the Grad-CAM overlay
in the feature maps panel, the gallery of a mistaken confusion-matrix cell with its overlay,
and the Predict tab with pictures drawn here (shapes at other sizes, in colour).

Run from the repository root, like ``docs/screenshots.py`` (whose helpers it uses):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots_look_inside.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

import numpy as np
from PIL import Image, ImageDraw
from PySide6.QtWidgets import QApplication
from screenshots import SIZE, shoot, wait, wait_until

from cnnstudio.core.project import load_project
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import examples_dir


def draw_pictures(folder: Path) -> list[Path]:
    """A few shapes as a user might draw them: larger than 28x28, in colour, off-centre."""
    shapes = {
        "my-circle.png": lambda d, s: d.ellipse((s * 0.2, s * 0.25, s * 0.7, s * 0.75), "orange"),
        "my-square.jpg": lambda d, s: d.rectangle((s * 0.3, s * 0.3, s * 0.8, s * 0.8), "white"),
        "my-triangle.bmp": lambda d, s: d.polygon(
            [(s * 0.5, s * 0.15), (s * 0.85, s * 0.8), (s * 0.15, s * 0.8)], "yellow"
        ),
        "my-cross.png": lambda d, s: (
            d.rectangle((s * 0.42, s * 0.15, s * 0.58, s * 0.85), "white"),
            d.rectangle((s * 0.15, s * 0.42, s * 0.85, s * 0.58), "white"),
        ),
    }
    paths = []
    for name, paint in shapes.items():
        image = Image.new("RGB", (120, 120), (20, 20, 40))
        paint(ImageDraw.Draw(image), 120)
        image.save(folder / name)
        paths.append(folder / name)
    return paths


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        raise SystemExit("run under xvfb-run (see the docstring): the screen is grabbed")
    folder = tempfile.TemporaryDirectory(prefix="cnnstudio-shots-")
    project = load_project(examples_dir() / "lenet5.cnnstudio")
    project.dataset = {"source": "shapes", "num_samples": 3000}
    project.training = {**(project.training or {}), "epochs": 4}
    project.save(Path(folder.name) / "lenet5.cnnstudio")

    app = QApplication(sys.argv[:1])
    window = MainWindow(str(project.path))
    window.move(0, 0)
    window.resize(*SIZE)
    window.show()
    wait(1.0)
    dashboard = window.dashboard
    ended = []
    dashboard.controller.run_ended.connect(ended.append)
    dashboard.train()
    wait_until(lambda: bool(ended), 600, "the run to end")
    wait(1.0)
    dashboard.feature_maps.samples.setCurrentRow(5)
    panel = dashboard.feature_maps.attribution
    wait_until(lambda: panel.map is not None and panel.map.sample == 5, 30, "an attribution")
    shoot(app, "look-inside-live")

    p = dashboard.predictions
    assert p is not None
    mistakes = np.argwhere(
        np.bincount(p.targets * 10 + p.predictions, minlength=100).reshape(10, 10)
    )
    wrong = [(int(t), int(q)) for t, q in mistakes if t != q] or [(0, 0)]
    dashboard.open_gallery(*wrong[0])
    gallery = dashboard.gallery.attribution
    wait_until(lambda: gallery.map is not None, 30, "the gallery's attribution")
    dashboard.gallery.move(700, 300)
    shoot(app, "look-inside-gallery")
    dashboard.gallery.hide()

    dashboard.tabs.setCurrentWidget(dashboard.predict_panel)
    dashboard.predict_panel.predict(draw_pictures(Path(folder.name)))
    wait_until(lambda: not dashboard.predict_panel.busy, 60, "the predictions")
    shoot(app, "look-inside-predict")
    window.document.undo_stack.setClean()
    window.close()
    folder.cleanup()


if __name__ == "__main__":
    main()
