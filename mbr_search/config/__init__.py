"""Typed, frozen configuration read from YAML files (studies, search spaces, datasets)."""
