"""Datasets and the trainer (no Qt): everything needed to train a project headless."""
