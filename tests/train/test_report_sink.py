"""One function receives every report of a run: what the editor's worker sends through its
one Qt signal."""

from __future__ import annotations

from cnnstudio.core.project import Project
from cnnstudio.train.callbacks import (
    BatchProgress,
    EpochMetrics,
    Features,
    ReportSink,
    RunInfo,
    TrainingResult,
    ValPredictions,
)
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.trainer import Trainer


def test_a_sink_receives_every_report_in_order(small: Project, shapes_600: Dataset) -> None:
    received: list[object] = []
    result = Trainer(small, ReportSink(received.append), dataset=shapes_600, epochs=1).run()
    assert result.status == "completed", result.failure
    kinds = [type(r) for r in received]
    assert kinds[0] is RunInfo
    assert kinds[-1] is TrainingResult
    assert received[-1] == result
    assert {BatchProgress, EpochMetrics, Features, ValPredictions} <= set(kinds)
    assert kinds.index(ValPredictions) < kinds.index(EpochMetrics)
