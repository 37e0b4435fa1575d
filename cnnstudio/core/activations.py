"""What one sample's activation says about a layer: its statistics and the dead-ReLU rule.

Plain numbers, so the editor's live preview (and anything else that looks at activations)
shares one rule for "dead" and one way of writing the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnstudio.core.analysis import Issue

DEAD_SHARE = 0.95  # a ReLU whose output is at least this share of zeros passes almost nothing
ZERO_CLAMPING = ("ReLU", "ReLU6")  # blocks whose output is exactly zero for negative inputs


@dataclass(frozen=True)
class ActivationStats:
    """Statistics of one node's output for one sample (``zeros``: the share of exact zeros)."""

    mean: float
    std: float
    min: float
    max: float
    zeros: float

    def describe(self) -> str:
        return (
            f"mean {self.mean:.3g} · std {self.std:.3g} · min {self.min:.3g} · "
            f"max {self.max:.3g} · zeros {self.zeros:.0%}"
        )


def dead_activation_issues(
    stats: dict[str, ActivationStats], types: dict[str, str], sample: str
) -> list[Issue]:
    """A warning for each ReLU-like node (``types``: node id -> block type) whose output on
    ``sample`` (how the message names it) is at least ``DEAD_SHARE`` zeros."""
    return [
        Issue(
            node_id,
            f"{node_id} ({types[node_id]}): dead activations — {s.zeros:.0%} of its outputs are "
            f"zero on {sample}; check the initialisation, a bias or the layers before it",
            "warning",
        )
        for node_id, s in stats.items()
        if types.get(node_id) in ZERO_CLAMPING and s.zeros >= DEAD_SHARE
    ]
