"""Start-up time: ``cnnstudio`` with no file to the editor window shown and the event loop idle.

Each run is a fresh ``python`` process (offscreen, settings in memory, an empty data folder) that
goes through the real entry point, ``cnnstudio.launcher.main([])`` → ``run_app``. The driver only
creates the QApplication first (``run_app`` reuses a running one) and watches its events, so
nothing in the product is changed for measuring. Times are from the moment the parent starts the
process (``time.monotonic`` is one system-wide clock), so they include the interpreter's own
start-up. The first run is discarded (cold file cache, bytecode not yet cached); the medians are
of the warm runs. Bytecode is cached as in an installed copy (``PYTHONDONTWRITEBYTECODE`` is
dropped), in a temporary ``PYTHONPYCACHEPREFIX`` so the checkout is left as it was.

    python -m benchmarks.startup [--runs 7]

Phases: ``imports`` (Python, Qt and cnnstudio up to ``run_app``), ``window`` (QApplication, theme,
MainWindow built and shown), ``paint`` (the window's first paint), ``idle`` (the first zero-timer
tick after that paint: the editor answers input) and ``torch``: whether torch was imported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the checkout measured, not an installed cnnstudio
PHASES = ("imports", "window", "paint", "idle")


def child() -> None:
    """One start-up, printing a JSON line of monotonic timestamps."""
    marks: dict[str, float] = {}
    import cnnstudio.gui.app  # noqa: F401  (what ``cnnstudio`` imports before run_app)
    from cnnstudio import launcher

    marks["imports"] = time.monotonic()
    assert Path(launcher.__file__).is_relative_to(ROOT), launcher.__file__
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])

    def idle() -> None:
        marks["idle"] = time.monotonic()
        app.quit()

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            kind = event.type()
            if isinstance(watched, QMainWindow):
                if kind == QEvent.Type.Show and "window" not in marks:
                    marks["window"] = time.monotonic()
                elif kind == QEvent.Type.Paint and "paint" not in marks:
                    marks["paint"] = time.monotonic()
                    app.removeEventFilter(self)
                    QTimer.singleShot(0, idle)
            return False

    watch = Watch()
    app.installEventFilter(watch)
    launcher.main([])
    marks["torch"] = float("torch" in sys.modules)
    print(json.dumps(marks), flush=True)


def one_run(pycache: str) -> dict[str, float]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPYCACHEPREFIX": pycache,
        "QT_QPA_PLATFORM": "offscreen",
        "CNNSTUDIO_NO_SETTINGS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with tempfile.TemporaryDirectory(prefix="cnnstudio-startup-") as data:
        env["CNNSTUDIO_DATA_DIR"] = data
        start = time.monotonic()
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    marks = json.loads(out.strip().splitlines()[-1])
    torch = marks.pop("torch")
    times = {k: v - start for k, v in marks.items()}
    times["torch"] = torch
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="warm runs (after one discarded)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    with tempfile.TemporaryDirectory(prefix="cnnstudio-pyc-") as pycache:
        one_run(pycache)  # cold: discarded
        runs = [one_run(pycache) for _ in range(args.runs)]
    med = {p: statistics.median(r[p] for r in runs) for p in PHASES}
    print(f"{args.runs} warm runs, medians (s from process start):")
    previous = 0.0
    for phase in PHASES:
        print(f"  {phase:8s} {med[phase]:6.3f}  (+{med[phase] - previous:.3f})")
        previous = med[phase]
    idle = ", ".join(f"{r['idle']:.2f}" for r in runs)
    print(f"  all runs, idle: {idle}")
    print(f"  torch imported in the editor process: {any(r['torch'] for r in runs)}")


if __name__ == "__main__":
    main()
