"""The Settings tab: a form generated from TrainingConfig that writes the project's section."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QComboBox

from cnnstudio.train.config import TrainingConfig, training_config
from cnnstudio.train.hardware import available_devices

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_every_training_setting_has_an_editor(dashboard) -> None:
    editors = dashboard.settings_panel.editors
    for field in dataclasses.fields(TrainingConfig):
        assert field.name in editors, field.name
    assert {"early_stopping.metric", "early_stopping.patience"} <= set(editors)


def test_only_devices_this_machine_has_are_offered(dashboard) -> None:
    combo = dashboard.settings_panel.editors["device"]
    assert isinstance(combo, QComboBox)
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == ["auto", *available_devices()]


def test_a_setting_is_stored_in_the_project_as_one_undo_step(window, dashboard) -> None:
    panel = dashboard.settings_panel
    lr = panel.editors["lr"]
    lr.setValue(0.01)
    lr.setValue(0.02)  # a second change of the same field merges
    assert window.document.project.training["lr"] == 0.02
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert window.document.project.training["lr"] == 0.003
    assert lr.value() == 0.003
    assert not window.isWindowModified()


def test_early_stopping_group_writes_its_rule(window, dashboard) -> None:
    box = dashboard.settings_panel.editors["early_stopping"]
    box.setChecked(True)
    assert window.document.project.training["early_stopping"] == {
        "metric": "val_loss",
        "patience": 5,
        "min_delta": 0.0,
    }
    dashboard.settings_panel.editors["early_stopping.patience"].setValue(2)
    assert window.document.project.training["early_stopping"]["patience"] == 2
    box.setChecked(False)
    assert "early_stopping" not in window.document.project.training


def test_a_refused_value_shows_the_trainers_reason_and_changes_nothing(window, dashboard) -> None:
    panel = dashboard.settings_panel
    before = dict(window.document.project.training)
    panel.editors["nesterov"].setChecked(True)  # needs SGD with momentum; the optimiser is Adam
    assert window.document.project.training == before
    assert panel.error.isVisibleTo(panel)
    assert "training.nesterov" in panel.error.text()
    assert not panel.editors["nesterov"].isChecked()


def test_the_form_shows_each_new_documents_settings(window, dashboard) -> None:
    epochs = dashboard.settings_panel.editors["epochs"]
    assert epochs.value() == 2
    assert window.new_project("lenet5")
    assert epochs.value() == training_config(window.document.project.training).epochs
