"""The controller sends each report of the trainer out through a signal of the report's type."""

from __future__ import annotations

import typing

from cnnstudio.gui.training.controller import REPORT_SIGNALS, TrainingController
from cnnstudio.train.callbacks import EVENTS, TrainingCallbacks, TrainingResult


def test_the_controller_has_a_signal_for_every_report_but_the_end() -> None:
    reports = {
        next(
            t
            for k, t in typing.get_type_hints(getattr(TrainingCallbacks, e)).items()
            if k != "return"
        )
        for e in EVENTS
    }
    assert set(REPORT_SIGNALS) == reports - {TrainingResult}
    assert all(hasattr(TrainingController, name) for name in REPORT_SIGNALS.values())
