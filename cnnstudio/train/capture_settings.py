"""What a run's feature capture probes and how often: plain data, without torch, so the editor
keeps and sends it to the training process without importing torch (``capture.py`` probes)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class CaptureSettings:
    """What to capture and how often. Fields may be changed while a run is going.

    ``every``: capture every N training batches (0: only at epoch ends), but never sooner than
    ``min_interval_s`` after the last capture (a fast model is not probed hundreds of times a
    second). ``nodes``: node ids whose activations to send (None: every node). ``sample``: index
    of the validation sample to probe. ``weights``: node ids whose ``weight`` to send besides the
    first convolution's.
    """

    every: int = 50
    min_interval_s: float = 0.0
    nodes: tuple[str, ...] | None = None
    sample: int = 0
    weights: tuple[str, ...] = ()
