"""From a finished study to answers: retrain the best trials, score test videos, save models.

The one entry point is :func:`mbr_search.evaluate.core.evaluate_study`; the other modules
each hold one subject (metrics, thresholds, post-processing, bouts, human ceiling,
ensemble, retraining, model directories) and none of them imports TensorFlow at import time.
"""
