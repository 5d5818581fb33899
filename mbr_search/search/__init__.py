"""The search: folds, sequences, models, the objective and the study runner."""
