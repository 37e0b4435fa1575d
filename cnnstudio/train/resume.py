"""Whether a finished run can be continued, and the settings a continued run is started with.

The editor's "Continue training" and its Train button ask these rules; they are the trainer's
own (``config.RESUMABLE_OVERRIDES``: what a resumed run may change), so a front end never
decides on its own which run may be continued or with what.

``training.epochs`` is the total length of a run everywhere: a continued run trains on until it
has done that many epochs (the trainer's loop, ``cnnstudio train --resume --epochs N`` and the
editor's "Continue training" alike), so a run that has done them continues only once the
setting is raised.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnnstudio.core.project import Project
from cnnstudio.train.config import (
    RESUMABLE_OVERRIDES,
    ConfigError,
    TrainingConfig,
    training_config,
)
from cnnstudio.train.runs import SUMMARY, RunFolder

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
    done, total = run_epochs_done(run), int(now["epochs"])
    if done >= total:
        return (
            f"the run has done {done} epoch{'s' * (done != 1)} of the {total} set in Epochs "
            f"(the total length of a run); raise Epochs above {done} to train on"
        )
    return None


def run_epochs_done(run: Path) -> int:
    """Epochs a run folder has finished: its summary's count, else its metrics rows (a run
    whose process was killed before it wrote a summary)."""
    folder = RunFolder(run)
    try:
        done = json.loads(folder.file(SUMMARY).read_text(encoding="utf-8")).get("epochs_done")
    except (OSError, ValueError, AttributeError):
        done = None
    if isinstance(done, int) and not isinstance(done, bool):
        return done
    return len({r.get("epoch") for r in folder.read_metrics() if isinstance(r, dict)})


def epochs_done(project: Project, pending_epoch: int | None = None) -> int:
    """The epoch the document's trained weights are from: those of a run that ended since the
    last save (``pending_epoch``), else the one the project's weights section records."""
    if pending_epoch is not None:
        return pending_epoch
    epoch = (project.weights or {}).get("epoch")
    return int(epoch) if isinstance(epoch, int) else 0


def kept_weights_choice(section: dict[str, Any] | None) -> str:
    """``training.keep_weights`` of a section; a section the trainer would refuse keeps the
    default (the best epoch's weights)."""
    try:
        return training_config(section).keep_weights
    except ConfigError:
        return TrainingConfig().keep_weights


def run_overrides(project: Project, config: TrainingConfig, continuing: bool) -> dict[str, Any]:
    """The trainer's keyword overrides for a run of ``project``.

    A continued run trains up to the project's ``epochs`` in all (the total, as everywhere),
    and takes the project's resumable settings (device, precision, early stopping, the weights
    to keep) rather than the ones it was started with.
    """
    overrides: dict[str, Any] = {}
    if continuing:
        section = project.training or {}
        overrides.update(
            epochs=config.epochs,
            device=config.device,
            amp=config.amp,
            early_stopping=section.get("early_stopping") or False,
            keep_weights=config.keep_weights,
        )
    return overrides
