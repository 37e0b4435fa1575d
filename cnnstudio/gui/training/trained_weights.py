"""Which trained weights belong to the document, and putting them beside the project on save.

After a run, the weights ``training.keep_weights`` names (its best epoch's ``best.safetensors``
by default, else ``last.safetensors``: what ``cnnstudio train --attach`` keeps too) become the
document's. They are copied beside the project file with the trainer's ``attach_weights`` when
the project is saved, and recorded in the project's ``weights`` section with the run they came
from; "Continue" resumes that run from its last checkpoint whichever weights were kept.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import Project, graph_structure, graph_to_dict
from cnnstudio.train.callbacks import TrainingResult
from cnnstudio.train.runs import LAST, RunFolder

ADOPTED = ("completed", "early_stopped", "stopped")


@dataclasses.dataclass(frozen=True)
class TrainedWeights:
    file: Path
    run_dir: Path | None  # None: weights not from a run (an imported module's)
    epoch: int
    val_accuracy: float | None


class TrainedWeightsKeeper:
    """The document's trained weights not yet saved beside it (``pending``)."""

    def __init__(self) -> None:
        self.pending: TrainedWeights | None = None

    def reset(self) -> None:
        self.pending = None

    def adopt(self, result: TrainingResult, keep: str = "best") -> TrainedWeights | None:
        """Keep the weights ``keep`` names of a run (``training.keep_weights``: its best
        epoch's or its last); None (and nothing changes) if it has none."""
        kept = result.kept_weights(keep) if result.status in ADOPTED else None
        if kept is None:
            return None
        self.pending = TrainedWeights(kept.file, kept.run_dir, kept.epoch, kept.val_accuracy)
        return self.pending

    def attach(self, project: Project, target: Path) -> None:
        """Before ``project`` is saved to ``target``: copy its weights beside ``target``.

        Also re-copies already attached weights when the project is saved somewhere new.
        Raises CheckpointError or OSError (the save reports it).
        """
        from cnnstudio.train.weights import attach_weights  # torch: only when weights are saved

        staged = dataclasses.replace(project, path=Path(target))
        if self.pending is not None:
            p = self.pending
            project.weights = attach_weights(staged, p.file, p.run_dir, p.epoch, p.val_accuracy)
            self.pending = None
            return
        section = project.weights
        if not section or project.path is None or not isinstance(section.get("file"), str):
            return
        if Path(target).resolve() == project.path.resolve():
            return
        source = project.base_dir / section["file"]
        if not source.is_file():
            return
        run = section.get("run")
        project.weights = attach_weights(
            staged,
            source,
            project.base_dir / run if isinstance(run, str) else None,
            section.get("epoch"),
            section.get("val_accuracy"),
        )

    def weights_file(self, project: Project) -> Path | None:
        """The weights the document's network has now, if any."""
        if self.pending is not None:
            return self.pending.file
        section = project.weights or {}
        file = section.get("file")
        if isinstance(file, str) and (project.base_dir / file).is_file():
            return project.base_dir / file
        return None

    def run_to_continue(self, project: Project) -> Path | None:
        """The run folder "Continue" can resume: it must hold a checkpoint of this network."""
        if self.pending is not None:
            run: Path | None = self.pending.run_dir
        else:
            recorded = (project.weights or {}).get("run")
            run = project.base_dir / recorded if isinstance(recorded, str) else None
        if run is None or not RunFolder(run).state(LAST).is_file():
            return None
        return run if trained_network_matches(run, project.graph) else None


def trained_network_matches(run: Path, graph: GraphModel) -> bool:
    """Whether the run trained this very network (positions aside)."""
    try:
        trained = RunFolder(run).read_config()["project"]["graph"]
        return bool(graph_structure(trained) == graph_structure(graph_to_dict(graph)))
    except (OSError, ValueError, KeyError, TypeError):
        return False
