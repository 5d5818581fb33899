"""Scores, their uncertainty and the decisions on probabilities: pure numpy, no model, no
file. bootstrap (intervals over videos), counts (F1 from counts), estimate, bouts (runs of
1s, segmental matching), thresholds (max-F1 on out-of-fold predictions), postprocess
(closing, opening, minimum bout length: the rule, its grid and its tuning)."""
