"""AnalysisModel: always current on access, one ``updated`` per burst of edits."""

from __future__ import annotations

from cnnstudio.core.analysis import Issue
from cnnstudio.core.graph import Edge, Node
from cnnstudio.gui.analysis_model import RUN_FINDINGS, AnalysisModel


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


def test_a_finding_gives_way_to_the_source_it_defers_to(qtbot, graph_from_example):
    """The live preview's dead-activation warning on a ReLU is left out while the run's own
    warning names that ReLU, and listed again once the run's warnings go."""
    model = AnalysisModel(graph_from_example("lenet5"))
    run = [Issue("relu1", "relu1 (ReLU): dead on the validation set", "warning")]
    preview = [
        Issue("relu1", "relu1 (ReLU): dead activations on sample 0", "warning"),
        Issue("relu2", "relu2 (ReLU): dead activations on sample 0", "warning"),
    ]
    model.set_findings("preview", preview, defer_to=(RUN_FINDINGS,))
    model.set_findings(RUN_FINDINGS, run)
    messages = [i.message for i in model.analysis.issues]
    assert messages == [preview[1].message, run[0].message]
    model.set_findings(RUN_FINDINGS, [])
    assert [i.message for i in model.analysis.issues] == [i.message for i in preview]
