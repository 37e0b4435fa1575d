"""The training loop of an exported ``train.py``: one process, or many under torchrun (DDP).

The script does not import this module: the exporter copies its source, with what it uses from
``cnnstudio.train`` (shapes generator, split, optimizer, schedule, loss, augmentation, and the
input scaling, normalisation statistics, early stopping, batch shares and torchrun exit of
``loop_core``), into the script, which then needs only torch and numpy for the built-in shapes
dataset.

Every optimizer step averages the gradient over one *global* batch of ``--batch-size`` samples,
drawn by a shuffle that is the same on every process and split across them; each process
scales its loss by its share of the batch, so DistributedDataParallel's gradient average is the
exact mean over the global batch. N processes therefore take the same steps as one process
with the same global batch (up to float rounding), and the schedule and results do not depend
on how many GPUs ran them. A last batch too small to give every process a sample (or a lone
sample, which BatchNorm rejects) is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from cnnstudio.train.config import EarlyStopping, TrainingConfig
from cnnstudio.train.data.augment import AugmentOptions, augment_batch
from cnnstudio.train.data.shapes import SHAPE_CLASSES, generate_shapes
from cnnstudio.train.data.split import split_indices
from cnnstudio.train.loop_core import (
    batches_per_epoch,
    channel_stats,
    early_stop,
    loss_weight,
    process_share,
    to_float,
)
from cnnstudio.train.loss import cross_entropy
from cnnstudio.train.optim import LrSchedule, build_optimizer

BUILT_IN_SOURCES = ("shapes", "shapes-rgb")
WEIGHTS_FILE, CHECKPOINT_FILE, METRICS_FILE = "model.safetensors", "checkpoint.pt", "metrics.jsonl"
EVAL_BATCH = 256
SAFETENSORS_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class UsageError(Exception):
    """Something the user can fix (an option, the data); shown as one line, exit code 2."""


class Diverged(Exception):
    """The loss stopped being a number; shown as one line, exit code 1."""


@dataclasses.dataclass
class Env:
    """This process's place in the job: rank, number of processes, device."""

    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    def log(self, message: str) -> None:
        if self.main:
            print(message, flush=True)


@dataclasses.dataclass
class Data:
    """Images (uint8/float tensors, or decoded on demand) with int64 labels, train and val."""

    x_train: Any
    y_train: torch.Tensor
    x_val: Any
    y_val: torch.Tensor
    class_names: tuple[str, ...]
    augment: AugmentOptions | None
    description: str


def main(
    model_class: type[nn.Module],
    input_shape: tuple[int, ...],
    training: dict[str, Any],
    dataset: dict[str, Any],
    output_kind: str,
    init_weights: Path,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse options, train, save; returns the process exit code (2: bad usage, 1: diverged)."""
    es = training.get("early_stopping")
    config = TrainingConfig(**{**training, "early_stopping": EarlyStopping(**es) if es else None})
    args = parse_args(config, argv)
    env: Env | None = None
    try:
        env = setup(args.device)
        if config.threads != "auto":
            torch.set_num_threads(int(config.threads))
        config = dataclasses.replace(
            config, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed
        )
        data = load_data(dataset, input_shape, args, env)
        train(model_class, input_shape, output_kind, config, data, args, env, init_weights)
        if env.world > 1:
            dist.barrier()  # leave together: rank 0 has written every file
        return 0
    except (UsageError, Diverged) as exc:
        if env is None or env.main:
            print(f"{Path(sys.argv[0]).name}: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def parse_args(config: TrainingConfig, argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Train the exported network. Run it with python for one process, or with "
        "torchrun --nproc_per_node=N for N processes (DistributedDataParallel).",
    )
    p.add_argument("--epochs", type=_positive(int), default=config.epochs)
    p.add_argument(
        "--batch-size",
        type=_positive(int),
        default=config.batch_size,
        help="global batch size, split across all processes (default: %(default)s)",
    )
    p.add_argument("--lr", type=_positive(float), default=config.lr, help="peak learning rate")
    p.add_argument("--seed", type=int, default=config.seed)
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default=config.device)
    p.add_argument("--amp", choices=("auto", "off", "bf16", "fp16"), default=config.amp)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("run"),
        help="folder for model.safetensors, checkpoint.pt and metrics.jsonl (rank 0 writes)",
    )
    p.add_argument(
        "--init",
        help="safetensors weights to start from (default: the file exported beside this "
        "script, if present); 'none' starts from seeded random weights",
    )
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument(
        "--num-samples", type=_positive(int), help="images to generate (built-in shapes only)"
    )
    p.add_argument("--data-path", help="where the dataset lives (overrides the exported path)")
    return p.parse_args(argv)


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        value = kind(text)
        if not value > 0 or (kind is float and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def setup(device_name: str) -> Env:
    """Join the torchrun job if there is one: nccl between GPUs, gloo between CPU processes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    if device_name == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device cuda: no CUDA GPU is visible to this process")
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    elif device_name == "mps":
        if world > 1:
            raise UsageError("--device mps runs in one process; use cpu or cuda under torchrun")
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Env(rank, world, device)


def load_data(
    dataset: dict[str, Any], input_shape: tuple[int, ...], args: argparse.Namespace, env: Env
) -> Data:
    source = dataset["source"]
    if source in BUILT_IN_SOURCES:
        return shapes_data(dataset, input_shape, args.num_samples)
    if args.num_samples is not None:
        raise UsageError(f"--num-samples applies to the built-in shapes, not to {source!r}")
    settings = dict(dataset, path=args.data_path) if args.data_path else dataset
    return rank0_first(env, lambda: cnnstudio_data(settings, input_shape))


def shapes_data(
    dataset: dict[str, Any], input_shape: tuple[int, ...], num_samples: int | None
) -> Data:
    """The built-in figures, generated and split exactly as cnnstudio does (same seed, same split)."""
    channels = 1 if dataset["source"] == "shapes" else 3
    height, width = dataset.get("image_size") or input_shape[1:]
    n = num_samples or dataset["num_samples"]
    if n < len(SHAPE_CLASSES):
        raise UsageError(f"--num-samples must be at least {len(SHAPE_CLASSES)} (one per class)")
    x, y = generate_shapes(n, height, width, channels, dataset["seed"])
    train, val = split_indices(y, dataset["val_fraction"], dataset["seed"])
    return Data(
        torch.from_numpy(x[train]),
        torch.from_numpy(y[train]),
        torch.from_numpy(x[val]),
        torch.from_numpy(y[val]),
        SHAPE_CLASSES,
        AugmentOptions(**dataset["augment"]),
        f"{dataset['source']}: {n} generated {channels}x{height}x{width} images "
        f"(seed {dataset['seed']}), {len(train)} train / {len(val)} val",
    )


def cnnstudio_data(dataset: dict[str, Any], input_shape: tuple[int, ...]) -> Data:
    """Datasets other than the built-in shapes are read with cnnstudio's own loaders."""
    try:
        from cnnstudio.train.data import DatasetError, dataset_from_config
    except ImportError:
        raise UsageError(
            f"the {dataset['source']!r} dataset is read with cnnstudio's loaders, which this "
            "Python cannot import: pip install cnnstudio (the built-in shapes need only torch "
            "and numpy)"
        ) from None
    try:
        loaded = dataset_from_config(dataset, input_shape)
    except DatasetError as exc:
        raise UsageError(str(exc)) from None
    return Data(
        loaded.train.x,
        loaded.train.y,
        loaded.val.x,
        loaded.val.y,
        tuple(loaded.class_names),
        loaded.augment,
        loaded.source,
    )


def rank0_first(env: Env, load: Callable[[], Data]) -> Data:
    """Rank 0 loads (and may download) before the others read the same files."""
    if env.world == 1:
        return load()
    failed = torch.zeros(1, device=env.device)  # nccl only carries GPU tensors
    if env.main:
        try:
            result = load()
        except UsageError:
            failed += 1
            dist.broadcast(failed, src=0)
            raise
    dist.broadcast(failed, src=0)
    if failed.item():
        raise UsageError("rank 0 could not load the dataset (see its error)")
    return result if env.main else load()


def train(
    model_class: type[nn.Module],
    input_shape: tuple[int, ...],
    output_kind: str,
    config: TrainingConfig,
    data: Data,
    args: argparse.Namespace,
    env: Env,
    init_weights: Path,
) -> None:
    n, batch = len(data.y_train), config.batch_size
    if batch < env.world:
        raise UsageError(f"--batch-size {batch} is smaller than the {env.world} processes")
    steps = batches_per_epoch(n, batch, env.world)
    if steps == 0 or len(data.y_val) == 0:
        raise UsageError(
            f"{data.description}: too few samples for a batch of {batch} and a validation split"
        )
    out: Path = args.out
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)  # the same initial weights as cnnstudio's compiled model
        model = model_class()
    check_fit(model, input_shape, data)
    state = read_checkpoint(out) if args.resume else None
    if state is not None:
        start: Path | None = out / WEIGHTS_FILE
    elif args.init:
        start = None if args.init == "none" else Path(args.init)
    else:
        start = init_weights if init_weights.is_file() else None
    if start is not None:
        load_weights(model, start)
    model.to(env.device)
    ddp: nn.Module = model
    if env.world > 1:
        if env.device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # type: ignore[no-untyped-call]
        elif any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
            env.log("note: SyncBatchNorm needs GPUs; on CPU each process keeps its own statistics")
        ddp = DistributedDataParallel(
            model, device_ids=[env.device] if env.device.type == "cuda" else None
        )
    amp_dtype = autocast_dtype(args.amp, env.device)
    optimizer = build_optimizer(config, model.parameters())
    schedule = LrSchedule(config, steps)
    scaler = torch.amp.GradScaler(env.device.type, enabled=amp_dtype == torch.float16)
    loss_fn = cross_entropy(output_kind, config.label_smoothing)
    mean, std = (s.float().to(env.device).view(1, -1, 1, 1) for s in channel_stats(data.x_train))
    shuffle = torch.Generator().manual_seed(config.seed)  # identical on every process
    early: dict[str, Any] = {"best": None, "bad": 0}
    first_epoch, step = 1, 0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        shuffle.set_state(state["shuffle"])
        first_epoch, step, early = state["epoch"] + 1, state["step"], state["early"]
        if env.main:
            keep_metrics(out / METRICS_FILE, state["epoch"])
    torch.manual_seed(config.seed + env.rank)  # dropout: a different mask on every process
    if env.main:
        out.mkdir(parents=True, exist_ok=True)
    per_process = -(-batch // env.world)
    env.log(data.description)
    env.log(f"starting from {start or f'seeded random weights (seed {config.seed})'}")
    env.log(
        f"{model_class.__name__}: {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{env.world} {'process' if env.world == 1 else 'processes'} on {env.device.type}; global batch {batch} "
        f"(<= {per_process} per process), {steps} steps per epoch"
    )
    for epoch in range(first_epoch, config.epochs + 1):
        started = time.perf_counter()
        # Augmentation draws its own numbers per process and epoch; the shuffle stays shared.
        augment = torch.Generator().manual_seed(
            (config.seed * 1_000_003 + epoch) * 65_537 + env.rank
        )
        ddp.train()
        totals = torch.zeros(3, dtype=torch.float64, device=env.device)  # loss sum, correct, seen
        for indices in batches_of(torch.randperm(n, generator=shuffle), batch, steps):
            mine = process_share(indices, env.world, env.rank)
            x = to_float(take(data.x_train, mine).to(env.device, non_blocking=True))
            if data.augment is not None and data.augment.enabled:
                x = augment_batch(x, data.augment, augment)
            x = (x - mean) / std
            y = data.y_train[mine].to(env.device, non_blocking=True)
            schedule.apply(optimizer, step)
            with torch.autocast(env.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                outputs = ddp(x)
                loss = loss_fn(outputs, y)
            optimizer.zero_grad(set_to_none=True)
            # DDP averages gradients over processes; this share makes it the global batch mean.
            share = loss_weight(len(mine), env.world, len(indices))
            torch.autograd.backward(scaler.scale(loss * share))
            scaler.step(optimizer)
            scaler.update()
            step += 1
            totals[0] += loss.detach().double() * len(mine)
            totals[1] += (outputs.detach().argmax(1) == y).sum()
            totals[2] += len(mine)
        train_loss, train_correct, seen = all_sum(totals, env).tolist()
        if not math.isfinite(train_loss):
            raise Diverged(f"the loss became {train_loss} in epoch {epoch}; try a lower --lr")
        train_seconds = elapsed_since(started)
        val_loss, val_accuracy = evaluate(model, data, mean, std, loss_fn, amp_dtype, env)
        row = {
            "epoch": epoch,
            "train_loss": train_loss / seen,
            "train_accuracy": train_correct / seen,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": elapsed_since(started),
            "samples_per_s": seen / max(train_seconds, 1e-9),
        }
        early["best"], early["bad"], stop = early_stop(
            config.early_stopping, early["best"], early["bad"], val_loss, val_accuracy
        )
        if env.main:
            save_checkpoint(out, model, optimizer, scaler, shuffle, epoch, step, early)
            with open(out / METRICS_FILE, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
        env.log(
            f"epoch {epoch}/{config.epochs}  train loss {row['train_loss']:.4f} "
            f"acc {row['train_accuracy']:.1%}  val loss {val_loss:.4f} acc {val_accuracy:.1%}  "
            f"lr {row['lr']:.3g}  {row['seconds']:.1f} s"
        )
        if stop:
            env.log("early stopping: the validation metric stopped improving")
            break
    env.log(f"weights: {out / WEIGHTS_FILE}, metrics: {out / METRICS_FILE}")


def evaluate(
    model: nn.Module,
    data: Data,
    mean: torch.Tensor,
    std: torch.Tensor,
    loss_fn: Any,
    amp_dtype: torch.dtype | None,
    env: Env,
) -> tuple[float, float]:
    """Validation loss and accuracy; each process scores its share, the sums are combined."""
    if env.world > 1:  # CPU BatchNorm statistics drift apart per process; use rank 0's
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)
    mine = process_share(torch.arange(len(data.y_val)), env.world, env.rank)
    sums = torch.zeros(3, dtype=torch.float64, device=env.device)
    model.eval()
    with (
        torch.no_grad(),
        torch.autocast(env.device.type, dtype=amp_dtype, enabled=amp_dtype is not None),
    ):
        for start in range(0, len(mine), EVAL_BATCH):
            index = mine[start : start + EVAL_BATCH]
            x = (to_float(take(data.x_val, index).to(env.device)) - mean) / std
            y = data.y_val[index].to(env.device)
            outputs = model(x)
            sums[0] += loss_fn(outputs, y).double() * len(index)
            sums[1] += (outputs.argmax(1) == y).sum()
            sums[2] += len(index)
    model.train()
    loss, correct, seen = all_sum(sums, env).tolist()
    return loss / seen, correct / seen


def all_sum(values: torch.Tensor, env: Env) -> torch.Tensor:
    if env.world > 1:
        dist.all_reduce(values)
    return values.cpu()


def load_weights(model: nn.Module, path: Path) -> None:
    try:
        model.load_state_dict(read_safetensors(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"{path}: the weights do not fit this network ({first})") from None


def save_checkpoint(
    out: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    shuffle: torch.Generator,
    epoch: int,
    step: int,
    early: dict[str, Any],
) -> None:
    """Weights first, then the state to resume from: the pair always describes one epoch."""
    write_safetensors(out / WEIGHTS_FILE, model.state_dict())
    state = {
        "epoch": epoch,
        "step": step,
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict(),
        "shuffle": shuffle.get_state(),
        "early": early,
    }
    with replacing(out / CHECKPOINT_FILE) as tmp:
        torch.save(state, tmp)


def read_checkpoint(out: Path) -> dict[str, Any]:
    path = out / CHECKPOINT_FILE
    if not path.is_file() or not (out / WEIGHTS_FILE).is_file():
        raise UsageError(
            f"--resume: {out} holds no checkpoint ({CHECKPOINT_FILE} and {WEIGHTS_FILE})"
        )
    try:
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        raise UsageError(f"{path}: not a readable checkpoint ({exc})") from None
    return state


def keep_metrics(path: Path, epochs_done: int) -> None:
    """Drop metric rows after the checkpoint's epoch (written before a crash)."""
    if not path.is_file():
        return
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = [r for r in rows if json.loads(r).get("epoch", 0) <= epochs_done]
    with replacing(path) as tmp:
        tmp.write_text("".join(r + "\n" for r in kept), encoding="utf-8")


def check_fit(model: nn.Module, input_shape: tuple[int, ...], data: Data) -> None:
    sample = tuple(data.x_train[0].shape)
    if sample != tuple(input_shape):
        raise UsageError(
            f"the dataset's images are {list(sample)} but the network takes {list(input_shape)}"
        )
    with torch.no_grad():
        classes = model.eval()(torch.zeros(1, *input_shape)).shape[1:]
    if tuple(classes) != (len(data.class_names),):
        raise UsageError(
            f"the network ends in {list(classes)} values but the dataset has "
            f"{len(data.class_names)} classes"
        )


def autocast_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    """Mixed precision as cnnstudio chooses it: ``auto`` is bf16 (or fp16) on CUDA, off elsewhere."""
    if amp == "off" or (amp == "auto" and device.type != "cuda"):
        return None
    if amp == "auto":
        amp = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if amp == "fp16" and device.type != "cuda":
        raise UsageError("--amp fp16 needs a CUDA device")
    return torch.float16 if amp == "fp16" else torch.bfloat16


def take(x: Any, index: torch.Tensor) -> torch.Tensor:
    """Rows ``index`` of an image tensor, or of images decoded on demand."""
    if isinstance(x, torch.Tensor):
        return x[index]
    return torch.stack([x[int(i)] for i in index])


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors (the format is a JSON header and raw little-endian data)."""
    try:
        raw = path.read_bytes()
        size = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + size])
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable safetensors file ({exc})") from None
    header.pop("__metadata__", None)
    dtypes = {v: k for k, v in SAFETENSORS_DTYPES.items()}
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        chunk = bytearray(raw[8 + size + start : 8 + size + end])
        flat = (
            torch.frombuffer(chunk, dtype=dtypes[info["dtype"]])
            if chunk
            else torch.empty(0, dtype=dtypes[info["dtype"]])
        )
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """Write ``tensors`` as safetensors, atomically (a crash leaves the previous file)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        blob = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {
            "dtype": SAFETENSORS_DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with replacing(path) as tmp, open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def batches_of(order: torch.Tensor, batch: int, steps: int) -> Iterator[torch.Tensor]:
    for step in range(steps):
        yield order[step * batch : (step + 1) * batch]


def elapsed_since(start: float) -> float:
    return time.perf_counter() - start
