"""Take the screenshots of groups for docs/groups.md: the grouped ResNet-18 with one group
expanded in place, and the canvas inside a group with its breadcrumb.

Run from the repository root, like ``docs/screenshots.py`` (whose helpers it uses):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots_groups.py
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

from PySide6.QtWidgets import QApplication
from screenshots import SIZE, shoot, wait

from cnnstudio.gui.main_window import MainWindow


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        raise SystemExit("run under xvfb-run (see the docstring): the screen is grabbed")
    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.new_project("resnet18")
    window.move(0, 0)
    window.resize(*SIZE)
    window.show()
    wait(1.0)
    window.set_dark_theme(False)
    window.dashboard.parentWidget().hide()  # its dock: the canvas gets the height
    scene = window.scene
    assert scene is not None
    scene.set_expanded(["layer4_1"], True)
    scene.select_nodes(["layer2_0"])
    window.show_start()
    shoot(app, "editor-groups")

    window.document.enter("layer1")
    wait(0.3)
    inside = window.scene
    assert inside is not None
    inside.select_nodes(["conv2"])
    shoot(app, "editor-group-inside")
    window.close()


if __name__ == "__main__":
    main()
