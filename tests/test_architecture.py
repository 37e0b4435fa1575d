"""The layering holds: the core works with torch and Qt absent, and import-linter's contracts pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnstudio.train.hardware import gpu_driver_present

ROOT = Path(__file__).parents[1]
TIMEOUT_S = 120

# Runs in a fresh interpreter: any import of a blocked package fails as if it were not installed.
BLOCKED_IMPORTS = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    BLOCKED = ("torch", "PySide6", "shiboken6", "pyqtgraph")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, Blocker())

    import cnnstudio
    import cnnstudio.core
    from cnnstudio import analyze, load_project, Analysis, GraphModel, Project

    for info in pkgutil.walk_packages(cnnstudio.core.__path__, "cnnstudio.core."):
        importlib.import_module(info.name)

    project = load_project(sys.argv[1])
    assert analyze(project.graph).valid
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("core imported", len([m for m in sys.modules if m.startswith("cnnstudio.core")]))
    """
)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def test_core_imports_without_torch_or_qt() -> None:
    example = ROOT / "examples" / "lenet5.cnnstudio"
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORTS, str(example)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("core imported")


def test_the_blocker_really_blocks() -> None:
    probe = BLOCKED_IMPORTS.split("import cnnstudio\n")[0] + "import torch\n"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode != 0
    assert "ImportError: torch is blocked for this test" in result.stderr


# The editor as ``cnnstudio`` opens it (LeNet-5, one turn of the event loop), with torch and the
# export formats blocked: start-up imports them only where a GPU driver makes torch the one to
# ask which devices exist (``train.hardware``).
EDITOR_WITHOUT_TORCH = textwrap.dedent(
    """
    import sys

    BLOCKED = ("torch", "safetensors", "onnx", "onnxruntime", "onnxscript")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, Blocker())

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import cnnstudio.launcher  # what `cnnstudio` imports before it opens the editor
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.numbers import short_count

    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.show()
    visible = []
    QTimer.singleShot(0, lambda: (visible.append(window.isVisible()), app.quit()))
    app.exec()  # quitting closes the window
    analysis = window.document.analysis.analysis
    assert visible == [True] and analysis.valid, (visible, analysis.errors)
    shown = window.summary.params.text()
    assert shown == f"Params {short_count(analysis.total_params)}", shown
    memory = window.dashboard.settings_panel.memory.text()
    assert memory.startswith("Peak memory of one step") and "available on cpu" in memory, memory
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("editor shown:", window.document.project.name, shown)
    """
)


@pytest.mark.skipif(gpu_driver_present(), reason="a GPU driver: torch lists the devices")
def test_editor_starts_without_torch(tmp_path: Path) -> None:
    env = {
        **_env(),
        "QT_QPA_PLATFORM": "offscreen",
        "CNNSTUDIO_NO_SETTINGS": "1",
        "CNNSTUDIO_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", EDITOR_WITHOUT_TORCH],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("editor shown: LeNet-5"), result.stdout


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed (it comes with the dev extra: import-linter)")
    return found


def test_import_linter_contracts_are_kept() -> None:
    result = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
