"""From a finished study to answers: retrain the best trials, score test videos, save models.

The one entry point is :func:`mbr_search.evaluate.core.evaluate_study`. Beside it: trials
(which trials to take), runner (one trial: decide, retrain, score, save), retrain,
features_info, summaries_out and printed; the subpackages results/ (the results.json
document), scores/ (metrics, decisions, estimates, human ceiling), ensemble/ (selection and
the ensembles built from it) and importance/. The model directory and inference are
:mod:`mbr_search.inference`; bouts, thresholds and post-processing are pure and live in
:mod:`mbr_search.scoring`. None of these imports TensorFlow at import time.
"""
