"""Scores and their uncertainty: pure numpy, no model, no file."""
