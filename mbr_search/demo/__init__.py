"""A synthetic open field for tests, demos and benchmarks (``mbr-search demo-data``)."""
