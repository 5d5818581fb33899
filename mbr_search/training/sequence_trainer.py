"""The trainer of the Keras sequence families (``kind: sequence``): lstm, tcn, transformer.

Per trial the models are built and compiled once (one per output group, seeded with the
trial seed) and reset between folds (:class:`~mbr_search.models.build.Resettable`); in a
search, a trial of an architecture seen before restarts the earlier trial's compiled models
instead (``training/reuse.py``). Per fold the videos are cut into ``seq_len`` sequences,
standardised with the fold's statistics (kept across trials by the search's sequence
cache), and :func:`~mbr_search.training.fit.fit_fold` trains each group with early
stopping.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from mbr_search._atomic import output_error
from mbr_search.errors import DataError, TrialFailed
from mbr_search.features.store import VideoData
from mbr_search.models import Params, SequenceParams, final_block
from mbr_search.models.heads import is_exclusive
from mbr_search.training._trainer import Augment, FoldFit, FoldLimits, Trainer
from mbr_search.training.fit import EpochCallback, fit_epochs, fit_fold
from mbr_search.training.quiet import mute_retracing_warning
from mbr_search.training.reuse import Reuse, architecture, restart
from mbr_search.training.seeds import OutputGroup, build_group_models, output_groups
from mbr_search.training.sequences import Batchable, Standardiser, cut, unpad

if TYPE_CHECKING:
    from mbr_search.models.build import Resettable


class SequenceTrainer(Trainer):
    """Keras models over sequences of frames; one multi-label model or one per behaviour."""

    suffix = ".keras"

    def __init__(
        self,
        params: Params,
        behaviours: Sequence[str],
        *,
        n_features: int,
        seed: int,
        augment: Augment | None = None,
        reuse: Reuse | None = None,
    ) -> None:
        super().__init__(
            params, behaviours, n_features=n_features, seed=seed, augment=augment, reuse=reuse
        )
        self.models: dict[str, Resettable] = {}
        self._key = architecture(self.sequence_params, self.groups, n_features)
        mute_retracing_warning()  # several models' predictions are not a retracing loop

    def prepare(self) -> None:
        """Seed Keras with the trial seed and build + compile one model per group, once;
        or restart the compiled models an earlier trial of the same architecture left."""
        from mbr_search.models.build import Resettable

        if self.models:
            return
        pool = self.reuse.models if self.reuse is not None else None
        try:
            if pool is not None and (taken := pool.take(self._key)) is not None:
                fresh = build_group_models(
                    self.sequence_params, self.groups, self.n_features, self.seed, compile=False
                )
                if restart(taken, fresh, self.sequence_params.learning_rate):
                    self.models, pool.reused = taken, pool.reused + 1
                    return
            built = build_group_models(
                self.sequence_params, self.groups, self.n_features, self.seed
            )
        except BaseException:
            self.close()  # e.g. out of memory while building: free what was built
            raise
        self.models = {name: Resettable(net) for name, net in built.items()}
        if pool is not None:
            pool.built += 1

    @property
    def sequence_params(self) -> SequenceParams:
        return cast(SequenceParams, self.params)

    def output_groups(self) -> list[OutputGroup]:
        # A softmax spans every behaviour: one model, whatever multi_label says.
        params = self.sequence_params
        return output_groups(self.behaviours, params.multi_label or is_exclusive(params))

    def fit_fold(
        self,
        train: Sequence[VideoData],
        val: Sequence[VideoData],
        scaler: Standardiser,
        *,
        trainable: Collection[int],
        limits: FoldLimits,
        seed: int,
        on_epoch: EpochCallback | None = None,
    ) -> FoldFit:
        self.prepare()
        params = self.sequence_params
        # Augmented copies join the training videos only; ``val`` is cut as given.
        train_seq = self._sequences(train, scaler, seed)
        val_seq = self._sequences(val, scaler, None)
        pred = np.zeros(val_seq.y.shape, dtype=np.float32)
        best: dict[str, int] = {}
        for g in self.groups:
            if not set(g.columns) & set(trainable):
                continue
            result = fit_fold(
                self.models[g.name], train_seq, val_seq, g.columns,
                batch_size=params.batch_size, max_epochs=limits.max_epochs,
                patience=limits.patience, deadline=limits.deadline, seed=seed, on_epoch=on_epoch,
                exclusive=is_exclusive(params),
            )  # fmt: skip
            best[g.name] = result.best_epoch
            for out, col in enumerate(g.columns):
                pred[..., col] = result.val_pred[..., out]
        # This fold's sequences go before the next fold cuts its own: two folds' worth
        # alive at once was the peak of a thesis-scale search (the sequence cache keeps
        # them only within its byte budget).
        del train_seq
        probs = {v.id: unpad(pred, val_seq, v.id) for v in val}
        return FoldFit(probs, best)

    def _sequences(
        self, videos: Sequence[VideoData], scaler: Standardiser, seed: int | None
    ) -> Batchable:
        """``videos`` cut (training videos: with their copies when the trial augments),
        from the search's sequence cache when it has them."""
        seq_len = self.sequence_params.seq_len
        if seed is not None and getattr(self.params, "augment", False):
            return cut(self.with_copies(videos, seed), seq_len, scaler)
        if self.reuse is None:
            return cut(videos, seq_len, scaler)
        key = (tuple(v.id for v in videos), seq_len, scaler.digest())
        return self.reuse.sequences.get(key, lambda: cut(videos, seq_len, scaler))

    def fit_all(
        self,
        videos: Sequence[VideoData],
        scaler: Standardiser,
        rounds: Mapping[str, int],
        *,
        on_epoch: EpochCallback | None = None,
    ) -> dict[str, Any]:
        self.prepare()
        params = self.sequence_params
        # The trial seed draws the copies, as each fold's seed did in the search.
        data = cut(self.with_copies(videos, self.seed), params.seq_len, scaler)
        fitted: dict[str, Any] = {}
        for g in self.groups:
            model = self.models[g.name]
            model.reset()
            try:
                fit_epochs(
                    model.net, data, g.columns, batch_size=params.batch_size,
                    epochs=rounds[g.name], seed=self.seed, on_epoch=on_epoch,
                    exclusive=is_exclusive(params),
                )  # fmt: skip
            except TrialFailed as exc:
                raise TrialFailed(f"model '{g.name}': {exc}") from None
            fitted[g.name] = model.net
        return fitted

    def predict(
        self, models: Mapping[str, Any], video: VideoData, scaler: Standardiser
    ) -> np.ndarray:
        params = self.sequence_params
        data = cut([video], params.seq_len, scaler)
        out = np.zeros((len(data.x), params.seq_len, len(self.behaviours)), dtype=np.float32)
        for g in self.groups:
            pred = models[g.name].predict(data.x, batch_size=max(params.batch_size, 32), verbose=0)
            pred = final_block(pred, len(g.columns))
            for j, col in enumerate(g.columns):
                out[..., col] = pred[..., j]
        return unpad(out, data, video.id)

    def save(self, model: Any, path: Path) -> None:
        # Keras wants the .keras suffix on the file it writes: a hidden temp name beside
        # the target keeps it, and the rename makes the file appear whole or not at all.
        tmp = path.with_name(f".partial-{path.name}")
        try:
            model.save(tmp)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise output_error(path, exc) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def load(self, path: Path) -> Any:
        import keras

        import mbr_search.models.layers
        import mbr_search.models.losses  # noqa: F401  (registers the weighted loss)
        from mbr_search.training.keras_errors import keras_load_message

        custom: dict[str, Any] = {}
        try:
            from tcn import TCN

            custom["TCN"] = TCN
        except ImportError:  # pragma: no cover - keras-tcn is a dependency
            pass
        try:
            return keras.saving.load_model(path, custom_objects=custom, compile=False)
        except (OSError, ValueError, TypeError) as exc:
            # keras_errors words it: one line, never Keras's advice to load unsafely.
            raise DataError(keras_load_message(path, exc)) from exc

    def close(self) -> None:
        """Hand the compiled models to the search's pool, or free them with the session."""
        import gc

        import keras

        if self.reuse is not None and self.reuse.models.size > 0 and self.models:
            self.reuse.models.give(self._key, self.models)
            self.models = {}
            return
        self.models = {}
        keras.backend.clear_session()
        gc.collect()
