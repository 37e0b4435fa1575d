"""One tiny training step, before the real work, so that it is not paid for inside a run.

torch imports much of itself on first use: the first optimizer pulls in ``torch._dynamo``
(~1.4 s on a 2-core machine), the first convolution starts the kernel library and thread pool.
The editor's training process runs this while it waits for Train; the memory probe runs it so
that none of it is counted in a measured peak.
"""

from __future__ import annotations

import torch

from cnnstudio.train.config import TrainingConfig
from cnnstudio.train.optim import build_optimizer


def warm_up(device: torch.device, config: TrainingConfig) -> None:
    f = torch.nn.functional
    x = torch.randn(2, 3, 8, 8, device=device, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, device=device, requires_grad=True)
    v = torch.randn(10, 144, device=device, requires_grad=True)
    loss = f.cross_entropy(
        f.linear(f.max_pool2d(f.conv2d(x, w).relu(), 1).flatten(1), v), torch.zeros(2).long()
    )
    loss.backward()
    build_optimizer(config, [torch.nn.Parameter(w.detach())]).step()
