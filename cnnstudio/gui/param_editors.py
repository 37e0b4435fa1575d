"""One editor widget per parameter kind, generated from ``cnnstudio.core.params.Param``.

Every editor emits ``committed(value)`` once per finished change (spin boxes do not track
keystrokes, so typing ``128`` is one change) and takes model values with ``set_value`` without
emitting. Bounds come from the Param, so most invalid values cannot even be typed; the rest are
refused by the model and reported by the inspector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from cnnstudio.core.params import Param
from cnnstudio.gui import theme
from cnnstudio.gui.wheel_guard import wheel_when_focused

INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e12


def _int_range(param: Param) -> tuple[int, int]:
    low = int(param.minimum) if param.minimum is not None else -INT_LIMIT
    high = int(param.maximum) if param.maximum is not None else INT_LIMIT
    return low, high


def _shown(value: Any) -> str:
    """A default or bound as the user types it: ``on``, ``empty``, ``1e-05``, ``[1, 28, 28]``."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def param_tooltip(param: Param) -> str:
    """The Param's help text, then its default and bounds (all from the spec, none retyped)."""
    facts = [f"Default: {_shown(param.default)}"]
    low, high = param.minimum, param.maximum
    if low is not None and high is not None:
        facts.append(f"from {_shown(low)} to {_shown(high)}")
    elif low is not None:
        facts.append(f"at least {_shown(low)}")
    elif high is not None:
        facts.append(f"at most {_shown(high)}")
    return f"{param.help}\n{', '.join(facts)}."


class SpinBox(QSpinBox):
    """Commits on Enter, focus loss or an arrow step; the wheel only turns it once focused."""

    def __init__(self, low: int, high: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(low, high)
        self.setKeyboardTracking(False)
        wheel_when_focused(self)
        self.setMinimumWidth(48)


class FloatSpinBox(QDoubleSpinBox):
    """Shows numbers as written (``1e-05``, ``0.25``), accepts exponents, steps adaptively."""

    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(low, high)
        self.setKeyboardTracking(False)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        wheel_when_focused(self)
        self.setMinimumWidth(72)

    def textFromValue(self, value: float) -> str:
        return f"{value:.10g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


class ComboBox(QComboBox):
    """A choice whose wheel turns only once focused (it sits in the inspector's scroll area)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        wheel_when_focused(self)


class ParamEditor(QWidget):
    """The editor of one parameter. Each subclass defines ``set_value(value)``, which shows a
    value without emitting ``committed``, and ``value()``, the value the editor shows."""

    committed = Signal(object)
    set_value: Callable[[Any], None]
    value: Callable[[], Any]

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.setToolTip(param_tooltip(param))
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)


class IntEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.spin = SpinBox(*_int_range(param))
        self._layout.addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(int(v)))

    def set_value(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(int(value))
        self.spin.blockSignals(False)

    def value(self) -> int:
        return self.spin.value()


class FloatEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        low = param.minimum if param.minimum is not None else -FLOAT_LIMIT
        high = param.maximum if param.maximum is not None else FLOAT_LIMIT
        self.spin = FloatSpinBox(low, high)
        self._layout.addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(float(v)))

    def set_value(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(float(value))
        self.spin.blockSignals(False)

    def value(self) -> float:
        return self.spin.value()


class BoolEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.check = QCheckBox()
        self._layout.addWidget(self.check)
        self._layout.addStretch(1)
        self.check.toggled.connect(lambda on: self.committed.emit(bool(on)))

    def set_value(self, value: Any) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(bool(value))
        self.check.blockSignals(False)

    def value(self) -> bool:
        return self.check.isChecked()


class ChoiceEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = ComboBox()
        self.combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.combo.addItems(list(param.choices))
        self._layout.addWidget(self.combo)
        self.combo.currentTextChanged.connect(self.committed.emit)

    def set_value(self, value: Any) -> None:
        self.combo.blockSignals(True)
        self.combo.setCurrentText(str(value))
        self.combo.blockSignals(False)

    def value(self) -> str:
        return self.combo.currentText()


class IntsEditor(ParamEditor):
    """``n`` integers (a ``pair`` [h, w] or ``pad4`` [left, right, top, bottom]).

    While linked (the chain button, on for a single int) all fields move together and the value
    is one int, as the file writes ``kernel_size: 3``; unlinked, it is the list.
    """

    NAMES = {2: ("height", "width"), 4: ("left", "right", "top", "bottom")}

    def __init__(self, param: Param, count: int, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        low, high = _int_range(param)
        self.spins: list[SpinBox] = []
        for i, name in enumerate(self.NAMES[count]):
            if i and count == 2:
                self._layout.addWidget(QLabel("\N{MULTIPLICATION SIGN}"))
            spin = SpinBox(low, high)
            spin.setToolTip(f"{param.help} ({name})")
            spin.valueChanged.connect(lambda v, i=i: self._changed(i, v))
            self.spins.append(spin)
            self._layout.addWidget(spin, 1)
        self.link = QToolButton()
        self.link.setObjectName("linkButton")
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setAutoRaise(True)
        self.link.setToolTip("Linked: one value for every side. Click to set them separately.")
        self.link.toggled.connect(self._link_toggled)
        self._layout.addWidget(self.link)
        self._update_link_icon()

    @property
    def linked(self) -> bool:
        return self.link.isChecked()

    def _update_link_icon(self) -> None:
        self.link.setIcon(theme.icon("link" if self.linked else "unlink"))

    def set_value(self, value: Any) -> None:
        values = [value] * len(self.spins) if isinstance(value, int) else list(value)
        unchanged = [s.value() for s in self.spins] == values
        for spin, v in zip(self.spins, values, strict=True):
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)
        if not (unchanged and isinstance(value, int)):  # keep a link the user just undid
            self.link.blockSignals(True)
            self.link.setChecked(isinstance(value, int))
            self.link.blockSignals(False)
            self._update_link_icon()

    def value(self) -> int | list[int]:
        values = [s.value() for s in self.spins]
        return values[0] if self.linked else values

    def _changed(self, index: int, value: int) -> None:
        if self.linked:
            for spin in self.spins:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        self.committed.emit(self.value())

    def _link_toggled(self, on: bool) -> None:
        self._update_link_icon()
        if on:  # linking makes every side equal to the first
            self._changed(0, self.spins[0].value())


class PaddingEditor(ParamEditor):
    """Conv padding: a number (or pair) of zeros, or 'same' / 'valid'."""

    EXPLICIT = "explicit"

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self._layout.setDirection(QBoxLayout.Direction.TopToBottom)  # narrow docks stay readable
        self.mode = ComboBox()
        self.mode.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mode.addItems([self.EXPLICIT, *param.choices])
        self.mode.setToolTip(param.help)
        self.amount = IntsEditor(param, 2)
        self._layout.addWidget(self.mode)
        self._layout.addWidget(self.amount)
        self.mode.currentTextChanged.connect(self._mode_changed)
        self.amount.committed.connect(self.committed.emit)

    def set_value(self, value: Any) -> None:
        self.mode.blockSignals(True)
        if isinstance(value, str):
            self.mode.setCurrentText(value)
        else:
            self.mode.setCurrentText(self.EXPLICIT)
            self.amount.set_value(value)
        self.mode.blockSignals(False)
        self.amount.setVisible(not isinstance(value, str))

    def value(self) -> Any:
        mode = self.mode.currentText()
        return self.amount.value() if mode == self.EXPLICIT else mode

    def _mode_changed(self, mode: str) -> None:
        self.amount.setVisible(mode == self.EXPLICIT)
        self.committed.emit(self.value())


class ShapeEditor(ParamEditor):
    """The Input's sample shape typed as ``1, 28, 28`` (or ``1x28x28``)."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("C, H, W   e.g. 1, 28, 28")
        self._layout.addWidget(self.edit)
        self.edit.editingFinished.connect(self._finished)
        self._shown = ""

    def set_value(self, value: Any) -> None:
        self._shown = ", ".join(str(v) for v in value)
        self.edit.setText(self._shown)
        self.edit.setProperty("invalid", False)
        self.edit.style().polish(self.edit)

    def value(self) -> Any:
        """The parsed list of ints, or the raw text when it is not one (the model refuses it)."""
        text = self.edit.text().strip()
        parts = [p for p in re.split(r"[\s,x\u00d7*]+", text.strip("[]()")) if p]
        try:
            return [int(p) for p in parts]
        except ValueError:
            return text

    def _finished(self) -> None:
        if self.edit.text() != self._shown:
            self.committed.emit(self.value())


class NullableEditor(ParamEditor):
    """A checkbox in front of the real editor: unchecked, the parameter is empty (None) and the
    editor gives way to the word "empty" (the help text says what empty means)."""

    def __init__(self, param: Param, inner: ParamEditor, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.inner = inner
        self.enabled = QCheckBox()
        self.enabled.setToolTip(f"{param.help}\nUnchecked: empty (None).")
        self.empty = QLabel("empty")
        self.empty.setProperty("role", "muted")
        self.empty.setToolTip(param.help)
        self._layout.addWidget(self.enabled)
        self._layout.addWidget(inner, 1)
        self._layout.addWidget(self.empty, 1)
        self.enabled.toggled.connect(self._toggled)
        inner.committed.connect(self.committed.emit)
        self._show(False)

    def _show(self, on: bool) -> None:
        self.inner.setVisible(on)
        self.empty.setVisible(not on)

    def set_value(self, value: Any) -> None:
        self.enabled.blockSignals(True)
        self.enabled.setChecked(value is not None)
        self.enabled.blockSignals(False)
        self._show(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def value(self) -> Any:
        return self.inner.value() if self.enabled.isChecked() else None

    def _toggled(self, on: bool) -> None:
        self._show(on)
        self.committed.emit(self.value())


def _placeholder(param: Param) -> Any:
    """What a nullable editor shows while empty: the value it takes when switched on."""
    if param.kind == "bool":
        return False
    low = param.minimum if param.minimum is not None else 0
    high = param.maximum if param.maximum is not None else FLOAT_LIMIT
    value = min(max(low, 1), high)
    return float(value) if param.kind == "float" else int(value)


def make_editor(param: Param, parent: QWidget | None = None) -> ParamEditor:
    """The editor for ``param``'s kind (wrapped in a NullableEditor when it may be empty)."""
    editor: ParamEditor
    if param.kind == "int":
        editor = IntEditor(param)
    elif param.kind == "float":
        editor = FloatEditor(param)
    elif param.kind == "bool":
        editor = BoolEditor(param)
    elif param.kind == "choice":
        editor = ChoiceEditor(param)
    elif param.kind == "pair":
        editor = IntsEditor(param, 2)
    elif param.kind == "pad4":
        editor = IntsEditor(param, 4)
    elif param.kind == "padding":
        editor = PaddingEditor(param)
    else:
        editor = ShapeEditor(param)
    if param.nullable:
        editor.set_value(_placeholder(param))
        editor = NullableEditor(param, editor)
    if parent is not None:
        editor.setParent(parent)
    return editor
