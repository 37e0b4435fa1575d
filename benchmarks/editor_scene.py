"""Canvas speed on a 500-node network, offscreen: open and paint, drag a node, edit a parameter.

Run from the repository root: ``PYTHONPATH=. python benchmarks/editor_scene.py [--runs 7]``. Prints the
median of each measurement and its ratio to the target (below 1.0 meets it). There is no
PyTorch baseline here: what matters is the time a person waits, so the targets are absolute.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QPainter
from PySide6.QtWidgets import QApplication

from cnnstudio.core.commands import SetParams
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.layout import layered_layout
from cnnstudio.core.project import Project
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.view import GraphView

NODES = 500
VIEW_SIZE = (1600, 900)
TARGETS_MS = {
    "open + first paint": 1000.0,
    "drag, per move event": 16.0,
    "edit → redraw, local": 50.0,
    "edit → redraw, global": 50.0,
}


def inception_like(total: int = NODES) -> GraphModel:
    """Input, then blocks of four parallel conv branches joined by Concat, then a classifier."""
    g = GraphModel()
    g.add_node(Node("input", "Input", {"shape": [3, 32, 32]}))
    last, block = "input", 0
    while len(g) + 14 + 4 <= total:
        ends = []
        for b in range(4):
            prev = last
            for kind, params in (
                ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
                ("BatchNorm2d", {}),
                ("ReLU", {}),
            ):
                node_id = f"b{block}_{b}_{kind.lower()}"
                g.add_node(Node(node_id, kind, params))
                g.connect(Edge(prev, node_id))
                prev = node_id
            ends.append(prev)
        cat = f"b{block}_cat"
        g.add_node(Node(cat, "Concat"))
        for port, end in enumerate(ends):
            g.connect(Edge(end, cat, port))
        last = cat
        block += 1
    while len(g) + 4 < total:
        pad = f"tap{len(g)}"
        g.add_node(Node(pad, "Identity"))
        g.connect(Edge(last, pad))
        last = pad
    for node_id, kind, params in (
        ("pool", "AdaptiveAvgPool2d", {}),
        ("flatten", "Flatten", {}),
        ("fc", "Linear", {"out_features": 10}),
        ("out", "Output", {}),
    ):
        g.add_node(Node(node_id, kind, params))
        g.connect(Edge(last, node_id))
        last = node_id
    for node_id, pos in layered_layout(g).items():
        g.move(node_id, pos)
    assert len(g) == total
    return g


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


class Editor:
    """A shown canvas on a project document, as the main window would hold it."""

    def __init__(self, doc: dict) -> None:
        self.document = Document(Project.from_dict(doc))
        self.graph = self.document.graph
        self.stack = self.document.undo_stack
        self.analysis = self.document.analysis
        self.scene = GraphScene(self.document)
        self.view = GraphView(self.scene)
        self.view.resize(*VIEW_SIZE)
        self.view.show()

    def close(self) -> None:
        self.scene.detach()
        self.document.close()
        self.view.setScene(None)
        self.view.deleteLater()
        self.scene.deleteLater()
        QApplication.processEvents()


class Samples:
    """Wall-clock and process-CPU milliseconds of repeated measurements.

    CPU time is printed beside wall time because a shared machine inflates wall time; both
    include everything Qt does in this process (layout, painting into the offscreen surface).
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._started = (0.0, 0.0)

    def start(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def stop(self) -> None:
        wall, cpu = self._started
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)

    def report(self, name: str) -> None:
        wall, cpu = statistics.median(self.wall), statistics.median(self.cpu)
        target = TARGETS_MS[name]
        print(
            f"{name:<23} wall {wall:8.2f} ms  cpu {cpu:8.2f} ms  (n={len(self.wall)})"
            f"  target {target:5.0f} ms  ratio wall {wall / target:4.2f}, cpu {cpu / target:4.2f}"
        )


def time_open(doc: dict, samples: Samples) -> Editor:
    """Load the document, build the scene, fit it into the view and paint it into an image."""
    samples.start()
    editor = Editor(doc)
    editor.view.fit_all()
    image = QImage(*VIEW_SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    editor.view.render(painter)
    painter.end()
    samples.stop()
    return editor


def time_drag(editor: Editor, moves: int, samples: Samples) -> int:
    """Press on a Concat (five wires attached) at 100 %, then move it; each step includes the
    repaint of the damaged region. Returns how many viewport paints happened."""
    view, scene = editor.view, editor.scene
    view.resetTransform()
    item = scene.node_item("b17_cat")
    view.centerOn(item)
    QApplication.processEvents()
    viewport = view.viewport()
    counter = PaintCounter()
    viewport.installEventFilter(counter)

    def send(kind: QEvent.Type, at: QPointF, button: Qt.MouseButton) -> None:
        local = QPointF(view.mapFromScene(at))
        buttons = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseButtonRelease else button
        event = QMouseEvent(kind, local, local, button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    start = item.pos()
    send(QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    counter.paints = 0
    at = start
    for i in range(1, moves + 1):
        at = start + QPointF(3.0 * i, 2.0 * (i % 7))
        samples.start()
        send(QEvent.Type.MouseMove, at, Qt.MouseButton.NoButton)
        QApplication.processEvents()
        samples.stop()
    send(QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    viewport.removeEventFilter(counter)
    assert editor.stack.undoText() == "Move b17_cat", "the drag did not move the node"
    editor.stack.undo()  # every run starts from the same place
    QApplication.processEvents()
    return counter.paints


def time_edit(editor: Editor, node_id: str, edits: int, samples: Samples) -> None:
    """Change a conv's channels; wait for the re-analysis and the repaint it causes."""
    updates: list[int] = []
    editor.analysis.updated.connect(lambda: updates.append(1))
    for i in range(edits):
        updates.clear()
        samples.start()
        editor.document.push(SetParams(node_id, {"out_channels": 8 + (i % 2) * 8}))
        while not updates:
            QApplication.processEvents()
        QApplication.processEvents()  # the repaint the new shapes asked for
        samples.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="repetitions (>= 5)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    app = QApplication.instance() or QApplication([])
    doc = Project(name="bench", graph=inception_like()).to_dict()
    print(f"{NODES} nodes, {len(doc['graph']['edges'])} wires, view {VIEW_SIZE[0]}x{VIEW_SIZE[1]}")

    opens = Samples()
    for _ in range(runs):
        time_open(doc, opens).close()
    opens.report("open + first paint")

    editor = Editor(doc)
    QApplication.processEvents()
    drags, paints = Samples(), 0
    for _ in range(runs):
        paints += time_drag(editor, 30, drags)
    drags.report("drag, per move event")
    print(f"{'':<23} ({paints} viewport paints for {len(drags.wall)} moves)")

    # A conv deep in the network changes a few shapes; the first one reshapes 490 nodes.
    for name, node_id in (("local", "b20_1_conv2d"), ("global", "b0_0_conv2d")):
        edits = Samples()
        time_edit(editor, node_id, runs, edits)
        edits.report(f"edit → redraw, {name}")
    editor.close()
    del app


if __name__ == "__main__":
    main()
