"""Ensembles: selection (greedy selection with replacement over out-of-fold predictions,
and its cross-fitted estimate) and blend (the mean and selected ensembles decided, scored
and saved like a trial)."""
