"""For random valid graphs, the compiled model produces exactly the shapes the analysis promised."""

from __future__ import annotations

import torch
from block_oracle import EVEN_SAME_PADDING_HINT
from hypothesis import HealthCheck, given, settings
from strategies import graphs

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import GraphModel
from cnnstudio.torch_backend.compiler import compile_graph, feature_extractor

BATCH = 2


@EVEN_SAME_PADDING_HINT
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_compiled_shapes_match_analysis(graph: GraphModel) -> None:
    analysis = analyze(graph)
    assert analysis.valid, [i.message for i in analysis.errors]
    assert analysis.input_shape is not None
    assert analysis.output_shape is not None
    model = compile_graph(graph, analysis=analysis)
    assert sum(p.numel() for p in model.parameters()) == analysis.total_params
    x = torch.randn(BATCH, *analysis.input_shape)
    with torch.no_grad():
        assert model(x).shape == (BATCH, *analysis.output_shape)
        features = feature_extractor(model)(x)
    assert set(features) == set(analysis.model_order())
    for node_id, value in features.items():
        shape = analysis.nodes[node_id].output_shape
        assert shape is not None
        assert value.shape == (BATCH, *shape), node_id
