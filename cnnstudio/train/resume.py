"""Whether a finished run can be continued, and the settings a continued run is started with.

The editor's "Continue training" and its Train button ask these rules; they are the trainer's
own (``config.RESUMABLE_OVERRIDES``: what a resumed run may change), so a front end never
decides on its own which run may be continued or with what.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudio.core.project import Project
from cnnstudio.train.config import (
    RESUMABLE_OVERRIDES,
    ConfigError,
    TrainingConfig,
    training_config,
)
from cnnstudio.train.runs import RunFolder

NO_RUN = "there are no trained weights of this network to continue from"


def why_not_continue(project: Project, run: Path | None) -> str | None:
    """Why ``run`` (the run the project's weights came from) cannot be continued with the
    project's settings as they are now, or None when it can."""
    if run is None:
        return NO_RUN
    try:
        snapshot = RunFolder(run).read_config()
        then = training_config(snapshot["training"]).to_dict()
        now = training_config(project.training).to_dict()
    except (OSError, ValueError, KeyError, ConfigError):
        return f"the run folder {run} cannot be read"
    if snapshot["project"].get("dataset") != project.dataset:
        return "the data settings changed since that run"
    changed = [k for k in now if k not in (*RESUMABLE_OVERRIDES, "threads") and now[k] != then[k]]
    if changed:
        return f"{', '.join(changed)} changed since that run"
    return None


def epochs_done(project: Project, pending_epoch: int | None = None) -> int:
    """Epochs behind the weights a run would continue from: those of a run that ended since
    the last save (``pending_epoch``), else those the project's weights section records."""
    if pending_epoch is not None:
        return pending_epoch
    epoch = (project.weights or {}).get("epoch")
    return int(epoch) if isinstance(epoch, int) else 0


def run_overrides(
    project: Project, config: TrainingConfig, continue_after: int | None
) -> dict[str, Any]:
    """The trainer's keyword overrides for a run of ``project``.

    A run continued after ``continue_after`` epochs trains the project's ``epochs`` more, and
    takes the project's resumable settings (device, precision, early stopping) rather than the
    ones it was started with.
    """
    overrides: dict[str, Any] = {}
    if continue_after is not None:
        section = project.training or {}
        overrides.update(
            epochs=continue_after + config.epochs,
            device=config.device,
            amp=config.amp,
            early_stopping=section.get("early_stopping") or False,
        )
    return overrides
