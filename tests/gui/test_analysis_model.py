"""AnalysisModel: always current on access, one ``updated`` per burst of edits."""

from __future__ import annotations

from cnnstudio.core.graph import Edge, Node
from cnnstudio.gui.analysis_model import AnalysisModel


def test_access_is_current_and_bursts_coalesce(qtbot, graph_from_example):
    g = graph_from_example("lenet5")
    model = AnalysisModel(g)
    assert model.analysis.nodes["conv1"].output_shape == (6, 28, 28)
    updates = []
    model.updated.connect(lambda: updates.append(model.analysis.valid))
    g.set_params("conv1", {"out_channels": 8})
    g.set_params("conv1", {"out_channels": 12})
    assert model.pending
    assert model.analysis.nodes["conv1"].output_shape == (12, 28, 28)  # before the event loop
    qtbot.waitUntil(lambda: len(updates) == 1)
    qtbot.wait(20)
    assert updates == [True]


def test_errors_and_unknown_downstream(qtbot, graph_from_example):
    g = graph_from_example("lenet5")
    model = AnalysisModel(g)
    with qtbot.waitSignal(model.updated):
        g.set_params("conv2", {"kernel_size": 50})
    nodes = model.analysis.nodes
    assert nodes["conv2"].status == "error"
    assert "conv2 (Conv2d)" in nodes["conv2"].message
    assert nodes["relu2"].status == "unknown"


def test_detach_stops_following(qtbot, graph_from_example):
    g = graph_from_example("lenet5")
    model = AnalysisModel(g)
    model.detach()
    g.add_node(Node("extra", "ReLU"))
    g.connect(Edge("fc3", "extra"))
    assert "extra" not in model.analysis.nodes
