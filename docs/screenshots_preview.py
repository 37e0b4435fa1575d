"""Take the live preview's screenshots for docs/preview.md: LeNet-5 being designed, each block
showing its activation for one shapes sample (``preview``), then a ReLU killed by its layer's
bias, listed in the Issues (``preview-dead``).

Run from the repository root, like ``docs/screenshots.py`` (whose helpers it uses):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots_preview.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

import safetensors.torch
from PySide6.QtWidgets import QApplication, QSpinBox
from screenshots import SIZE, shoot, wait_until

from cnnstudio.core.commands import SetParams
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.torch_backend.compiler import compile_graph

SAMPLE = 5


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        raise SystemExit("run under xvfb-run (see the docstring): the screen is grabbed")
    folder = tempfile.TemporaryDirectory(prefix="cnnstudio-shots-")
    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.move(0, 0)
    window.resize(*SIZE)
    window.show()
    preview, document = window.preview, window.document
    wait_until(lambda: preview.reason.startswith("Preview of"), 60, "the first preview")
    window.findChild(QSpinBox, "previewSample").setValue(SAMPLE)
    document.push(SetParams("conv2", {"out_channels": 12}))  # an edit: redrawn at once
    wait_until(lambda: f"sample {SAMPLE} " in preview.reason, 30, "the preview of the sample")
    window.view.fit_all()
    shoot(app, "preview")
    # conv1's bias pushed far below zero: relu1 passes nothing, and the Issues say so
    weights = compile_graph(document.graph, seed=0).state_dict()
    weights["conv1.bias"] = weights["conv1.bias"] - 4.0
    file = Path(folder.name) / "biased.safetensors"
    safetensors.torch.save_file(dict(weights), file)
    document.adopt_weights(file)
    wait_until(lambda: "trained weights" in preview.reason, 30, "the preview with the weights")
    shoot(app, "preview-dead")
    document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
