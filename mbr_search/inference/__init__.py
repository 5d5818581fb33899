"""A saved model and its use on new videos, shared by ``evaluate`` (which writes it and
scores the test videos with it), ``predict`` and ``suggest``: the model directory format
(model_dir, model_member, model_features, model_files), probabilities from it
(probabilities), the per-frame CSV (frames_csv) and per-behaviour summaries (summary)."""
