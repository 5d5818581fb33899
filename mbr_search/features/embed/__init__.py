"""CNN frame embeddings: decode a video, crop on the animal, run a pretrained backbone, cache.

What to compute is :class:`mbr_search.config.embed.EmbedSettings`; where it is cached is
:mod:`mbr_search.features.embeddings`; computing it is :mod:`mbr_search.features.embed.pipeline`.
Keras and OpenCV are imported lazily by the modules that need them.
"""
