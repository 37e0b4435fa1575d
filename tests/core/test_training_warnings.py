"""The training warnings' rules on made-up figures."""

from __future__ import annotations

import math

from cnnstudio.core.training_warnings import (
    dead_relus,
    overfitting,
    overfitting_since,
    vanishing_gradients,
)


def test_vanishing_gradients_name_the_layers_below_a_thousandth() -> None:
    issues = vanishing_gradients(("conv1", "conv2", "fc"), (4e-4, 0.2, 1.0))
    assert [i.node for i in issues] == ["conv1"]
    assert issues[0].message.startswith(
        "vanishing gradients before conv1 — consider BatchNorm or a residual connection"
    )
    assert issues[0].severity == "warning"
    assert vanishing_gradients(("conv1", "fc"), (1e-3, 1.0)) == []  # at the threshold: not below
    assert vanishing_gradients(("conv1",), (math.nan,)) == []  # nothing measured


def test_overfitting_after_three_epochs_of_rising_val_loss_and_falling_train_loss() -> None:
    epochs = [1, 2, 3, 4, 5, 6]
    train = [1.0, 0.8, 0.6, 0.5, 0.4, 0.3]
    val = [1.0, 0.7, 0.6, 0.65, 0.7, 0.8]
    assert overfitting_since(epochs, train, val) == 4
    (issue,) = overfitting(epochs, train, val)
    assert issue.node is None
    assert issue.message.startswith(
        "overfitting since epoch 4 — consider Dropout, augmentation or early stopping"
    )
    # Two epochs of it are not yet a trend; a val loss that turns down again ends it.
    assert overfitting_since(epochs[:5], train[:5], val[:5]) is None
    assert overfitting_since([*epochs, 7], [*train, 0.2], [*val, 0.75]) is None
    # Both losses rising is not overfitting (the training diverges).
    assert overfitting_since(epochs, [1.0, 0.8, 0.6, 0.7, 0.8, 0.9], val) is None
    assert overfitting([], [], []) == []
    assert overfitting_since([3, 4, 5, 6], [0.6, 0.5, 0.4, 0.3], [0.6, 0.65, 0.7, 0.8]) == 4


def test_dead_relus_from_95_percent_zeros() -> None:
    issues = dead_relus({"relu1": 0.5, "relu2": 0.95, "relu3": 1.0})
    assert [i.node for i in issues] == ["relu2", "relu3"]
    assert "relu2 (ReLU): dead on the validation set — 95% of its outputs are zero" in (
        issues[0].message
    )
