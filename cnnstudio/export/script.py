"""The ``script`` format: one ``train.py`` that trains the network with or without torchrun.

The file holds the model class, the project's training and dataset settings as editable dicts,
and copies of cnnstudio's own training code (see ``embed.py``): the built-in shapes generator,
the split, the optimizer, the learning-rate schedule, the loss, the augmentation and the DDP
loop of ``ddp_train.py``. For the built-in shapes it needs nothing but torch and numpy; other
datasets (MNIST, CIFAR, image folders, .npz) are read with ``cnnstudio.train.data``, imported
only then, so the script says clearly when cnnstudio is missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch.fx as fx

from cnnstudio import __version__
from cnnstudio.core.analysis import Analysis
from cnnstudio.core.project import Project
from cnnstudio.export import ddp_train
from cnnstudio.export.codegen import dict_block, docstring_text, literal
from cnnstudio.export.embed import Embedder
from cnnstudio.export.errors import ExportError
from cnnstudio.export.python_code import model_code
from cnnstudio.train import config as training_settings
from cnnstudio.train import loop_core, loss, optim
from cnnstudio.train.config import training_config
from cnnstudio.train.data import augment, shapes, split
from cnnstudio.train.data.config import validate_dataset_config
from cnnstudio.train.data.errors import DatasetError
from cnnstudio.train.loss import output_kind

SHAPES = ("shapes", "shapes-rgb")
_CONSTANTS = ("INPUT_SHAPE", "TRAINING", "DATASET", "OUTPUT_KIND")

USAGE = """\
One process (the CPU, or one GPU):

    python {script} --epochs 10 --out run

Several processes on one machine (DistributedDataParallel: gloo between CPU processes, nccl
between GPUs; --batch-size is the global batch, split across the processes):

    torchrun --standalone --nproc_per_node=4 {script} --out run

Several machines, e.g. 2 nodes with 4 GPUs each: start the same command on every node, with
HEAD the host name of one of them:

    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d --rdzv-endpoint=HEAD:29500 --rdzv-id=job42 {script} --out run

Under SLURM, one task per node that starts torchrun (put this in an sbatch file):

    #SBATCH --nodes=2
    #SBATCH --ntasks-per-node=1
    #SBATCH --gpus-per-node=4
    head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
    srun torchrun --nnodes="$SLURM_NNODES" --nproc_per_node=4 --rdzv-backend=c10d --rdzv-endpoint="$head:29500" --rdzv-id="$SLURM_JOB_ID" {script} --out run

Rank 0 writes OUT/model.safetensors (the weights after the last epoch; they load into the class
below and into cnnstudio), OUT/checkpoint.pt (continue with --resume) and OUT/metrics.jsonl
(one line per epoch). python {script} --help lists every option.
"""


def training_script(
    project: Project, model: fx.GraphModule, analysis: Analysis, script_name: str
) -> str:
    """The complete ``train.py`` source for ``project`` (compiled as ``model``)."""
    assert analysis.input_shape is not None
    assert analysis.output_id is not None
    try:
        training = training_config(project.training).to_dict()
        dataset = script_dataset(project, tuple(analysis.input_shape), analysis.output_shape)
    except DatasetError as exc:
        raise ExportError(str(exc)) from None
    embedder = Embedder()
    embedder.add(
        training_settings,
        ["TrainingConfig", "EarlyStopping"],
        "training settings (cnnstudio.train.config)",
    )
    embedder.add(
        optim, ["build_optimizer", "LrSchedule"], "optimizer and schedule (cnnstudio.train.optim)"
    )
    embedder.add(loss, ["cross_entropy"], "loss (cnnstudio.train.loss)")
    embedder.add(
        shapes,
        ["generate_shapes", "SHAPE_CLASSES"],
        "built-in shapes dataset (cnnstudio.train.data.shapes)",
    )
    embedder.add(split, ["split_indices"], "train/validation split (cnnstudio.train.data.split)")
    embedder.add(
        augment, ["AugmentOptions", "augment_batch"], "augmentation (cnnstudio.train.data.augment)"
    )
    embedder.add(
        loop_core,
        [
            "to_float",
            "channel_stats",
            "early_stop",
            "batches_per_epoch",
            "process_share",
            "loss_weight",
            "leave",
        ],
        "rules shared with cnnstudio's trainer (cnnstudio.train.loop_core)",
    )
    embedder.add(
        ddp_train,
        ["main"],
        "training loop, one process or DDP (cnnstudio.export.ddp_train)",
    )
    for statement in (
        "from pathlib import Path",
        "import torch",
        "from torch import nn",
    ):
        embedder.require(statement)
    clash = embedder.defined & set(_CONSTANTS)
    assert not clash, f"embedded code defines {sorted(clash)}"
    code = model_code(model, analysis, project.name, taken=embedder.defined | set(_CONSTANTS))
    kind = output_kind(project.graph, analysis.output_id)
    if dataset["source"] in SHAPES:
        needs = "It needs only torch and numpy: the built-in shapes dataset is generated here."
    else:
        needs = (
            f"It reads the {docstring_text(dataset['source'])} dataset with cnnstudio's loaders, "
            "so it needs cnnstudio installed (pip install cnnstudio)."
        )
    doc = (
        f'"""Train the {docstring_text(project.name)} network: a standalone script exported by '
        f"cnnstudio {__version__}.\n\n{needs}\n\n"
        + USAGE.format(script=_command_word(script_name))
        + '"""'
    )
    settings = "\n".join(
        [
            code.input_shape_source,
            f"OUTPUT_KIND = {literal(kind)}  # what the last block gives the loss",
            "# The project's training settings; command-line options override some of them.",
            f"TRAINING = {dict_block(training)}",
            f"DATASET = {dict_block(dataset)}",
        ]
    )
    main_call = (
        'if __name__ == "__main__":\n'
        f"    weights = Path(__file__).with_suffix({literal('.safetensors')})\n"
        f"    leave(main({code.class_name}, INPUT_SHAPE, TRAINING, DATASET, OUTPUT_KIND, weights))\n"
    )
    parts = [
        doc,
        "from __future__ import annotations",
        embedder.imports(),
        settings,
        "# ---- the network " + "-" * 82,
        code.class_source.rstrip("\n"),
        embedder.code(),
        main_call.rstrip("\n"),
    ]
    source = "\n\n".join(parts[:3]) + "\n\n\n" + "\n\n\n".join(parts[3:]) + "\n"
    compile(source, script_name, "exec")  # a generator bug must never write a broken script
    return source


def _command_word(file_name: str) -> str:
    """The file name as typed in a shell: bare when plain, else quoted and escaped."""
    return (
        file_name if re.fullmatch(r"[\w.+-]+", file_name, re.ASCII) else docstring_text(file_name)
    )


def script_dataset(
    project: Project, input_shape: tuple[int, ...], output_shape: tuple[int, ...] | None
) -> dict[str, Any]:
    """The project's dataset section, checked and complete (defaults filled, paths absolute).

    A project without one trains on the built-in shapes at the Input's size, as in the app.
    """
    section = project.dataset
    if section is None:
        section = {"source": "shapes" if input_shape[:1] == (1,) else "shapes-rgb"}
    settings = validate_dataset_config(section)
    source = settings["source"]
    if source in SHAPES:
        _check_shapes_fit(settings, input_shape, output_shape, project.dataset is None)
    path = settings.get("path")
    if path is not None:
        resolved = Path(path).expanduser()
        settings["path"] = str(
            resolved if resolved.is_absolute() else (project.base_dir / resolved).resolve()
        )
    return settings


def _check_shapes_fit(
    settings: dict[str, Any],
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...] | None,
    default: bool,
) -> None:
    """The checks ``dataset_from_config`` makes at training time, made at export time instead."""
    source = settings["source"]
    what = (
        "the built-in shapes dataset (the project sets no dataset)"
        if default
        else f"dataset {source!r}"
    )
    if len(input_shape) != 3:
        raise ExportError(
            f"{what} needs an image Input [1 or 3, height, width], got {list(input_shape)}"
        )
    channels = 1 if source == "shapes" else 3
    height, width = settings.get("image_size") or input_shape[1:]
    if min(height, width) < shapes.MIN_SIZE:
        raise ExportError(
            f"{what} needs images of at least {shapes.MIN_SIZE}x{shapes.MIN_SIZE}, got {height}x{width}"
        )
    if input_shape != (channels, height, width):
        raise ExportError(
            f"{what} gives {channels}x{height}x{width} images, but the Input takes "
            f"{list(input_shape)}; set a dataset that fits the network"
        )
    classes = len(shapes.SHAPE_CLASSES)
    if output_shape != (classes,):
        raise ExportError(
            f"{what} has {classes} classes, but the network ends in "
            f"{list(output_shape or ())} values; end it with {classes} values, e.g. a Linear "
            f"layer with out_features={classes}"
        )
