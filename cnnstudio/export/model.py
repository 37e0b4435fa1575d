"""The model every format starts from: compiled, with the project's trained or seeded weights."""

from __future__ import annotations

import dataclasses

import torch.fx as fx

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.project import Project
from cnnstudio.export.errors import ExportError, StaleWeightsError
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.checkpoint import WeightsMismatch
from cnnstudio.train.config import training_config
from cnnstudio.train.weights import load_project_weights


@dataclasses.dataclass(frozen=True)
class ExportModel:
    """A compiled model in eval mode; ``weights`` says in words where its weights came from."""

    model: fx.GraphModule
    analysis: Analysis
    weights: str
    trained: bool


def export_model(project: Project, fresh_weights: bool = False) -> ExportModel:
    """Compile ``project``; load its trained weights unless there are none or ``fresh_weights``.

    Fresh weights are drawn from the project's ``training.seed`` (0 by default), so exporting
    the same project twice gives the same weights in every format.
    """
    analysis = analyze(project.graph)
    if not analysis.valid:
        raise ExportError(
            "the network has errors: " + "; ".join(i.message for i in analysis.errors),
            invalid_graph=True,
        )
    seed = training_config(project.training).seed
    model = compile_graph(project.graph, seed=seed, name=project.name, analysis=analysis)
    if project.weights and not fresh_weights:
        try:
            load_project_weights(project, model)
        except WeightsMismatch as exc:
            raise StaleWeightsError(f"the trained weights are stale: {exc}") from None
        section = project.weights
        details = [f"{key} {section[key]}" for key in ("run", "epoch") if key in section]
        where = f" ({', '.join(details)})" if details else f" ({section.get('file')})"
        description, trained = "trained" + where, True
    else:
        description, trained = f"freshly initialised (seed {seed})", False
    return ExportModel(model.eval(), analysis, description, trained)
