"""The editor's training process: ``python -m cnnstudio.train.worker ADDRESS [--job FILE]``.

Started by the editor before the user clicks Train (importing torch is most of a start), it
connects back to the editor at ADDRESS (the key in ``CNNSTUDIO_WORKER_KEY``), waits for one
``start`` command with the project and the run's options, trains with the one ``Trainer`` and
streams every report as a ``wire`` message; ``pause``, ``resume``, ``stop``, ``capture`` and
``attribute`` commands reach the trainer meanwhile. It exits after the run: a crash, a kill or an
out-of-memory end here cannot touch the editor or the user's unsaved design.

Under ``torchrun`` every rank reads the job from ``--job FILE`` (written before it started);
rank 0 alone connects, reports and takes commands, which the trainer passes on to the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any

KEY_VARIABLE = "CNNSTUDIO_WORKER_KEY"
READY = b"ready"


def main(argv: list[str]) -> int:
    job_file = argv[2] if len(argv) == 3 and argv[1] == "--job" else None
    if len(argv) not in (1, 3) or (len(argv) == 3 and job_file is None):
        print(
            "usage: CNNSTUDIO_WORKER_KEY=... python -m cnnstudio.train.worker ADDRESS [--job FILE]"
        )
        return 2
    key = bytes.fromhex(os.environ.pop(KEY_VARIABLE, ""))
    if int(os.environ.get("RANK", "0")) != 0:  # a torchrun rank beside rank 0: no reports
        assert job_file is not None
        _trainer(None, json.loads(Path(job_file).read_text(encoding="utf-8"))).run()
        return 0  # the ranks followed rank 0's pause and stop, and left together
    try:
        conn = Client(argv[0], authkey=key)
    except OSError:
        return 0  # the editor closed before this process was needed
    with conn:
        _prepare()
        try:
            conn.send_bytes(READY)
        except OSError:
            return 0
        return serve(conn, job_file)


def _prepare() -> None:
    """Import and start what a run needs before the editor asks for one (the pre-warmed part):
    torch, the trainer, the built-in data, one tiny step with the default optimizer."""
    import torch

    import cnnstudio.train.data.shapes
    import cnnstudio.train.trainer  # noqa: F401
    from cnnstudio.train.config import training_config
    from cnnstudio.train.warm import warm_up

    warm_up(torch.device("cpu"), training_config({}))


def serve(conn: Connection, job_file: str | None = None) -> int:
    """Run the one job the editor sends, streaming its reports back; 0 once it has ended."""
    from cnnstudio.train.wire import decode_command

    try:
        name, job = decode_command(conn.recv_bytes())
    except EOFError:
        return 0  # the editor went away before a run was asked for
    if name != "start":
        return 2
    if job_file is not None:  # the job every rank trains (the message is the go-ahead)
        job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    trainer = _trainer(conn, job)
    control = threading.Thread(target=_follow_commands, args=(conn, trainer), daemon=True)
    control.start()
    result = trainer.run()
    _send(conn, result)
    return 0


def _trainer(conn: Connection | None, job: dict[str, Any]) -> Any:
    from cnnstudio.core.project import Project
    from cnnstudio.train.callbacks import ReportSink
    from cnnstudio.train.capture import CaptureSettings
    from cnnstudio.train.trainer import Trainer

    project = Project.from_dict(job["project"], job.get("path") or job["project"].get("name", ""))
    project.path = Path(job["path"]) if job.get("path") else None
    return Trainer(
        project,
        ReportSink(lambda report: _send(conn, report)) if conn is not None else None,
        run_dir=job.get("run_dir"),
        resume_from=job.get("resume_from"),
        capture=_capture_settings(CaptureSettings(), job.get("capture", {})),
        **job.get("overrides", {}),
    )


_send_lock = threading.Lock()


def _send(conn: Connection, report: Any) -> None:
    from cnnstudio.train.wire import encode_report

    message = encode_report(report)
    with _send_lock, contextlib.suppress(OSError):  # editor gone: the run ends, checkpointed
        conn.send_bytes(message)


def _follow_commands(conn: Connection, trainer: Any) -> None:
    """Pause, resume, stop, capture and attribution requests from the editor, until it hangs up."""
    from cnnstudio.train.wire import WireError, decode_command

    while True:
        try:
            name, values = decode_command(conn.recv_bytes())
        except (EOFError, OSError):
            trainer.stop()  # the editor is gone: save and end
            return
        except WireError:
            continue
        if name == "pause":
            trainer.pause()
        elif name == "resume":
            trainer.resume()
        elif name == "stop":
            trainer.stop()
        elif name == "capture":
            _capture_settings(trainer.capture, values)
            trainer.request_capture()
        elif name == "attribute":
            trainer.request_attribution(values)


def _capture_settings(settings: Any, values: dict[str, Any]) -> Any:
    for field in ("every", "min_interval_s", "sample"):
        if field in values:
            setattr(settings, field, values[field])
    if "nodes" in values:
        settings.nodes = tuple(values["nodes"]) if values["nodes"] is not None else None
    if "weights" in values:
        settings.weights = tuple(values["weights"])
    return settings


if __name__ == "__main__":
    # Everything is written and reported by now: skip the interpreter's teardown, where torch's
    # thread pools aborted a finished process now and then ("terminate called without an
    # active exception"), as they did the ranks of a torchrun job (see loop_core.leave).
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
