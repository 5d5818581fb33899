"""CNN frame embeddings: decode a video, crop on the animal, run a pretrained backbone, cache.

Public API: :mod:`mbr_search.embed.settings` (what to compute and where it is cached) and
:mod:`mbr_search.embed.pipeline` (computing it). Keras and OpenCV are imported lazily by the
modules that need them so that reading settings stays cheap.
"""
