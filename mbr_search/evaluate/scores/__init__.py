"""Scores and decisions of one model: metrics (frame and bout level, per video and pooled,
as MetricEntry), decisions (thresholds and post-processing chosen on out-of-fold
predictions), estimates (intervals and paired differences), ceiling (rater agreement)."""
