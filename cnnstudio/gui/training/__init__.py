"""The training dashboard: data, settings, the run and its live views."""
