"""Feature capture when no run is going: the trained weights, one sample, one forward pass.

While a run goes, the trainer captures features itself (``request_capture``). Afterwards, picking
another sample or layer must still update the views, so the network is compiled once here with
the document's trained weights and probed the same way the trainer does.
"""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import GraphModel
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import Features
from cnnstudio.train.capture import CaptureSettings, FeatureProbe, features
from cnnstudio.train.checkpoint import load_weights_into, read_weights
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.data.normalize import to_float
from cnnstudio.train.loss import output_kind


class OfflineProbe:
    """Raises CheckpointError (weights missing or no longer fitting the network) or
    CompileError when built; ``capture`` then never fails for a valid sample index."""

    def __init__(self, graph: GraphModel, weights: Path, dataset: Dataset, epoch: int) -> None:
        analysis = analyze(graph)
        model = compile_graph(graph, analysis=analysis)
        load_weights_into(model, read_weights(weights), str(weights))
        assert analysis.output_id is not None
        self.probe = FeatureProbe(model, output_kind(graph, analysis.output_id))
        self.dataset = dataset
        self.weights = weights
        self.epoch = epoch

    def capture(self, settings: CaptureSettings) -> Features:
        val = self.dataset.val
        index = min(max(settings.sample, 0), len(val) - 1)
        image = to_float(val.x[index].unsqueeze(0))
        sample = self.dataset.normalization.apply(image)[0]
        label = int(val.y[index])
        return features(self.probe, settings, sample, label, index, self.epoch, 0, 0)
