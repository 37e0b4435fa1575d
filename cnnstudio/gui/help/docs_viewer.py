"""Help > Documentation: README.md and docs/*.md rendered as Markdown, links and images working.

The pages are read from ``docs_root()``: the checkout itself when cnnstudio runs from one (so the
pages shown are the ones being edited), else a copy shipped inside the package, laid out the same
way (``README.md`` beside a ``docs/`` folder) so the README's ``docs/...`` links resolve unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.shipped import docs_dir

IMAGE_MARGIN = 40  # pixels left beside an image scaled to the page's width
_PAGE_ROLE = Qt.ItemDataRole.UserRole  # a page list item's file path


def _holds_docs(folder: Path) -> bool:
    return (folder / "README.md").is_file() and (folder / "docs").is_dir()


def docs_root() -> Path | None:
    """The folder holding README.md and docs/, or None when it is missing."""
    root = docs_dir()
    return root if _holds_docs(root) else None


def doc_pages(root: Path) -> list[Path]:
    """README first, then the docs/ pages by file name."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _title(page: Path) -> str:
    """The page's first heading (``# Training``), else its file name."""
    with page.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                return line[2:].strip().replace("`", "")
    return page.stem


class _DocBrowser(QTextBrowser):
    """A QTextBrowser whose images are scaled down to the width of the page (screenshots are
    wider than the window would be)."""

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        if kind != QTextDocument.ResourceType.ImageResource.value:
            return super().loadResource(kind, name)
        image = QImage(self.source().resolved(QUrl(name)).toLocalFile())
        if image.isNull():
            return super().loadResource(kind, name)
        width = self.viewport().width() - IMAGE_MARGIN
        if image.width() <= width:
            return image
        return image.scaledToWidth(
            max(width, IMAGE_MARGIN), Qt.TransformationMode.SmoothTransformation
        )


class DocsWindow(QWidget):
    """A small browser over the local docs: page list, Back/Forward/Home, Markdown view.

    Links to other pages open here; web links, folders and other files open in the system's
    browser or file manager. A link to a file that does not exist says so under the page.
    """

    def __init__(self, parent: QWidget | None = None, root: Path | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("docsWindow")
        self.setWindowTitle("cnnstudio Documentation")
        self.resize(1000, 760)
        self.root = root if root is not None else docs_root()
        self.pages = QListWidget()
        self.pages.setObjectName("docsPages")
        self.pages.setWordWrap(True)
        self.browser = _DocBrowser()
        self.browser.setObjectName("docsBrowser")
        self.browser.setOpenLinks(False)  # _follow decides where each link opens
        self.status = QLabel()
        self.status.setObjectName("docsStatus")
        self.status.setProperty("role", "error")
        self.status.setWordWrap(True)
        self.back = self._button("back", "Back (Alt+Left)", self.browser.backward)
        self.forward = self._button("forward", "Forward (Alt+Right)", self.browser.forward)
        home = self._button("home", "README", lambda: self.open_page(self._home()))
        self.browser.backwardAvailable.connect(self.back.setEnabled)
        self.browser.forwardAvailable.connect(self.forward.setEnabled)
        self.back.setEnabled(False)
        self.forward.setEnabled(False)
        home.setEnabled(self.root is not None)

        bar = QHBoxLayout()
        for button in (self.back, self.forward, home):
            bar.addWidget(button)
        bar.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.browser, 1)
        right_layout.addWidget(self.status)
        split = QSplitter()
        split.addWidget(self.pages)
        split.addWidget(right)
        split.setSizes([200, 800])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self.browser.anchorClicked.connect(self._follow)
        self.browser.sourceChanged.connect(self._source_changed)
        self.pages.currentItemChanged.connect(self._page_chosen)
        self._fill()

    def _button(self, name: str, tip: str, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton()
        button.setObjectName(f"docs_{name}")
        button.setText(tip.split(" (")[0])
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _home(self) -> Path:
        assert self.root is not None
        return self.root / "README.md"

    def _fill(self) -> None:
        if self.root is None:
            self.browser.setPlainText(
                f"The documentation was not found: looked for README.md and docs/ in {docs_dir()}."
            )
            return
        for page in doc_pages(self.root):
            item = QListWidgetItem(_title(page))
            item.setData(_PAGE_ROLE, str(page))
            item.setToolTip(str(page.relative_to(self.root)))
            self.pages.addItem(item)
        self.open_page(self._home())

    def open_page(self, page: Path, fragment: str = "") -> None:
        url = QUrl.fromLocalFile(str(page))
        if fragment:
            url.setFragment(fragment)
        self.status.clear()
        self.browser.setSource(url)

    def current_page(self) -> Path | None:
        source = self.browser.source()
        return Path(source.toLocalFile()) if source.isLocalFile() else None

    def _follow(self, link: QUrl) -> None:
        """Open a clicked link: a page here, anything else with the system's handler."""
        if link.scheme() not in ("", "file"):
            QDesktopServices.openUrl(link)
            return
        target = self.browser.source().resolved(link)
        path = Path(target.toLocalFile())
        if not path.exists():
            self.status.setText(f"This link points to {path}, which does not exist.")
        elif path.suffix == ".md":
            self.open_page(path, target.fragment())
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _source_changed(self, url: QUrl) -> None:
        for row in range(self.pages.count()):
            item = self.pages.item(row)
            if item.data(_PAGE_ROLE) == url.toLocalFile():
                self.pages.blockSignals(True)
                self.pages.setCurrentItem(item)
                self.pages.blockSignals(False)

    def _page_chosen(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.open_page(Path(item.data(_PAGE_ROLE)))
