"""Readers for what labs have on disk: DeepLabCut pose and behaviour labels."""
