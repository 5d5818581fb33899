"""Generated cases for the YAML files (dataset manifests, studies, spaces), the storages and
every numeric CLI option of the mutation harness (tests/test_bad_inputs.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from _bad_cases import (
    ALIAS_BOMB,
    POSE_TEST,
    POSE_TRAIN,
    expect,
    rat_study,
    run_argv,
)
from _bad_inputs import TINY_GBDT, Case, Mutate, World, copy_dataset, generic, on_text, values


def _yaml_edits(numbers: dict[str, str]) -> dict[str, Mutate]:
    """Every number of ``numbers`` (its line, as written) set to each bad value, plus the
    YAML tricks: a Python tag, an alias, an alias bomb."""
    out = dict(generic())
    for line, key in numbers.items():
        for name, value in values("").items():
            out[f"{key}_{name}"] = on_text(
                lambda t, a=line, k=key, v=value: t.replace(a, f"{k}: {v}", 1)
            )
    out["python_tag"] = on_text(lambda t: t + "\nextra: !!python/object/apply:os.system [ls]\n")
    out["unknown_tag"] = on_text(lambda t: t.replace("name:", "name: !secret", 1))
    out["alias"] = on_text(lambda t: "x-anchor: &a 1\n" + t + "\nx-again: *a\n")
    return out


MANIFEST_NUMBERS = {
    "fps: 30": "fps",
    "length_tolerance: 10": "length_tolerance",
    "likelihood_threshold: 0.3": "likelihood_threshold",
}


def manifest_mutations() -> dict[str, Mutate]:
    pose = POSE_TRAIN
    out = _yaml_edits(MANIFEST_NUMBERS)
    out.update({
        "pose_path_dotdot": on_text(lambda t: t.replace(pose, f"../data/{pose}", 1)),
        "pose_path_escape": on_text(lambda t: t.replace(pose, "../../../../../../etc/hostname", 1)),
        "pose_path_absolute": on_text(lambda t: t.replace(pose, "/etc/hostname", 1)),
        "pose_path_directory": on_text(lambda t: t.replace(pose, "dlc", 1)),
        "pose_symlink_loop": on_text(lambda t: t.replace(pose, "loop.csv", 1)),
        "video_duplicated": on_text(lambda t: t.replace("  - {id: rat02", "  - {id: rat01", 1)),
        "split_unknown": on_text(lambda t: t.replace("split: train", "split: validation", 1)),
        "behaviour_twice": on_text(lambda t: t.replace("aggression]", "aggression, social]", 1)),
        "stream_unknown": on_text(lambda t: t.replace("stream: S1", "stream: S9", 1)),
        "no_positive_behaviour": on_text(
            lambda t: t.replace("  stream: S1", "  stream: S1\n  names: {aggression: freezing}", 1)
        ),
    })  # fmt: skip
    return out


def manifest_cases() -> list[Case]:
    # the security part of issue 22 (safe names, the YAML alias limit) has landed: these
    # must be refused, not only end cleanly
    refused = {"video_id_escape", "alias_bomb"}

    def make(name: str, mutate: Mutate) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            data = copy_dataset(world.rat, case_dir / "data")
            (data / "loop.csv").symlink_to(data / "loop.csv")
            manifest = data / "dataset.yaml"
            manifest.write_bytes(mutate(manifest.read_bytes()))
            return run_argv(case_dir, rat_study(case_dir, world, manifest))

        must = "error" if name in refused else expect(name) if name not in generic() else None
        return Case(f"manifest-run-{name}", prepare, expect=must)

    muts = manifest_mutations()
    muts["video_id_escape"] = on_text(lambda t: t.replace("id: rat08", "id: ../../../ESCAPE", 1))
    muts["alias_bomb"] = on_text(lambda t: ALIAS_BOMB + t)
    return [make(n, m) for n, m in muts.items()]


STUDY_NUMBERS = {
    "fps: 10": "fps",
    "seed: 0": "seed",
    "training: {max_epochs: 1, patience: 1}": "training",
    "cv: {scheme: leave_one_video_out, max_folds: 1, promote: 0}": "cv",
}


def study_cases() -> list[Case]:
    muts = _yaml_edits(STUDY_NUMBERS)
    muts["space_path_escape"] = on_text(
        lambda t: t.replace("space: space.yaml", "space: ../../../../etc/hostname")
    )
    muts["behaviour_unknown"] = on_text(lambda t: t.replace("aggression]", "grooming]"))
    refused = {"name_escape", "alias_bomb"}  # landed with the security part of issue 22
    muts["name_escape"] = on_text(lambda t: t.replace("name: bad", "name: ../../../ESCAPE"))
    muts["alias_bomb"] = on_text(lambda t: ALIAS_BOMB + t)

    def make(name: str, mutate: Mutate, command: str) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            study = rat_study(case_dir, world, world.rat / "dataset.yaml")
            study.write_bytes(mutate(study.read_bytes()))
            if command == "run":
                # the value under test is the file's: no --set of max_epochs over it
                return run_argv(case_dir, study)[:-2]
            base = ["--storage", world.storage, "--study-name", "bad"]
            if command == "report":
                return ["report", str(study), *base, "--out", str(case_dir / "out")]
            if command == "init":
                return ["init", str(study), "--storage", f"sqlite:///{case_dir / 's.db'}"]
            return ["evaluate", str(study), *base, "--top", "1", "--out", str(case_dir / "out")]

        return Case(f"study-{command}-{name}", prepare, expect="error" if name in refused else None)

    cases = [make(n, m, "run") for n, m in muts.items()]
    for name in ("empty", "junk_bytes", "utf16", "python_tag", "name_escape", "alias_bomb"):
        cases += [make(name, muts[name], c) for c in ("report", "init", "evaluate")]
    return cases


def space_cases() -> list[Case]:
    muts = _yaml_edits({"low: 4": "low", "high: 8": "high", "max_rounds: 5": "max_rounds"})
    muts["low_above_high"] = on_text(lambda t: t.replace("low: 4", "low: 80"))
    muts["type_unknown"] = on_text(lambda t: t.replace("type: int", "type: integer"))
    muts["model_unknown"] = on_text(lambda t: t.replace("model: gbdt", "model: xgboost"))
    muts["choices_empty"] = on_text(
        lambda t: t.replace("{type: int, low: 4, high: 8}", "{type: categorical, choices: []}")
    )

    def make(name: str, mutate: Mutate) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            study = rat_study(case_dir, world, world.rat / "dataset.yaml")
            space = case_dir / "space.yaml"
            space.write_bytes(mutate(TINY_GBDT.encode()))
            return run_argv(case_dir, study)

        return Case(f"space-run-{name}", prepare)

    return [make(n, m) for n, m in muts.items()]


def storage_cases() -> list[Case]:
    def make(name: str, mutate: Mutate, command: str) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            db = case_dir / "copy.db"
            db.write_bytes(mutate(Path(world.storage.removeprefix("sqlite:///")).read_bytes()))
            url = f"sqlite:///{db}"
            if command == "studies":
                return ["studies", "--storage", url]
            return [command, str(world.study), "--storage", url, "--out", str(case_dir / "out")]

        return Case(f"sqlite-{command}-{name}", prepare)

    muts = {k: generic()[k] for k in ("empty", "cut_at_half", "junk_bytes", "nul_bytes")}
    return [make(n, m, c) for n, m in muts.items() for c in ("studies", "report", "evaluate")]


def _option_case(command: str, option: str, value: str) -> Case:
    def prepare(case_dir: Path, world: World) -> list[str]:
        out = ["--out", str(case_dir / "out")]
        if command == "run":
            study = rat_study(case_dir, world, world.rat / "dataset.yaml")
            argv = run_argv(case_dir, study)
            if option == "--trials":
                argv[argv.index("--trials") + 1] = value
                return [*argv, "--timeout", "1"]  # a huge target ends after one trial
            return [*argv, option, value]
        if command == "evaluate":
            model = ["--storage", world.storage]
            return ["evaluate", str(world.study), *model, option, value, *out]
        if command == "set":
            study = rat_study(case_dir, world, world.rat / "dataset.yaml")
            return [*run_argv(case_dir, study), "--set", f"{option}={value}"]
        pose = str(world.rat / POSE_TEST)
        return [command, str(world.out / "model"), pose, option, value, *out]

    return Case(f"option-{command}{option}-{value}", prepare)


OPTIONS = {
    "run": ("--trials", "--timeout", "--recycle-after", "--budget"),
    "evaluate": ("--top",),
    "predict": ("--fps",),
    "suggest": ("--n", "--min-seconds", "--max-seconds", "--gap-seconds", "--fps"),
    "set": ("training.max_epochs", "training.patience", "fps", "cv.max_folds", "seed"),
}


def option_cases() -> list[Case]:
    bad = [v for k, v in values("").items()]
    cases = [_option_case(c, o, v) for c, opts in OPTIONS.items() for o in opts for v in bad]
    # the values a user might mean as "very long": never a huge number of trials started
    cases.append(_option_case("set", "seed", "99999999999999999999"))
    return cases


def symlink_cases() -> list[Case]:
    """A pose file that is a symlink (read through it) and one pointing at a folder."""

    def make(name: str, target: str) -> Case:
        def prepare(case_dir: Path, world: World) -> list[str]:
            data = copy_dataset(world.rat, case_dir / "data")
            link = data / POSE_TRAIN
            link.unlink()
            link.symlink_to(world.rat / POSE_TRAIN if target == "file" else data / "dlc")
            if target == "copy":
                link.unlink()
                shutil.copyfile(world.rat / POSE_TRAIN, link)
            return run_argv(case_dir, rat_study(case_dir, world, data / "dataset.yaml"))

        return Case(f"pose-run-symlink_{name}", prepare)

    return [make("to_file", "file"), make("to_folder", "folder")]
