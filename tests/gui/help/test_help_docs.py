"""Help > Documentation renders the local Markdown docs; links open the linked page."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextBrowser

from cnnstudio.gui.help import docs_viewer
from cnnstudio.gui.help.docs_viewer import DocsWindow, doc_pages, docs_root
from cnnstudio.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

CHECKOUT = Path(__file__).resolve().parents[3]


def _click_link(browser: QTextBrowser, href: str, qtbot) -> None:
    """Click the middle of the first link to ``href`` as a user would."""
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(browser.document())
                cursor.setPosition(fragment.position() + fragment.length() // 2)
                browser.setTextCursor(cursor)
                browser.ensureCursorVisible()
                point = browser.cursorRect(cursor).center()
                qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)
                return
            it += 1
        block = block.next()
    pytest.fail(f"no link to {href} on {browser.source().toString()}")


def _open_docs(window: MainWindow, qtbot) -> DocsWindow:
    window.findChild(QAction, "actionDocumentation").trigger()
    docs = window.help_menu.docs
    assert docs is not None
    qtbot.waitExposed(docs)
    return docs


def test_docs_root_is_the_checkout_when_running_from_one() -> None:
    assert docs_root() == CHECKOUT
    pages = doc_pages(CHECKOUT)
    assert pages[0] == CHECKOUT / "README.md"
    assert set(pages[1:]) == set((CHECKOUT / "docs").glob("*.md"))


def test_readme_is_rendered_and_a_link_opens_its_page(window: MainWindow, qtbot) -> None:
    docs = _open_docs(window, qtbot)
    browser = docs.browser
    assert docs.current_page() == CHECKOUT / "README.md"
    readme = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    first_line = next(line for line in readme.splitlines()[1:] if line.strip())
    assert first_line.split()[0] in browser.toPlainText()  # rendered, not raw Markdown
    assert "](docs/" not in browser.toPlainText()
    # Images are found relative to the page.
    image = browser.document().resource(
        QTextDocument.ResourceType.ImageResource, QUrl("docs/screenshot-editor-light.png")
    )
    assert image is not None
    assert not image.isNull()
    assert image.width() < browser.viewport().width()  # screenshots are scaled to the page

    _click_link(browser, "docs/training.md", qtbot)
    qtbot.waitUntil(lambda: docs.current_page() == CHECKOUT / "docs" / "training.md")
    assert browser.toPlainText().startswith("Training")
    assert docs.pages.currentItem().text() == "Training"
    assert docs.back.isEnabled()
    qtbot.mouseClick(docs.back, Qt.MouseButton.LeftButton)
    assert docs.current_page() == CHECKOUT / "README.md"
    qtbot.keyClick(browser, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert docs.current_page() == CHECKOUT / "docs" / "training.md"


def test_page_list_opens_each_page(window: MainWindow, qtbot) -> None:
    docs = _open_docs(window, qtbot)
    for row in range(docs.pages.count()):
        item = docs.pages.item(row)
        docs.pages.setCurrentItem(item)
        assert docs.current_page() == doc_pages(CHECKOUT)[row]
        assert docs.browser.toPlainText().startswith(item.text()[:4])


def test_a_link_to_a_missing_file_says_so(qtbot, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Title\n\nSee [gone](docs/gone.md).\n", encoding="utf-8")
    docs = DocsWindow(root=tmp_path)
    qtbot.addWidget(docs)
    docs.show()
    qtbot.waitExposed(docs)
    _click_link(docs.browser, "docs/gone.md", qtbot)
    assert docs.current_page() == tmp_path / "README.md"
    assert str(tmp_path / "docs" / "gone.md") in docs.status.text()
    assert "does not exist" in docs.status.text()


def test_missing_docs_say_where_they_were_looked_for(qtbot, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(docs_viewer, "docs_dir", lambda: tmp_path)
    assert docs_root() is None
    docs = DocsWindow()
    qtbot.addWidget(docs)
    text = docs.browser.toPlainText()
    assert text.startswith("The documentation was not found")
    assert str(tmp_path) in text
    assert docs.pages.count() == 0
