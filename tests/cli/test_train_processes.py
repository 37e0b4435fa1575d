"""``cnnstudio train FILE --processes 2``: the same command under torchrun, two processes on
CPU. It prints what one process prints (rank 0 only, nothing from torchrun), exits 0 every time,
and a Ctrl-C stops the whole job within about a second with a checkpoint to resume from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_train import TIMEOUT_S, _env, cli, project_file

from cnnstudio.cli import main

TIMING_KEYS = ("seconds", "samples_per_s")


def _rows(stdout: str) -> list[dict[str, float]]:
    rows = [json.loads(line) for line in stdout.splitlines()]
    return [{k: v for k, v in row.items() if k not in TIMING_KEYS} for row in rows]


@pytest.mark.slow
@pytest.mark.torchrun
def test_two_processes_print_what_one_prints_and_exit_0_every_time(tmp_path: Path) -> None:
    """Ranks of a torchrun job aborted at exit now and then (see ``loop_core.leave``); six runs
    in a row must all exit 0 with nothing on stderr."""
    path = project_file(tmp_path, {"epochs": 2, "batch_size": 45})
    one = cli(path, "--json", "--run-dir", tmp_path / "one", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    for attempt in range(6):
        two = cli(path, "--json", "--processes", "2", "--run-dir", tmp_path / "two", cwd=tmp_path)
        assert two.returncode == 0, f"run {attempt + 1} of 6:\n{two.stderr}"
        assert two.stderr == ""
        for a, b in zip(_rows(one.stdout), _rows(two.stdout), strict=True):
            assert b == pytest.approx(a, rel=1e-6, abs=1e-7)
    runs = sorted((tmp_path / "two" / "lenet-5").iterdir())
    assert len(runs) == 6  # one folder per job: rank 1 writes none
    assert json.loads((runs[0] / "config.json").read_text())["runtime"]["processes"] == 2


@pytest.mark.slow
@pytest.mark.torchrun
def test_the_processes_setting_runs_the_job_and_prints_as_one(tmp_path: Path) -> None:
    path = project_file(tmp_path, {"processes": 2, "threads": "auto"})
    proc = cli(path, "--run-dir", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    cores = len(os.sched_getaffinity(0))
    assert f"; cpu ({max(1, cores // 2)} threads, amp off); run folder" in lines[0]
    assert [line.split()[:2] for line in lines[1:2]] == [["epoch", "1/1"]]
    assert lines[2].startswith("completed after 1 epochs")
    (run,) = (tmp_path / "out" / "lenet-5").iterdir()
    assert json.loads((run / "config.json").read_text())["runtime"]["processes"] == 2


@pytest.mark.slow
@pytest.mark.torchrun
def test_ctrl_c_stops_every_process_within_a_second_and_resume_continues(
    tmp_path: Path,
) -> None:
    path = project_file(tmp_path, {"epochs": 50})
    command = [sys.executable, "-m", "cnnstudio", "train", str(path), "--json", "--processes", "2"]
    with subprocess.Popen(
        command, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            assert json.loads(proc.stdout.readline())["epoch"] == 1
            asked = time.perf_counter()
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=TIMEOUT_S)
            took = time.perf_counter() - asked
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    assert took < 1.5
    assert err.startswith("cnnstudio: stopped; resume with:")
    assert "Traceback" not in err
    (run,) = (tmp_path / "runs" / "lenet-5").iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "stopped"
    assert (run / "last.state.pt").is_file()
    stopped_epoch = summary["stopped_at"]["epoch"]
    resumed = cli(
        path,
        "--json",
        "--processes",
        "2",
        "--resume",
        run,
        "--epochs",
        str(stopped_epoch),
        cwd=tmp_path,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [json.loads(line)["epoch"] for line in resumed.stdout.splitlines()] == [stopped_epoch]


@pytest.mark.slow
@pytest.mark.torchrun
def test_a_diverged_job_fails_on_every_rank_alike_with_one_line(tmp_path: Path) -> None:
    """Every rank sees the same global losses, so all stop at the same batch and leave
    together; rank 0's exit code and one-line message are the command's, torchrun stays quiet."""
    path = project_file(tmp_path, {"optimizer": "sgd", "lr": 1e12})
    proc = cli(path, "--json", "--processes", "2", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("cnnstudio: the loss became")
    assert "try a lower learning rate" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_processes_below_1_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(project_file(tmp_path)), "--processes", "0"]) == 2
    assert capsys.readouterr().err == "cnnstudio: --processes must be >= 1, got 0\n"
