"""Take the Runs tab's screenshots for docs/runs.md: three short runs of LeNet-5, each with a
changed layer, one with a note, and the diff of the first against the network being edited;
then the three runs' curves compared.

Run from the repository root, like ``docs/screenshots.py`` (whose helpers it uses):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots_runs.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

from PySide6.QtWidgets import QApplication
from screenshots import SIZE, shoot, wait

from cnnstudio.core.project import load_project
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import examples_dir
from cnnstudio.train.run_history import list_runs, project_runs_dir, write_note
from cnnstudio.train.trainer import train


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        raise SystemExit("run under xvfb-run (see the docstring): the screen is grabbed")
    folder = tempfile.TemporaryDirectory(prefix="cnnstudio-shots-")
    project = load_project(examples_dir() / "lenet5.cnnstudio")
    project.dataset = {"source": "shapes", "num_samples": 3000}
    project.training = {**(project.training or {}), "epochs": 3}
    project.save(Path(folder.name) / "lenet5.cnnstudio")
    for channels in (6, 8, 12):
        project.graph.set_params("conv1", {"out_channels": channels})
        train(project)
    runs = list_runs(project_runs_dir(project))
    write_note(runs[1].path, "wider conv1: 8 filters")
    project.graph.set_params("fc1", {"out_features": 96})
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
    panel.table.selectRow(panel.model.rowCount() - 1)  # the oldest run
    panel.diff_selected()
    shoot(app, "training-runs")
    panel.table.selectAll()  # the three runs' curves over the latest one's
    panel.curves_button.click()
    wait(0.5)
    shoot(app, "training-compare")
    window.close()
    folder.cleanup()


if __name__ == "__main__":
    main()
