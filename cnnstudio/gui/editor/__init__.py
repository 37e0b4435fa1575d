"""The node editor: the canvas (scene, view, items), its palette and its colours.

Import from the modules (``cnnstudio.gui.editor.scene`` ...); this package stays empty so that
``cnnstudio.gui.analysis_model`` can use its helpers without a circular import.
"""
