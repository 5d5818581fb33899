"""Per-frame features: pose features computed from keypoints and the on-disk feature cache."""
