"""How a data-parallel run is started: ``python -m MODULE ARGS`` in N torchrun processes.

Shared by ``cnnstudio train --processes N`` and the editor's training process; torch-free, so
the editor can start a run without importing torch itself.
"""

from __future__ import annotations

import os
import sys

from cnnstudio.train.hardware import resolve_threads


def torchrun(processes: int, module: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run ``module`` with ``args`` on ``processes`` ranks."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "-m",
        module,
        *args,
    ]
    # torchrun warns about OpenMP threads unless told; the trainer sets each rank's own.
    env = {"OMP_NUM_THREADS": str(resolve_threads("auto", processes)), **os.environ}
    return command, env
