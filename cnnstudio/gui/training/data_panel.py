"""Choosing the data: the project's ``dataset`` section, a preview, and a check against the Input.

The form edits the section (validated by the data layer's ``validate_dataset_config`` before it
is stored as an undo step); the dashboard loads what it names off the GUI thread and hands the
result back to ``show_dataset``: a grid of samples per class, the class counts, and, when the
images do not fit the Input node, a button that fixes the Input node in one undoable step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui import theme
from cnnstudio.gui.plots.bars import CountBars
from cnnstudio.gui.plots.images import sample_pixmap
from cnnstudio.gui.plots.style import style_widget
from cnnstudio.gui.plots.views import PlotWidget
from cnnstudio.gui.wheel_guard import wheel_when_focused
from cnnstudio.train.data.catalog import STANDARD_DATASETS
from cnnstudio.train.data.errors import DatasetError
from cnnstudio.train.data.section import (
    DEFAULT_NUM_SAMPLES,
    MAX_NUM_SAMPLES,
    SOURCES,
    validate_dataset_config,
)
from cnnstudio.train.data.split import DEFAULT_VAL_FRACTION

if TYPE_CHECKING:
    from cnnstudio.train.data.dataset import Dataset

PREVIEW_CLASSES = 10
PREVIEW_PER_CLASS = 8
PREVIEW_TILE = 36
NAME_WIDTH = 110
_TITLES = {
    "shapes": "Shapes (built-in, grey)",
    "shapes-rgb": "Shapes (built-in, colour)",
    "folder": "Image folder (one sub-folder per class)",
    "npz": "NumPy archive (.npz)",
    **{name: f"{d.title} (folder)" for name, d in STANDARD_DATASETS.items()},
}
DEFAULT_TITLE = "Built-in shapes at the Input's size (default)"
_WITH_PATH = ("folder", "npz", *STANDARD_DATASETS)


def dims(shape: Sequence[int]) -> str:
    """``[3, 32, 32]`` as ``3x32x32``, as the canvas writes shapes."""
    return "x".join(str(d) for d in shape)


def preview_pixmap(dataset: Dataset) -> QPixmap:
    """Up to 8 training images of each of the first 10 classes, one labelled row per class."""
    t = theme.current_theme()
    names = dataset.class_names[:PREVIEW_CLASSES]
    labels = np.asarray(dataset.train.y)  # the tensor's memory, no copy
    rows: list[tuple[str, list[int]]] = []
    for c, name in enumerate(names):
        picks = np.flatnonzero(labels == c)[:PREVIEW_PER_CLASS].tolist()
        rows.append((f"{c}  {name}", picks))
    pad = 3
    width = NAME_WIDTH + PREVIEW_PER_CLASS * (PREVIEW_TILE + pad)
    height = max(len(rows), 1) * (PREVIEW_TILE + pad)
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor(t.base))
    painter = QPainter(pixmap)
    painter.setPen(QColor(t.fg))
    font = QFont(painter.font())
    font.setPointSizeF(max(font.pointSizeF() - 1, 7))
    painter.setFont(font)
    for r, (name, picks) in enumerate(rows):
        y = r * (PREVIEW_TILE + pad)
        box = QRect(0, y, NAME_WIDTH - 6, PREVIEW_TILE)
        elided = painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, box.width())
        painter.drawText(
            box, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided
        )
        for k, index in enumerate(picks):
            tile = sample_pixmap(dataset.train.x[index], PREVIEW_TILE)
            painter.drawPixmap(NAME_WIDTH + k * (PREVIEW_TILE + pad), y, tile)
    painter.end()
    return pixmap


class DataPanel(QWidget):
    changed = Signal(object, str, str)  # new section (or None), undo text, merge key
    fix_input = Signal(list)  # the shape to give the Input node

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.section: dict[str, Any] | None = None
        self.dataset: Dataset | None = None
        self._loading_form = False
        self._data_shape: list[int] | None = None

        self.source_box = QComboBox()
        self.source_box.setObjectName("dataSource")
        self.source_box.addItem(DEFAULT_TITLE, None)
        for source in SOURCES:
            self.source_box.addItem(_TITLES.get(source, source), source)
        self.source_box.activated.connect(self._source_picked)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("dataPath")
        self.path_edit.setPlaceholderText("folder or file (relative to the project)")
        self.path_edit.editingFinished.connect(
            lambda: self._edit("path", self.path_edit.text().strip() or None)
        )
        self.browse_button = QToolButton()
        self.browse_button.setObjectName("browseButton")
        self.browse_button.setText("Browse…")
        self.browse_button.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.setContentsMargins(0, 0, 0, 0)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        self.path_widget = QWidget()
        self.path_widget.setLayout(path_row)
        self.download_box = QCheckBox("Download when missing")
        self.download_box.setObjectName("dataDownload")
        self.download_box.toggled.connect(lambda on: self._edit("download", on))
        self.samples_spin = QSpinBox()
        self.samples_spin.setObjectName("dataSamples")
        self.samples_spin.setRange(10, MAX_NUM_SAMPLES)
        self.samples_spin.setSingleStep(1000)
        self.samples_spin.setKeyboardTracking(False)
        self.samples_spin.valueChanged.connect(lambda v: self._edit("num_samples", v))
        self.val_spin = QDoubleSpinBox()
        self.val_spin.setObjectName("dataValFraction")
        self.val_spin.setRange(0.0, 0.9)
        self.val_spin.setSingleStep(0.05)
        self.val_spin.setDecimals(3)
        self.val_spin.setSpecialValueText("default")
        self.val_spin.setKeyboardTracking(False)
        self.val_spin.setToolTip(
            "Share of the images kept for validation; 'default' uses the dataset's own test "
            f"split, or {DEFAULT_VAL_FRACTION:.0%} when it has none"
        )
        self.val_spin.valueChanged.connect(lambda v: self._edit("val_fraction", v or None))
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("dataSeed")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.valueChanged.connect(lambda v: self._edit("seed", v))
        self.crop_spin = QSpinBox()
        self.crop_spin.setObjectName("augCrop")
        self.crop_spin.setRange(0, 64)
        self.crop_spin.setSuffix(" px")
        self.crop_spin.setToolTip("Random crops after padding by this many pixels (0: off)")
        self.crop_spin.setKeyboardTracking(False)
        self.crop_spin.valueChanged.connect(lambda v: self._edit_augment("crop_padding", v))
        self.flip_box = QCheckBox("Mirror left-right")
        self.flip_box.setObjectName("augFlip")
        self.flip_box.toggled.connect(lambda on: self._edit_augment("hflip", on))
        self.affine_box = QCheckBox("Small rotations and shifts")
        self.affine_box.setObjectName("augAffine")
        self.affine_box.toggled.connect(lambda on: self._edit_augment("affine", on))

        wheel_when_focused(
            self.source_box, self.samples_spin, self.val_spin, self.seed_spin, self.crop_spin
        )
        form = QFormLayout()
        form.addRow("Data", self.source_box)
        form.addRow("Location", self.path_widget)
        form.addRow("", self.download_box)
        form.addRow("Images", self.samples_spin)
        form.addRow("Validation share", self.val_spin)
        form.addRow("Seed", self.seed_spin)
        self.form = form
        augment = QGroupBox("Augmentation (training images only)")
        aug_form = QFormLayout(augment)
        aug_form.addRow("Crop padding", self.crop_spin)
        aug_form.addRow(self.flip_box)
        aug_form.addRow(self.affine_box)

        self.status = QLabel("No data loaded yet.")
        self.status.setObjectName("dataStatus")
        self.status.setWordWrap(True)
        self.mismatch = QLabel()
        self.mismatch.setObjectName("dataMismatch")
        self.mismatch.setWordWrap(True)
        self.fix_button = QPushButton()
        self.fix_button.setObjectName("fixInputButton")
        self.fix_button.clicked.connect(self._fix_clicked)
        mismatch_row = QHBoxLayout()
        mismatch_row.addWidget(self.mismatch, 1)
        mismatch_row.addWidget(self.fix_button)
        self.mismatch_box = QWidget()
        self.mismatch_box.setLayout(mismatch_row)
        self.mismatch_box.hide()
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(augment)
        left.addWidget(self.status)
        left.addWidget(self.mismatch_box)
        left.addStretch(1)

        self.preview = QLabel()
        self.preview.setObjectName("dataPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self.preview)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(NAME_WIDTH + 4 * (PREVIEW_TILE + 3))
        self.counts_widget = PlotWidget()
        self.counts_widget.setObjectName("classCounts")
        style_widget(self.counts_widget)
        self.counts = CountBars(self.counts_widget.getPlotItem())
        self.counts_widget.setMinimumWidth(220)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(left, 2)
        layout.addWidget(scroll, 3)
        layout.addWidget(self.counts_widget, 2)

    # ---- model -> form ---------------------------------------------------------------------
    def set_section(self, section: dict[str, Any] | None) -> None:
        self.section = dict(section) if section is not None else None
        s = self.section or {}
        source = s.get("source")
        self._loading_form = True
        try:
            self.source_box.setCurrentIndex(max(self.source_box.findData(source), 0))
            self.path_edit.setText(str(s.get("path") or ""))
            self.download_box.setChecked(bool(s.get("download", False)))
            self.samples_spin.setValue(int(s.get("num_samples", DEFAULT_NUM_SAMPLES)))
            self.val_spin.setValue(float(s.get("val_fraction") or 0.0))
            self.seed_spin.setValue(int(s.get("seed", 0)))
            augment = s.get("augment") or {}
            self.crop_spin.setValue(int(augment.get("crop_padding", 0)))
            self.flip_box.setChecked(bool(augment.get("hflip", False)))
            self.affine_box.setChecked(bool(augment.get("affine", False)))
        finally:
            self._loading_form = False
        self.form.setRowVisible(self.path_widget, source in _WITH_PATH)
        self.form.setRowVisible(self.download_box, source in STANDARD_DATASETS)
        self.form.setRowVisible(self.samples_spin, source in (None, "shapes", "shapes-rgb"))
        self.samples_spin.setEnabled(source is not None)
        self.val_spin.setEnabled(source is not None)
        self.seed_spin.setEnabled(source is not None)

    # ---- form -> model ---------------------------------------------------------------------
    def _source_picked(self, index: int) -> None:
        source = self.source_box.itemData(index)
        if source is None:
            self._store(None, "Use the default dataset", "dataset.source")
            return
        section = dict(self.section or {})
        section["source"] = source
        if source in ("folder", "npz") and not section.get("path"):
            path = self._ask_path(source)
            if not path:
                self.set_section(self.section)
                return
            section["path"] = path
        self._store(section, f"Use {_TITLES.get(source, source)} data", "dataset.source")

    def _edit(self, key: str, value: Any) -> None:
        if self._loading_form or self.section is None:
            return
        section = dict(self.section)
        if value is None:
            section.pop(key, None)
        else:
            section[key] = value
        self._store(section, f"Set dataset {key.replace('_', ' ')}", f"dataset.{key}")

    def _edit_augment(self, key: str, value: Any) -> None:
        if self._loading_form:
            return
        section = dict(self.section or {"source": self._default_source()})
        augment = dict(section.get("augment") or {})
        augment[key] = value
        section["augment"] = augment
        self._store(section, f"Set augmentation {key.replace('_', ' ')}", f"dataset.augment.{key}")

    def _default_source(self) -> str:
        """The explicit source equal to the default, for edits that need a section."""
        channels = self._data_shape[0] if self._data_shape else 1
        return "shapes-rgb" if channels == 3 else "shapes"

    def _store(self, section: dict[str, Any] | None, text: str, merge_key: str) -> None:
        if section is not None:
            try:
                validate_dataset_config(section)
            except DatasetError as exc:
                self.show_error(str(exc))
                self.set_section(self.section)
                return
        self.changed.emit(section, text, merge_key)

    def _ask_path(self, source: str) -> str:
        if source == "npz":
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose a NumPy Archive", "", "NumPy archives (*.npz);;All files (*)"
            )
            return path
        return QFileDialog.getExistingDirectory(self, "Choose the Data Folder")

    def _browse(self) -> None:
        source = self.source_box.currentData()
        if source is None:
            return
        path = self._ask_path(str(source))
        if path:
            self.path_edit.setText(path)
            self._edit("path", path)

    def _fix_clicked(self) -> None:
        if self._data_shape is not None:
            self.fix_input.emit(list(self._data_shape))

    # ---- loaded data -----------------------------------------------------------------------
    def show_loading(self, what: str) -> None:
        self._forget_dataset()
        self.status.setText(what)
        self.status.setStyleSheet("")

    def show_error(self, message: str) -> None:
        self._forget_dataset()
        self.status.setText(message)
        self.status.setStyleSheet(f"color: {theme.current_theme().error};")

    def _forget_dataset(self) -> None:
        """No preview of an earlier dataset stays beside a message about another one."""
        self.dataset = None
        self._data_shape = None
        self.preview.clear()
        self.counts.set_counts((), [], [])
        self.mismatch_box.hide()

    def show_dataset(
        self,
        dataset: Dataset,
        input_shape: Sequence[int] | None,
        output_shape: Sequence[int] | None,
    ) -> None:
        self.dataset = dataset
        shape = list(dataset.sample_shape)
        self._data_shape = shape
        counts_train = dataset.class_counts("train")
        counts_val = dataset.class_counts("val")
        self.status.setStyleSheet("")
        skipped = f" · {len(dataset.skipped)} files skipped" if dataset.skipped else ""
        self.status.setText(
            f"{len(dataset.train):,} training and {len(dataset.val):,} validation images · "
            f"{dataset.num_classes} classes · {dims(shape)} · {dataset.source}{skipped}"
        )
        self.preview.setPixmap(preview_pixmap(dataset))
        self.counts.set_counts(dataset.class_names, counts_train, counts_val)
        self.check_fit(input_shape, output_shape)

    def check_fit(
        self, input_shape: Sequence[int] | None, output_shape: Sequence[int] | None
    ) -> None:
        """Say whether the loaded data fits the network; offer to fix the Input node."""
        if self.dataset is None or self._data_shape is None:
            self.mismatch_box.hide()
            return
        data = self._data_shape
        problems = []
        fixable = input_shape is not None and list(input_shape) != data
        if fixable:
            problems.append(
                f"The Input node expects {dims(input_shape or ())} but the images are {dims(data)}."
            )
        classes = self.dataset.num_classes
        if output_shape is not None and list(output_shape) != [classes]:
            problems.append(
                f"The network ends in {dims(output_shape)} values but the data has "
                f"{classes} classes: give the last Linear layer out_features={classes}."
            )
        self.mismatch.setText(" ".join(problems))
        self.mismatch.setStyleSheet(f"color: {theme.current_theme().warning};")
        self.fix_button.setText(f"Set Input to {dims(data)}")
        self.fix_button.setVisible(fixable)
        self.mismatch_box.setVisible(bool(problems))
