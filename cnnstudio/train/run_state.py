"""Where a run is, as a front end shows and controls it."""

from __future__ import annotations

import enum


class RunState(enum.Enum):
    """The states of one run in the editor; only ``IDLE`` allows starting another."""

    IDLE = "idle"
    PREPARING = "preparing"  # the data loads; the training thread has not started
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"  # asked to stop; ends after the current batch
