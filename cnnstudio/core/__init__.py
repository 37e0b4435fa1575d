"""Pure-Python heart of cnnstudio: graph model, block library, shape analysis, project files."""
