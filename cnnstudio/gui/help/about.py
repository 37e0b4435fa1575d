"""About cnnstudio and Copy Diagnostics: the versions and machine a bug report needs.

Versions come from package metadata, so nothing heavy is imported to list them; torch is imported
only when the device is asked for (the About dialog opening, or Copy Diagnostics), never at
start-up on this module's account.
"""

from __future__ import annotations

import importlib.metadata
import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from cnnstudio.gui import theme

# Distributions to report, by the name shown; PySide6 is installed as PySide6-Essentials or
# PySide6, so its module's own version is used instead.
_DISTRIBUTIONS = (("cnnstudio", "cnnstudio"), ("pyqtgraph", "pyqtgraph"), ("torch", "torch"))


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _summary() -> str:
    """The one-line description from the package metadata (pyproject's ``description``)."""
    try:
        return importlib.metadata.metadata("cnnstudio")["Summary"] or ""
    except importlib.metadata.PackageNotFoundError:
        return ""


def versions() -> list[tuple[str, str]]:
    """(name, version) of cnnstudio, Python, PySide6 with its Qt, pyqtgraph and torch."""
    rows = [(name, _version(dist)) for name, dist in _DISTRIBUTIONS]
    python = f"{platform.python_version()} ({platform.python_implementation()})"
    qt = f"{PySide6.__version__} (Qt {qVersion()})"
    return [rows[0], ("Python", python), ("PySide6", qt), *rows[1:]]


def device_text() -> str:
    """The device an ``auto`` run trains on, with the GPU's name; imports torch."""
    import torch

    from cnnstudio.train.hardware import available_devices

    device = available_devices()[0]
    if device == "cuda":
        count = torch.cuda.device_count()
        more = f" (+{count - 1} more)" if count > 1 else ""
        return f"CUDA {torch.version.cuda}: {torch.cuda.get_device_name(0)}{more}"
    if device == "mps":
        return "Apple MPS"
    return f"CPU only ({torch.get_num_threads()} threads)"


def environment() -> list[tuple[str, str]]:
    """Everything About shows: the versions, the platform and the device."""
    return [*versions(), ("Platform", platform.platform()), ("Device", device_text())]


def diagnostics_text(settings_location: str, data_folder: str) -> str:
    """Plain text for a bug report: one ``name: value`` line per fact."""
    rows = [*environment(), ("Settings", settings_location), ("Data folder", data_folder)]
    return "".join(f"{name}: {value}\n" for name, value in rows)


class AboutDialog(QDialog):
    """cnnstudio's icon, purpose and the versions it runs with (read when the dialog opens)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About cnnstudio")
        icon = QLabel()
        icon.setPixmap(theme.app_icon().pixmap(64, 64))
        title = QLabel(f"<h2>cnnstudio</h2>{_summary()}")
        title.setWordWrap(True)
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for name, value in environment():
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name}:", field)
            self.fields[name] = field
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str]:
        """What each row shows, by its name (``"torch"`` -> ``"2.3.1"``)."""
        return {name: field.text() for name, field in self.fields.items()}
