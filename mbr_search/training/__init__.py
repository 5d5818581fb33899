"""Training: cutting videos into sequences, and the only code that fits a model.

:func:`fit.fit_fold` trains a Keras model on one fold with early stopping (the search);
:func:`fit.fit_epochs` trains for a fixed number of epochs (retraining on all training
videos). Both draw batches the same way and share the seeds of :mod:`training.seeds`.
:func:`boost.fit_booster` fits the gbdt family's LightGBM boosters, early-stopped on the
fold's validation frames or for a fixed number of rounds. :mod:`training.threads` sizes the
thread pools all of them run on.
"""
