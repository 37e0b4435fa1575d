"""Everything a run needs before its first batch: settings, data, model, optimizer, run folder.

A fresh run and a resumed one differ only here; the loop in ``trainer.py`` sees the same Session.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

import torch
import torch.fx as fx
from torch import nn

from cnnstudio.core.analysis import analyze, class_mismatch
from cnnstudio.core.project import Project, graph_structure, graph_to_dict
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.capture import FeatureProbe
from cnnstudio.train.checkpoint import CheckpointError, load_checkpoint, load_weights_into
from cnnstudio.train.config import (
    RESUMABLE_OVERRIDES,
    ConfigError,
    TrainingConfig,
    training_config,
)
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.data.download import CancelCheck, ProgressCallback
from cnnstudio.train.data.normalize import Normalization
from cnnstudio.train.data.section import dataset_name
from cnnstudio.train.device import Runtime, resolve_runtime
from cnnstudio.train.distributed import Group, join, sync_batchnorm, torchrun_group, wrap
from cnnstudio.train.faults import TrainingError
from cnnstudio.train.loop_core import batches_per_epoch
from cnnstudio.train.loss import LossFn, cross_entropy, output_kind
from cnnstudio.train.optim import LrSchedule, build_optimizer
from cnnstudio.train.runs import CONFIG, LAST, RunFolder, new_run_dir


@dataclasses.dataclass
class Position:
    """Where the run is: what a checkpoint must hold to carry on exactly where it stopped."""

    epochs_done: int = 0
    batch: int = 0  # batches done in epoch ``epochs_done + 1`` (a stop mid-epoch)
    step: int = 0  # optimizer steps in the whole run
    epoch_generator: torch.Tensor | None = None  # data generator state at that epoch's start
    partial: dict[str, float | int] | None = None  # RunningMetrics state of a partial epoch
    partial_seconds: float = 0.0
    partial_train_seconds: float = 0.0
    best_epoch: int | None = None
    best_val_accuracy: float | None = None
    early_best: float | None = None
    early_bad_epochs: int = 0

    def state(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Position:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in state.items() if k in names})


@dataclasses.dataclass
class Session:
    project: Project
    config: TrainingConfig
    runtime: Runtime
    dataset: Dataset
    normalization: Normalization
    model: fx.GraphModule
    output_kind: str
    loss_fn: LossFn
    optimizer: torch.optim.Optimizer
    schedule: LrSchedule
    scaler: torch.amp.GradScaler | None
    folder: RunFolder
    probe: FeatureProbe
    generator: torch.Generator
    batches_per_epoch: int
    drop_last: bool
    position: Position
    history: list[dict[str, Any]]
    snapshot: dict[str, Any]
    rng_state: dict[str, Any] | None = None  # global RNG states to restore when resuming
    group: Group = dataclasses.field(default_factory=Group)  # the torchrun job, if any
    train_model: nn.Module | None = None  # what training steps call: DDP around ``model``

    @property
    def stepper(self) -> nn.Module:
        return self.model if self.train_model is None else self.train_model

    @property
    def eval_batch_size(self) -> int:
        return max(self.config.batch_size, 256)


@dataclasses.dataclass
class _Resumed:
    """What a run folder holds for resuming."""

    folder: RunFolder
    snapshot: dict[str, Any]
    weights: dict[str, torch.Tensor]
    state: dict[str, Any]


def open_session(
    project: Project,
    overrides: dict[str, Any],
    run_base: Path | None,
    resume_from: Path | None,
    dataset: Dataset | None,
    download_progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Session:
    """Validate, load and build everything; raises ConfigError, DatasetError or TrainingError."""
    resumed = _read_run(resume_from, project) if resume_from is not None else None
    if resumed is not None:
        config = _resumed_config(resumed.snapshot["training"], overrides)
        dataset_section = resumed.snapshot["project"].get("dataset")
    else:
        config = training_config(project.training, **overrides)
        dataset_section = project.dataset
    group = torchrun_group()
    runtime = resolve_runtime(config, group.world)
    runtime = dataclasses.replace(runtime, device=join(group, runtime.device))
    analysis = analyze(project.graph)
    if not analysis.valid:
        raise TrainingError(
            "graph", "cannot train: " + "; ".join(i.message for i in analysis.errors)
        )
    assert analysis.input_shape is not None
    assert analysis.output_id is not None
    input_shape = tuple(analysis.input_shape)
    if dataset is None:
        dataset = dataset_from_config(
            dataset_section,
            input_shape,
            base_dir=project.base_dir,
            progress=download_progress,
            cancel=cancel,
        )
    _check_fit(dataset, input_shape)
    misfit = class_mismatch(
        project.graph, analysis, dataset.num_classes, dataset_name(dataset_section)
    )
    if misfit is not None:
        raise TrainingError("graph", misfit.message)
    kind = output_kind(project.graph, analysis.output_id)
    model = compile_graph(project.graph, seed=config.seed, name=project.name, analysis=analysis)
    model = sync_batchnorm(model, group, runtime.device)
    model.to(runtime.device)
    optimizer = build_optimizer(config, model.parameters())
    n_train = len(dataset.train)
    size = config.batch_size
    steps = batches_per_epoch(n_train, size, group.world)
    drop_last = steps * size < n_train
    if steps == 0:
        raise TrainingError(
            "data",
            f"{n_train} training samples cannot give each of the {group.world} processes a "
            f"sample of a batch; use fewer processes",
        )
    scaler = torch.amp.GradScaler(runtime.device.type) if runtime.precision.grad_scaler else None
    session = Session(
        project=project,
        config=config,
        runtime=runtime,
        dataset=dataset,
        normalization=dataset.normalization,
        model=model,
        output_kind=kind,
        loss_fn=cross_entropy(kind, config.label_smoothing),
        optimizer=optimizer,
        schedule=LrSchedule(config, steps),
        scaler=scaler,
        folder=resumed.folder if resumed else RunFolder(Path()),
        probe=FeatureProbe(model, kind),
        generator=torch.Generator().manual_seed(config.seed),
        batches_per_epoch=steps,
        drop_last=drop_last,
        position=Position(),
        history=[],
        snapshot={},
        group=group,
        train_model=wrap(model, group, runtime.device),
    )
    if resumed is not None:
        _restore(session, resumed)
    elif group.main:
        base = run_base or project.base_dir / "runs"
        session.folder = RunFolder(new_run_dir(base, project.name))
    if resumed is None:
        session.snapshot = _snapshot(project, config, runtime, dataset, group)
    if group.main:
        session.folder.write_config(session.snapshot)
    return session


def _restore(s: Session, resumed: _Resumed) -> None:
    """Put a run folder's checkpoint into a freshly built session."""
    folder, state = resumed.folder, resumed.state
    trained_on = resumed.snapshot.get("data", {}).get("num_train")
    if trained_on != len(s.dataset.train):
        raise CheckpointError(
            f"{folder.path}: the dataset changed since this run started ({trained_on} training "
            f"samples then, {len(s.dataset.train)} now); start a new run instead"
        )
    load_weights_into(s.model, resumed.weights, str(folder.weights(LAST)))
    try:
        s.optimizer.load_state_dict(state["optimizer"])
        if s.scaler is not None and state.get("scaler"):
            s.scaler.load_state_dict(state["scaler"])
        s.position = Position.from_state(state["position"])
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{folder.state(LAST)}: damaged training state ({exc})") from None
    s.rng_state = state.get("rng")
    done = s.position.epochs_done
    if s.group.main:
        s.history = folder.truncate_metrics(done)
    else:
        s.history = [r for r in folder.read_metrics() if int(r.get("epoch", 0)) <= done]
    s.snapshot = {**resumed.snapshot, "training": s.config.to_dict()}


def _check_fit(dataset: Dataset, input_shape: tuple[int, ...]) -> None:
    if len(dataset.train) == 0:
        raise TrainingError("data", "the dataset has no training samples")
    if len(dataset.val) == 0:
        raise TrainingError(
            "data", "the dataset has no validation samples; give it a validation split"
        )
    if tuple(dataset.sample_shape) != input_shape:
        raise TrainingError(
            "data",
            f"the dataset's images are {_fmt(dataset.sample_shape)} but the Input expects "
            f"{_fmt(input_shape)}",
        )


def _fmt(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _read_run(path: Path, project: Project) -> _Resumed:
    folder = RunFolder(path)
    if not folder.file(CONFIG).is_file():
        raise CheckpointError(f"{path}: not a run folder (no {CONFIG})")
    if not folder.state(LAST).is_file():
        raise CheckpointError(f"{path}: the run has no checkpoint to resume from yet")
    try:
        snapshot = folder.read_config()
        trained = graph_structure(snapshot["project"]["graph"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{folder.file(CONFIG)}: cannot read ({exc})") from None
    if trained != graph_structure(graph_to_dict(project.graph)):
        raise CheckpointError(
            f"{path}: the project's network changed since this run started; "
            "resuming needs the same network (start a new run instead)"
        )
    weights, state = load_checkpoint(folder.weights(LAST), folder.state(LAST))
    return _Resumed(folder, snapshot, weights, state)


def _resumed_config(saved: dict[str, Any], overrides: dict[str, Any]) -> TrainingConfig:
    base = training_config(saved)
    for key, value in overrides.items():
        if value is None or key in RESUMABLE_OVERRIDES:
            continue
        if getattr(base, key, value) != value:
            raise ConfigError(
                f"training.{key}",
                f"cannot be changed when resuming a run (it was {getattr(base, key)!r})",
            )
    return training_config(saved, **overrides)


def _snapshot(
    project: Project, config: TrainingConfig, runtime: Runtime, dataset: Dataset, group: Group
) -> dict[str, Any]:
    norm = dataset.normalization
    return {
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "project": project.to_dict(),
        "project_file": str(project.path) if project.path else None,
        "training": config.to_dict(),
        "runtime": {
            "device": str(runtime.device),
            "precision": runtime.precision.name,
            "threads": runtime.threads,
            "processes": group.world,
            "torch": torch.__version__,
        },
        "data": {
            "source": dataset.source,
            "class_names": list(dataset.class_names),
            "num_train": len(dataset.train),
            "num_val": len(dataset.val),
            "sample_shape": list(dataset.sample_shape),
            "normalization": {"mean": list(norm.mean), "std": list(norm.std)},
        },
    }
