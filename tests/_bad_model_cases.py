"""Generated cases of the mutation harness for model directories: LightGBM text, model.json,
the standardiser and .keras files (tests/test_bad_inputs.py runs them)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from _bad_cases import POSE_TEST, expect
from _bad_inputs import Case, Mutate, World, generic, mutate_file, on_text, values


def _replace(old: str, new: str, count: int = 1) -> Mutate:
    return on_text(lambda t: t.replace(old, new, count))


# --- model directories -------------------------------------------------------------------


def _trees(text: str) -> list[int]:
    """Where each ``Tree=`` block starts, and where the trees end."""
    starts = [m.start() for m in re.finditer(r"^Tree=\d+$", text, re.MULTILINE)]
    return [*starts, text.index("end of trees")]


def _drop_tree(text: str) -> str:
    """The last tree removed (a booster may have stopped after one tree)."""
    bounds = _trees(text)
    return text[: bounds[-2]] + text[bounds[-1] :]


def _cut_mid_tree(text: str) -> str:
    bounds = _trees(text)
    return text[: (bounds[-2] + bounds[-1]) // 2]


def lightgbm_mutations() -> dict[str, Mutate]:
    out = dict(generic())
    out.update({
        "tree_removed": on_text(_drop_tree),
        "cut_mid_tree": on_text(_cut_mid_tree),
        "end_of_trees_missing": _replace("end of trees", ""),
        "tree_sizes_wrong": on_text(lambda t: t.replace("tree_sizes=", "tree_sizes=9", 1)),
        "header_missing": on_text(lambda t: t.split("\n\n", 1)[-1]),
        "num_class_changed": _replace("num_class=1", "num_class=3"),
    })  # fmt: skip
    return out


def _model_case(kind: str, name: str, mutate: Mutate, file: str, command: str) -> Case:
    def prepare(case_dir: Path, world: World) -> list[str]:
        import shutil

        model = shutil.copytree(world.out / "model", case_dir / "model")
        mutate_file(model / file, mutate)
        pose = str(world.rat / POSE_TEST)
        out = ["--out", str(case_dir / "out")]
        if command == "suggest":
            return ["suggest", str(model), pose, *out, "--n", "2"]
        return ["predict", str(model), pose, *out]

    # these once killed the process in LightGBM's C++ (abort, segfault): a regression must
    # fail one case, not the whole test run
    child = kind == "lightgbm" and name in ("tree_removed", "cut_mid_tree", "cut_at_99pct")
    return Case(f"{kind}-{command}-{name}", prepare, expect=expect(name), subprocess=child)


def model_json_mutations() -> dict[str, Mutate]:
    out = dict(generic())
    out.update({
        "behaviours_missing": _replace('"behaviours"', '"behaviourz"'),
        "features_missing": _replace('"features"', '"featurez"'),
        "member_file_escape": on_text(lambda t: t.replace('"m0_', '"../../m0_', 1)),
        "member_file_absolute": on_text(lambda t: t.replace('"m0_', '"/etc/m0_', 1)),
        "augment_missing": _replace('"augment"', '"augmentz"'),
        "augment_rotate_string": _replace('"rotate": true', '"rotate": "yes"'),
        "augment_not_a_mapping": _replace('"augment": {', '"augment": 3, "unused": {'),
    })  # fmt: skip
    for name, value in values("").items():
        shown = value if name != "string" else '"abc"'
        out[f"fps_{name}"] = _replace('"fps": 10.0', f'"fps": {shown}')
        out[f"augment_noise_{name}"] = _replace('"noise": 0.02', f'"noise": {shown}')
        out[f"threshold_{name}"] = on_text(
            lambda t, s=shown: t.replace(
                t[t.index('"social": 0.') :].split(",")[0], f'"social": {s}', 1
            )
        )
    return out


def model_cases() -> list[Case]:
    cases = [_model_case("lightgbm", n, m, "m0_social.txt", "predict")
             for n, m in lightgbm_mutations().items()]  # fmt: skip
    cases += [_model_case("model_json", n, m, "model.json", "predict")
              for n, m in model_json_mutations().items()]  # fmt: skip
    cases += [_model_case("standardiser", n, m, "standardiser.npz", "predict")
              for n, m in generic().items()]  # fmt: skip
    for name in ("empty", "cut_at_half", "junk_bytes"):
        cases.append(_model_case("lightgbm", name, generic()[name], "m0_social.txt", "suggest"))
    return cases


def keras_mutations() -> dict[str, Mutate]:
    def rezip(drop: str) -> Mutate:
        def edit(data: bytes) -> bytes:
            import io

            src = zipfile.ZipFile(io.BytesIO(data))
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as dst:
                for item in src.infolist():
                    if item.filename != drop:
                        dst.writestr(item, src.read(item.filename))
            return buf.getvalue()

        return edit

    gen = generic()
    return {
        "empty": gen["empty"], "cut_at_half": gen["gzip_cut"], "cut_at_99pct": lambda d: d[:-40],
        "junk_bytes": gen["junk_bytes"], "no_config": rezip("config.json"),
        "no_weights": rezip("model.weights.h5"),
    }  # fmt: skip
