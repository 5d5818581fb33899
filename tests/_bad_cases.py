"""The generated cases of the mutation harness, one list per kind of file the product reads
(tests/test_bad_inputs.py runs them). Every case is built from a fixed mutation table, so a
new reader or a new mutation adds cases, never hand-written expectations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from _bad_inputs import (
    TINY_GBDT,
    Case,
    Mutate,
    World,
    copy_dataset,
    generic,
    mutate_file,
    on_rows,
    on_text,
    study_text,
    values,
)

#: Mutations that must be refused (the rest may be read or refused), and those whose
#: result must equal the unmutated data's (silently wrong results are the hole they test).
MUST_REFUSE = {
    "keypoint_renamed", "keypoint_missing", "one_animal", "three_animals",
    "interval_past_end_S1", "interval_past_end_S2", "no_positive_behaviour",
    "tree_removed", "cut_mid_tree", "end_of_trees_missing", "tree_sizes_wrong",
    "empty", "junk_bytes", "cut_at_half", "cut_at_2pct", "utf16",
    "member_file_escape", "member_file_absolute",
}  # fmt: skip
MUST_MATCH = {"keypoints_reordered"}


def expect(name: str) -> str | None:
    if name in MUST_MATCH:
        return "same"
    return "error" if name in MUST_REFUSE else None


POSE_TRAIN = "dlc/1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
POSE_TEST = "dlc/8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
CALTECH = "annotations/1_annot.txt"
INTERVALS = "AllLabDataOFT_OFT38_OFT44.csv"
ALIAS_BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
)


def run_argv(case_dir: Path, study: Path, *extra: str) -> list[str]:
    return [
        "run", str(study), "--trials", "1", "--no-progress", "--storage",
        f"sqlite:///{case_dir / 's.db'}", "--set", "training.max_epochs=1", *extra,
    ]  # fmt: skip


def rat_study(case_dir: Path, world: World, dataset: Path | None = None) -> Path:
    """The case's own copy of the rat data (symlinks) and a study of it."""
    data = dataset or copy_dataset(world.rat, case_dir / "data") / "dataset.yaml"
    (case_dir / "space.yaml").write_text(TINY_GBDT)
    study = case_dir / "study.yaml"
    study.write_text(study_text(data))
    return study


# --- pose (DeepLabCut CSV) ---------------------------------------------------------------


def _columns(rows: list[list[str]], individual: str | None, bodypart: str) -> list[int]:
    return [
        i for i in range(1, len(rows[2]))
        if rows[2][i] == bodypart and (individual is None or rows[1][i] == individual)
    ]  # fmt: skip


def _permute(order: Callable[[list[list[str]]], list[int]]) -> Mutate:
    return on_rows(lambda rows: [[r[i] for i in order(rows) if i < len(r)] for r in rows])


def _swap_top_tail(rows: list[list[str]]) -> list[int]:
    idx = list(range(len(rows[2])))
    for ind in ("individual1", "individual2"):
        top, tail = _columns(rows, ind, "top"), _columns(rows, ind, "tail")
        for a, b in zip(top, tail, strict=True):
            idx[a], idx[b] = idx[b], idx[a]
    return idx


def _set_cells(column: Callable[[list[list[str]]], list[int]], value: str) -> Mutate:
    def edit(rows: list[list[str]]) -> list[list[str]]:
        cols = column(rows)
        return rows[:4] + [[value if i in cols else c for i, c in enumerate(r)] for r in rows[4:]]

    return on_rows(edit)


def _relabel(row: int, old: str, new: str) -> Mutate:
    def edit(rows: list[list[str]]) -> list[list[str]]:
        rows[row] = [new if c == old else c for c in rows[row]]
        return rows

    return on_rows(edit)


def pose_mutations() -> dict[str, Mutate]:
    body_x = lambda rows: _columns(rows, "individual1", "body")[:1]  # noqa: E731
    out = dict(generic())
    out.update({
        "keypoints_reordered": _permute(_swap_top_tail),
        "keypoint_renamed": _relabel(2, "tail-e", "tailend"),
        "keypoint_missing": _permute(
            lambda rows: [i for i in range(len(rows[2])) if rows[2][i] != "tail-e"]
        ),
        "keypoint_duplicated": _permute(
            lambda rows: list(range(len(rows[2]))) + _columns(rows, "individual1", "top")
        ),
        "one_animal": _permute(
            lambda rows: [i for i in range(len(rows[1])) if rows[1][i] != "individual2"]
        ),
        "three_animals": on_rows(lambda rows: [
            r + (["individual3"] * 15 if k == 1 else r[16:31]) for k, r in enumerate(rows)
        ]),
        "rows_duplicated": on_rows(lambda rows: rows[:4] + [r for r in rows[4:] for _ in (0, 1)]),
        "header_row_missing": on_rows(lambda rows: rows[:2] + rows[3:]),
    })  # fmt: skip
    for name, value in values("").items():
        out[f"x_{name}"] = _set_cells(body_x, value)
    out["likelihood_7"] = _set_cells(lambda rows: [3], "7")
    return out


def _pose_run(name: str, mutate: Mutate) -> Case:
    def prepare(case_dir: Path, world: World) -> list[str]:
        study = rat_study(case_dir, world)
        mutate_file(case_dir / "data" / POSE_TRAIN, mutate)
        return run_argv(case_dir, study)

    return Case(f"pose-run-{name}", prepare, expect=expect(name))


def _pose_predict(name: str, mutate: Mutate) -> Case:
    def prepare(case_dir: Path, world: World) -> list[str]:
        pose = case_dir / "rat08.csv.gz"
        pose.write_bytes(mutate((world.rat / POSE_TEST).read_bytes()))
        return ["predict", str(world.out / "model"), str(pose), "--out", str(case_dir / "out")]

    schema = {"keypoint_renamed", "keypoint_missing", "one_animal", "three_animals", "empty"}
    return Case(f"pose-predict-{name}", prepare, expect="error" if name in schema else None)


def pose_cases() -> list[Case]:
    muts = pose_mutations()
    return [_pose_run(n, m) for n, m in muts.items()] + [
        _pose_predict(n, m) for n, m in muts.items()
    ]


# --- labels ------------------------------------------------------------------------------


def _replace(old: str, new: str, count: int = 1) -> Mutate:
    return on_text(lambda t: t.replace(old, new, count))


def _replace_last(old: str, new: str) -> Mutate:
    return on_text(lambda t: new.join(t.rsplit(old, 1)))


def caltech_mutations() -> dict[str, Mutate]:
    out = dict(generic())
    out.update({
        "interval_past_end_S1": _replace("4305\t4500\tsocial", "4305\t9999\tsocial"),
        "interval_past_end_S2": _replace_last("\t4500\t", "\t9999\t"),
        "interval_huge": _replace("4305\t4500\tsocial", "4305\t" + "9" * 30 + "\tsocial"),
        "starts_at_zero": _replace("\t1\t535\t", "\t0\t535\t"),
        "negative_start": _replace("\t1\t535\t", "\t-5\t535\t"),
        "reversed": _replace("\t536\t961\t", "\t961\t536\t"),
        "float_frame": _replace("\t535\t", "\t535.5\t"),
        "string_frame": _replace("\t535\t", "\tabc\t"),
        "lines_duplicated": on_text(lambda t: "\n".join(
            x for line in t.splitlines() for x in ((line, line) if "\t" in line[:4] else (line,))
        )),
        "behaviour_renamed": _replace("social", "sociable", 1000),
        "stream_header_missing": _replace("S1:", "", 1),
        "first_line_missing": on_text(lambda t: t.split("\n", 1)[1]),
    })  # fmt: skip
    return out


def _labels_run(kind: str, name: str, mutate: Mutate, target: str) -> Case:
    def prepare(case_dir: Path, world: World) -> list[str]:
        study = rat_study(case_dir, world)
        mutate_file(case_dir / "data" / target, mutate)
        return run_argv(case_dir, study)

    return Case(f"{kind}-run-{name}", prepare, expect=expect(name))


def caltech_cases() -> list[Case]:
    return [_labels_run("caltech", n, m, CALTECH) for n, m in caltech_mutations().items()]


def interval_mutations() -> dict[str, Mutate]:
    out = dict(generic())
    out.update({
        "column_renamed": _replace('"from"', '"start"'),
        "column_missing": on_rows(lambda rows: [r[:3] + r[4:] for r in rows], ";"),
        "column_duplicated": on_rows(lambda rows: [[*r, r[4]] for r in rows], ";"),
        "rows_duplicated": on_rows(
            lambda rows: rows[:1] + [r for r in rows[1:] for _ in (0, 1)], ";"
        ),
        "from_after_to": on_rows(
            lambda rows: rows[:1] + [[r[0], r[1], r[3], r[2], *r[4:]] for r in rows[1:]], ";"
        ),
        "id_unknown": _replace('"OFT_44"', '"OFT_99"', 10_000),
    })  # fmt: skip
    for name, value in values("").items():
        out[f"from_{name}"] = on_rows(
            lambda rows, v=value: rows[:1] + [[r[0], r[1], v, *r[3:]] for r in rows[1:]], ";"
        )
    return out


def oft_study(case_dir: Path, world: World) -> Path:
    data = copy_dataset(world.oft, case_dir / "data") / "dataset.yaml"
    (case_dir / "space.yaml").write_text(TINY_GBDT)
    study = case_dir / "study.yaml"
    study.write_text(study_text(data, "[wall_rearing, mid_rearing]"))
    return study


def interval_cases() -> list[Case]:
    def make(name: str, mutate: Mutate) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            study = oft_study(case_dir, world)
            mutate_file(case_dir / "data" / INTERVALS, mutate)
            return run_argv(case_dir, study)

        return Case(f"intervals-run-{name}", prepare)

    return [make(n, m) for n, m in interval_mutations().items()]


def frame_csv_mutations() -> dict[str, Mutate]:
    out = dict(generic())
    out.update({
        "column_renamed": _replace("social", "sociable"),
        "column_missing": on_rows(lambda rows: [r[:1] + r[2:] for r in rows]),
        "column_duplicated": on_rows(lambda rows: [[*r, r[1]] for r in rows]),
        "rows_duplicated": on_rows(lambda rows: rows[:1] + [r for r in rows[1:] for _ in (0, 1)]),
        "rows_missing": on_rows(lambda rows: rows[:1] + rows[1::2]),
        "value_two": on_rows(lambda rows: rows[:1] + [[r[0], "2", *r[2:]] for r in rows[1:]]),
    })  # fmt: skip
    for name, value in values("").items():
        out[f"value_{name}"] = on_rows(
            lambda rows, v=value: rows[:1] + [[r[0], v, *r[2:]] for r in rows[1:]]
        )
    return out


def frame_csv_cases() -> list[Case]:
    """Per-frame CSV labels (``frame_csv``) of rat01, written from its Caltech labels."""

    def make(name: str, mutate: Mutate) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            data = copy_dataset(world.root / "frames", case_dir / "data")
            mutate_file(data / "rat01.csv", mutate)
            return run_argv(case_dir, rat_study(case_dir, world, data / "dataset.yaml"))

        return Case(f"frame_csv-run-{name}", prepare)

    return [make(n, m) for n, m in frame_csv_mutations().items()]


def boris_cases() -> list[Case]:
    """BORIS v8 tabular CSV of rat01, written from its Caltech labels."""
    muts = dict(generic())
    muts["status_renamed"] = _replace("STOP", "HALT", 1000)
    muts["time_column_renamed"] = _replace("Time", "Zeit", 1)
    for name, value in values("").items():
        muts[f"time_{name}"] = on_rows(
            lambda rows, v=value: rows[:2] + [[*r[:13], v, *r[14:]] for r in rows[2:]]
        )

    def make(name: str, mutate: Mutate) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            data = copy_dataset(world.root / "boris", case_dir / "data")
            mutate_file(data / "rat01.csv", mutate)
            return run_argv(case_dir, rat_study(case_dir, world, data / "dataset.yaml"))

        return Case(f"boris-run-{name}", prepare)

    return [make(n, m) for n, m in muts.items()]
