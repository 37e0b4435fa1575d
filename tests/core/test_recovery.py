"""Recovery files: written atomically beside nothing of the user's, offered only after their
session died, read through the project loader, and set aside when damaged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project
from cnnstudio.core.recovery import CORRUPT_SUFFIX, HEADER, RecoverySlot, read_recovery, scan

ROOT = Path(__file__).parents[2]


def _project(path: Path | None = None) -> Project:
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {"shape": [1, 28, 28]}, (12.5, -40.0)))
    graph.add_node(Node("flat", "Flatten", {}, (200.0, 33.0)))
    graph.connect(Edge("input", "flat"))
    project = Project(
        "Digits",
        graph,
        dataset={"name": "mnist", "batch_size": 64},
        training={"epochs": 3},
        extra={"notes": "kept"},
    )
    project.path = path
    return project


def _crashed(folder: Path, project: Project) -> Path:
    """A recovery file whose session is gone (its lock released without the clean-close delete)."""
    slot = RecoverySlot(folder)
    slot.write(project)
    assert slot._lock is not None
    slot._lock.close()  # what the OS does when the process dies
    return slot.path


def test_a_dead_sessions_autosave_comes_back_exactly(tmp_path: Path) -> None:
    user_file = tmp_path / "digits.cnnstudio"
    user_file.write_text("the user's own bytes", encoding="utf-8")
    project = _project(user_file)
    folder = tmp_path / "recovery"
    path = _crashed(folder, project)

    assert user_file.read_text(encoding="utf-8") == "the user's own bytes"
    assert path.parent == folder
    (found,), corrupt = scan(folder)
    assert corrupt == []
    assert found.path == path
    assert found.name == "Digits"
    assert found.file == user_file.resolve()
    assert abs(time.time() - found.saved_at.timestamp()) < 60
    assert found.project.to_dict() == project.to_dict()  # graph, positions, settings, extras
    assert HEADER not in found.project.extra  # the header never reaches the user's file
    header = json.loads(path.read_text(encoding="utf-8"))[HEADER]
    assert header["pid"] == os.getpid()


def test_a_never_saved_project_is_recovered_without_a_file(tmp_path: Path) -> None:
    _crashed(tmp_path, _project())
    (found,), _ = scan(tmp_path)
    assert found.file is None
    assert found.project.path is None


def test_a_live_sessions_file_is_not_offered(tmp_path: Path) -> None:
    slot = RecoverySlot(tmp_path)
    slot.write(_project())
    assert scan(tmp_path) == ([], [])  # the lock is held (even by this very process)
    slot.close()
    assert sorted(tmp_path.iterdir()) == []  # a clean close leaves nothing


def test_a_killed_process_releases_its_slot(tmp_path: Path) -> None:
    """The real thing: a process holding a slot is skipped until it is killed with SIGKILL."""
    script = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from cnnstudio.core.project import Project
        from cnnstudio.core.recovery import RecoverySlot
        slot = RecoverySlot(Path(sys.argv[1]))
        slot.write(Project("Held"))
        print("written", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "written\n"
        assert scan(tmp_path) == ([], [])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()  # type: ignore[union-attr]
    (found,), _ = scan(tmp_path)
    assert found.name == "Held"


def test_writes_are_atomic_and_a_failed_one_keeps_the_last(tmp_path: Path) -> None:
    slot = RecoverySlot(tmp_path)
    slot.write(_project())
    before = slot.path.read_bytes()
    broken = _project()
    broken.training = {"lr": float("nan")}  # not JSON: the write fails before touching the file
    with pytest.raises(ValueError, match="not JSON compliant"):
        slot.write(broken)
    assert slot.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [slot.path.name, slot.path.with_suffix(".lock").name]
    )  # no temporary file left behind
    slot.close()


def test_remove_deletes_only_the_file_and_a_second_remove_is_harmless(tmp_path: Path) -> None:
    slot = RecoverySlot(tmp_path)
    slot.write(_project())
    slot.remove()
    slot.remove()
    assert not slot.path.exists()
    assert scan(tmp_path) == ([], [])
    slot.close()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"format": "cnnstudio", "version": 1, "graph"', "not valid JSON"),
        (b"\x00\x01binary", "not valid JSON"),
        (b'{"format": "cnnstudio", "version": 1, "graph": {}}', "recovery header is missing"),
        (
            b'{"format": "cnnstudio", "version": 1, "graph": {"nodes": [{"id": "x"}]},'
            b' "recovery": {"file": null, "saved_at": "2026-01-01T00:00:00+00:00", "pid": 1}}',
            "graph.nodes[0].type",
        ),
        (
            b'{"format": "cnnstudio", "version": 1, "graph": {},'
            b' "recovery": {"file": null, "saved_at": "yesterday", "pid": 1}}',
            "recovery.saved_at",
        ),
    ],
    ids=["truncated", "binary", "no-header", "bad-graph", "bad-time"],
)
def test_a_corrupt_file_is_reported_and_set_aside(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    good = _crashed(tmp_path, _project())
    bad = tmp_path / "0bad.cnnstudio"
    bad.write_bytes(content)

    found, (corrupt,) = scan(tmp_path)
    assert [f.path for f in found] == [good]  # the others are still offered
    assert corrupt.set_aside == tmp_path / f"0bad.cnnstudio{CORRUPT_SUFFIX}"
    assert problem in corrupt.reason
    assert corrupt.set_aside.read_bytes() == content  # kept for rescue by hand
    assert not bad.exists()
    assert [f.path for f in scan(tmp_path)[0]] == [good]
    assert scan(tmp_path)[1] == []  # reported once


def test_discard_deletes_the_file_and_its_lock(tmp_path: Path) -> None:
    _crashed(tmp_path, _project())
    (found,), _ = scan(tmp_path)
    found.discard()
    assert sorted(tmp_path.iterdir()) == []


def test_read_recovery_restores_the_users_path_not_the_recovery_files(tmp_path: Path) -> None:
    path = _crashed(tmp_path, _project(tmp_path / "mine.cnnstudio"))
    assert read_recovery(path).project.path == (tmp_path / "mine.cnnstudio").resolve()
