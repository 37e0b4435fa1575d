"""The canvas widget: zoom around the cursor, pan, fit, and drops from the palette or the desktop.

Scroll bars are hidden and the scene is effectively unbounded, so panning never hits an edge;
the grid is drawn by the scene and cached here as a background pixmap.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPixmapCache,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from cnnstudio.core.project import EXTENSION
from cnnstudio.gui.editor.mime import block_type_from_mime, definition_from_mime
from cnnstudio.gui.editor.scene import GraphScene

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
ZOOM_STEP = 1.25
FIT_MARGIN = 40.0
# Nodes are cached as device pixmaps in QPixmapCache; Qt's default 10 MB holds only about 60
# nodes at 200 % scaling, so a full screen of them would be re-rendered on every repaint.
PIXMAP_CACHE_KB = 64 * 1024
EMPTY_HINT = (
    "Drag blocks here from the palette on the left,\n"
    "double-click one there, or press Tab to search for one."
)


class GraphView(QGraphicsView):
    zoom_changed = Signal(int)
    file_dropped = Signal(str)
    # The view was fitted and nobody has zoomed or panned since, but the viewport or the
    # network's size changed: the window fits it again (so thumbnails or docks do not crop it).
    refit_wanted = Signal()

    def __init__(self, scene: GraphScene | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space_held = False
        self._hint_shown = False
        self.following_fit = False  # fitted by fit_all, not zoomed or panned by the user since
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self.zoom_changed.connect(self._tell_scene_the_scale)
        if scene is not None:
            self.setScene(scene)
            self.centerOn(0, 0)

    # ---- an empty canvas says how to start --------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        """The hint over an empty canvas. (Not in ``paintEvent``: a Python override of it would
        hold the GIL through Qt's whole repaint, which a training thread waits for.)"""
        super().drawForeground(painter, rect)
        scene = self.graph_scene()
        empty = scene is not None and len(scene.graph) == 0
        if empty != self._hint_shown:  # the hint comes or goes: repaint all of the viewport
            self._hint_shown = empty
            self.viewport().update()
        if empty:
            painter.save()
            painter.resetTransform()
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
            painter.restore()

    def _tell_scene_the_scale(self) -> None:
        scene = self.graph_scene()
        if scene is not None:
            scene.set_view_scale(self.transform().m11())

    def graph_scene(self) -> GraphScene | None:
        """The scene shown, or None while the window has not set one."""
        scene = self.scene()
        return scene if isinstance(scene, GraphScene) else None

    # ---- zoom ------------------------------------------------------------------------------
    @property
    def zoom_percent(self) -> int:
        return round(self.transform().m11() * 100)

    def zoom_in(self) -> None:
        self.following_fit = False
        self._zoom_at(ZOOM_STEP, self.viewport().rect().center())

    def zoom_out(self) -> None:
        self.following_fit = False
        self._zoom_at(1 / ZOOM_STEP, self.viewport().rect().center())

    def set_zoom(self, scale: float) -> None:
        """Zoom to ``scale`` (1.0 = 100 %) around the viewport's centre."""
        self._zoom_at(scale / self.transform().m11(), self.viewport().rect().center())

    def _zoom_at(self, factor: float, anchor: QPoint) -> None:
        """Scale by ``factor`` keeping the scene point under ``anchor`` (viewport pixels) fixed."""
        current = self.transform().m11()
        target = min(max(current * factor, MIN_ZOOM), MAX_ZOOM)
        if abs(target - current) < 1e-9:
            return
        fixed = self.mapToScene(anchor)
        self.scale(target / current, target / current)
        drift = self.mapFromScene(fixed) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())
        self.zoom_changed.emit(self.zoom_percent)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.pixelDelta().y()
        if delta:
            self.following_fit = False
            self._zoom_at(1.0015**delta, event.position().toPoint())
        event.accept()

    def fit_all(self) -> None:
        """Show every node and wire, at most at 100 % (a small graph is not blown up)."""
        scene = self.graph_scene()
        if scene is None:
            return
        rect = scene.network_rect()
        if rect.isNull():
            self.set_zoom(1.0)
            self.centerOn(0, 0)
            return
        rect.adjust(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height())
        scale = min(max(scale, MIN_ZOOM), 1.0)
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom_percent)
        self.following_fit = True

    def refit_if_following(self) -> None:
        """Ask for a new fit if the view still shows the last one (see ``refit_wanted``)."""
        if self.following_fit:
            self.refit_wanted.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refit_if_following()

    def center_on_node(self, node_id: str) -> None:
        scene = self.graph_scene()
        if scene is not None:
            self.following_fit = False
            self.centerOn(scene.node_item(node_id))

    # ---- pan: middle button, or Space + left button ----------------------------------------
    # The keys and gestures handled here rather than by QActions (Tab reaches the window's event
    # filter first, which opens quick add); Help > Keyboard Shortcuts lists this table.
    HANDLED_KEYS = (
        ("Space+drag, middle drag", "Pan the canvas"),
        ("Mouse wheel", "Zoom around the mouse"),
        ("Tab", "Search for a block and add it at the mouse"),
    )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_held
        )
        if pan:
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self.following_fit = False
            self._pan_from = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - round(delta.x()))
            v.setValue(v.value() - round(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self._restore_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self._restore_cursor()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self._restore_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _restore_cursor(self) -> None:
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # ---- drops -----------------------------------------------------------------------------
    def _dropped_file(self, event: QDropEvent) -> str | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and url.toLocalFile().endswith(EXTENSION):
                return url.toLocalFile()
        return None

    def _accepts(self, event: QDropEvent) -> bool:
        mime = event.mimeData()
        return (
            block_type_from_mime(mime) is not None
            or definition_from_mime(mime) is not None
            or self._dropped_file(event) is not None
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
            scene = self.graph_scene()
            mime = event.mimeData()
            dragging = block_type_from_mime(mime) or definition_from_mime(mime)
            if scene is not None and dragging is not None:
                scene.drop_hover(self.mapToScene(event.position().toPoint()))
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        scene = self.graph_scene()
        if scene is not None:
            scene.drop_hover(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        block_type = block_type_from_mime(event.mimeData())
        scene = self.graph_scene()
        definition = definition_from_mime(event.mimeData())
        if definition is not None and scene is not None:
            event.acceptProposedAction()
            scene.drop_definition(definition, self.mapToScene(event.position().toPoint()))
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if block_type is not None and scene is not None:
            event.acceptProposedAction()
            scene.drop_block(block_type, self.mapToScene(event.position().toPoint()))
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        path = self._dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.file_dropped.emit(path)
            return
        event.ignore()
