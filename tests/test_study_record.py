"""The study's own record (what run stores on a study), typed both ways."""

from __future__ import annotations

import optuna

from mbr_search.search.folds import FoldSummary
from mbr_search.search.study_record import StudyRecord


def test_study_record_round_trips_through_a_real_study_and_writes_only_changes() -> None:
    study = optuna.create_study(storage="sqlite:///:memory:", direction="maximize")
    record = StudyRecord(
        study_file="studies/x.yaml", dataset="d.yaml", backbone="pose", space="s.yaml",
        behaviours=("social", "aggression"), baseline_pr_auc=0.21,
        folds=(FoldSummary(0, ("rat01", "rat02"), {"social": 0.3, "aggression": 0.05}),),
        overrides=(("storage", "postgresql://mbr:***@db/x"), ("seed", 3)),
    )  # fmt: skip
    record.write(study)
    assert StudyRecord.from_study(study) == record
    writes: list[str] = []
    original = study.set_user_attr
    study.set_user_attr = lambda k, v: (writes.append(k), original(k, v))  # type: ignore[method-assign]
    record.write(study)
    assert writes == []  # a resumed run with nothing new writes nothing


def test_an_older_study_reads_as_empty_fields() -> None:
    record = StudyRecord.from_attrs({"baseline_pr_auc": "junk", "folds": [{"index": 0}]})
    assert record == StudyRecord()
    assert StudyRecord.from_attrs({"behaviours": ["a"], "overrides": [["k", 1], "bad"]}) == (
        StudyRecord(behaviours=("a",), overrides=(("k", 1),))
    )
