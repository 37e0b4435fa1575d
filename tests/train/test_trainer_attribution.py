"""Attributions asked of a running trainer (the editor's ``attribute`` command) are answered at
the next capture point, about the run's current weights, without disturbing training."""

from __future__ import annotations

import numpy as np

from cnnstudio.core.project import Project
from cnnstudio.train.callbacks import AttributionMap, RunInfo
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.trainer import Trainer


class Asker:
    """Asks on start, as the editor does after a click, and keeps the answers."""

    def __init__(self, requests: list[dict[str, object]]) -> None:
        self.requests = requests
        self.trainer: Trainer | None = None
        self.answers: list[AttributionMap] = []

    def on_start(self, info: RunInfo) -> None:
        assert self.trainer is not None
        for request in self.requests:
            self.trainer.request_attribution(request)

    def on_attribution(self, attribution: AttributionMap) -> None:
        self.answers.append(attribution)


def test_requests_are_answered_during_the_run(lenet: Project, shapes_600: Dataset) -> None:
    asker = Asker(
        [
            {"request": 1, "sample": 7, "method": "gradcam", "target": None, "node": "conv1"},
            {"request": 2, "sample": 3, "method": "integrated_gradients", "target": 4},
            {"request": 3, "sample": 3, "method": "gradcam", "node": "pool1"},
        ]
    )
    trainer = Trainer(lenet, [asker], dataset=shapes_600, epochs=1)
    asker.trainer = trainer
    assert trainer.run().ok
    first, second, third = asker.answers
    assert (first.request, first.sample, first.method, first.node) == (1, 7, "gradcam", "conv1")
    assert first.heat.shape == (28, 28)
    assert first.target == int(np.argmax(first.probabilities))  # default: the predicted class
    assert (second.request, second.target, second.node, second.error) == (2, 4, None, "")
    assert second.heat.max() == 1.0
    assert third.error == "Grad-CAM needs a convolution node; pool1 is not one"
    assert third.heat.size == 0
