"""Take the architecture-diff and learning-rate-finder screenshots for docs/runs.md: one short
run of LeNet-5, then a wider conv1, a BatchNorm inserted after it and relu4 removed, diffed
against the run over the canvas; then the range test on the edited network with the
example's own data and settings.

Run from the repository root, like ``docs/screenshots.py`` (whose helpers it uses):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots_diff.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

from PySide6.QtWidgets import QApplication
from screenshots import SIZE, shoot, wait, wait_until

from cnnstudio.core.graph import Edge, Node
from cnnstudio.core.project import load_project
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import examples_dir
from cnnstudio.train.trainer import train


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        raise SystemExit("run under xvfb-run (see the docstring): the screen is grabbed")
    folder = tempfile.TemporaryDirectory(prefix="cnnstudio-shots-")
    project = load_project(examples_dir() / "lenet5.cnnstudio")
    example_data, example_training = project.dataset, project.training
    project.dataset = {"source": "shapes", "num_samples": 1200}
    project.training = {**(project.training or {}), "epochs": 1, "batch_size": 10}
    project.save(Path(folder.name) / "lenet5.cnnstudio")
    train(project)
    graph = project.graph
    graph.set_params("conv1", {"out_channels": 8})
    graph.add_node(Node("bn1", "BatchNorm2d", {}, (300.0, -100.0)))
    graph.connect(Edge("conv1", "bn1"))
    graph.connect(Edge("bn1", "relu1"))  # replaces conv1 -> relu1
    graph.remove_node("relu4")
    graph.connect(Edge("fc2", "fc3"))
    project.save()

    app = QApplication(sys.argv[:1])
    window = MainWindow(str(project.path))
    window.move(0, 0)
    window.resize(*SIZE)
    window.show()
    wait(1.0)
    dashboard = window.dashboard
    panel = dashboard.runs_panel
    dashboard.tabs.setCurrentWidget(panel)
    wait(0.3)
    panel.table.selectRow(0)
    panel.diff_selected()
    window.view.fit_all()
    shoot(app, "diff-overlay")

    window.document.set_section("dataset", example_data, "The example's data")
    window.document.set_section("training", example_training, "The example's settings")
    dashboard.tabs.setCurrentWidget(dashboard.settings_panel)
    dashboard.settings_panel.open_lr_finder()
    finder = dashboard.settings_panel.lr_finder
    assert finder is not None
    finder.move(500, 200)
    wait_until(lambda: not finder.running, 120, "the range test")
    shoot(app, "lr-finder")
    finder.reject()
    window.close()
    folder.cleanup()


if __name__ == "__main__":
    main()
