"""``cnnstudio ARG``: a command runs the CLI, a file opens the editor, anything else is a typo.

A mistyped command (``cnnstudio sumary net.cnnstudio``) once opened the editor on a file named
``sumary``; now it exits 2 with one line on stderr, before Qt is imported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cnnstudio.launcher import main

ROOT = Path(__file__).parents[2]
TIMEOUT_S = 60
EDITOR_BLOCKED = "cnnstudio: the editor cannot start: import of cnnstudio.gui.app halted"

# Runs in a fresh interpreter, so that no earlier test has imported Qt.
MAIN_THEN_CHECK_QT = """
import sys
from cnnstudio.launcher import main
code = main(sys.argv[1:])
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
assert not qt, qt
sys.exit(code)
"""


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("sumary", "cnnstudio: unknown command 'sumary' (did you mean 'summary'?)"),
        ("exprot", "cnnstudio: unknown command 'exprot' (did you mean 'export'?)"),
        ("frobnicate", "cnnstudio: unknown command 'frobnicate'"),
    ],
)
def test_a_mistyped_command_exits_2_naming_it(tmp_path: Path, word: str, message: str) -> None:
    result = _python("-m", "cnnstudio", word, "net.cnnstudio", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")
    assert list(tmp_path.iterdir()) == []


def test_a_mistyped_command_never_imports_qt(tmp_path: Path) -> None:
    result = _python("-c", MAIN_THEN_CHECK_QT, "sumary", "net.cnnstudio", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "did you mean 'summary'?" in result.stderr


@pytest.fixture
def editor_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the editor fails, so reaching it shows as its 'cannot start' line."""
    monkeypatch.setitem(sys.modules, "cnnstudio.gui.app", None)


@pytest.mark.usefixtures("editor_blocked")
def test_in_process_a_mistyped_command_stops_before_the_editor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sumary", "net.cnnstudio"]) == 2
    assert capsys.readouterr().err == (
        "cnnstudio: unknown command 'sumary' (did you mean 'summary'?)\n"
    )


@pytest.mark.usefixtures("editor_blocked")
@pytest.mark.parametrize(
    ("name", "exists"),
    [("sumary", True), ("missing.cnnstudio", False), ("sub/missing", False)],
)
def test_a_file_argument_opens_the_editor(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    exists: bool,
) -> None:
    """An existing file of any name, or a missing one that looks like a path (the editor then
    reports it missing), goes to the editor."""
    monkeypatch.chdir(tmp_path)
    if exists:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert main([name]) == 2
    assert capsys.readouterr().err.startswith(EDITOR_BLOCKED)


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE on this platform")
def test_a_command_run_in_process_leaves_sigpipe_alone(capsys: pytest.CaptureFixture[str]) -> None:
    # A caller's process (the Python API, this test run) must not be killed by a closed pipe.
    example = ROOT / "examples" / "lenet5.cnnstudio"
    before = signal.getsignal(signal.SIGPIPE)
    assert main(["summary", str(example)]) == 0
    assert signal.getsignal(signal.SIGPIPE) == before
    assert "conv1" in capsys.readouterr().out
