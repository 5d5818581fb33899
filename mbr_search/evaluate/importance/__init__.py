"""Permutation importance of feature groups: permutation (pure: permute a group, score
again) and run (which trial and families, the fold refit, the results.json entry)."""
