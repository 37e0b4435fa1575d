"""pyqtgraph views of a training run: curves, feature maps, filters, confusion matrix.

Views never redraw when data arrives; they keep the latest data and draw it in ``refresh()``,
which the dashboard calls from one GUI-thread timer at a bounded rate (never once per batch).
"""
