from __future__ import annotations

import itertools
from pathlib import Path

import optuna
import pytest

from mbr_search.config.space import load_space
from mbr_search.errors import ConfigError

SPACES = Path(__file__).resolve().parents[1] / "search_spaces"


def test_thesis_lstm_grid_has_81_configurations() -> None:
    space = load_space(SPACES / "lstm.yaml")
    assert space.is_grid
    assert space.grid() == {
        "seq_len": [300, 600, 1650],
        "lstm_layers": [1, 2, 3],
        "lstm_units": [64, 128, 256],
        "batch_size": [8, 16, 32],
    }
    assert space.grid_size() == 81
    assert dict(space.fixed) == {"dropout": 0.5, "learning_rate": 0.001, "multi_label": False}


def test_thesis_tcn_grid_matches_thesis_choices() -> None:
    space = load_space(SPACES / "tcn.yaml")
    grid = space.grid()
    assert grid["tcn_layers"] == [1, 2, 3]
    assert grid["tcn_filters"] == [256, 512, 1024]
    assert grid["tcn_kernel_size"] == [3, 5]
    assert grid["tcn_norm"] == ["batch", "layer", "weight", "none"]
    assert space.grid_size() == 3 * 3 * 2 * 4 * 3 * 3


def test_grid_sampler_visits_every_lstm_configuration_once() -> None:
    space = load_space(SPACES / "lstm.yaml")
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(space.grid(), seed=0))
    seen = set()
    study.optimize(
        lambda t: len(seen.add(tuple(sorted(space.suggest(t).items()))) or []), n_trials=81
    )
    assert len(seen) == 81
    expected = set(itertools.product([300, 600, 1650], [1, 2, 3], [64, 128, 256], [8, 16, 32]))
    got = {
        (d["seq_len"], d["lstm_layers"], d["lstm_units"], d["batch_size"]) for d in map(dict, seen)
    }
    assert got == expected


@pytest.mark.parametrize(
    "name", ["lstm_bayes", "tcn_bayes", "lstm_pose", "tcn_pose", "transformer_pose"]
)
def test_bayesian_spaces_load_and_suggest(name: str) -> None:
    space = load_space(SPACES / f"{name}.yaml")
    assert not space.is_grid
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1)).ask()
    params = space.suggest(trial)
    assert 1e-4 <= params["learning_rate"] <= 1e-2
    assert params["seq_len"] in (150, 300, 600)
    assert params["multi_label"] in (True, False)


def _space(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(body)
    return path


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "model: lstm\nparams:\n  learning_rate: {type: float, low: 0.1, high: 0.01}\n",
            "low (0.1) > high (0.01)",
        ),
        (
            "model: lstm\nparams:\n  learning_rate: {type: float, low: 0, high: 0.1, log: true}\n",
            "log scale needs low > 0",
        ),
        ("model: lstm\nparams:\n  seq_len: {type: categorical, choices: []}\n", "is empty"),
        (
            "model: lstm\nparams:\n  lstm_unit: {type: int, low: 1, high: 4}\n",
            "did you mean 'lstm_units'",
        ),
        (
            "model: lstm\nparams:\n  seq_len: {type: categorical, choice: [1]}\n",
            "Found 'choice': did you mean 'choices'",
        ),
        (
            "model: lstm\nparams:\n  lstm_units: {type: int, low: one, high: 4}\n",
            "expected a number, got 'one'",
        ),
        (
            "model: lstm\nparams:\n  lstm_units: {type: integer, low: 1, high: 4}\n",
            "'integer' is not one of",
        ),
        ("model: gru\n", "'gru' is not one of ['gbdt', 'lstm', 'mstcn', 'tcn', 'transformer']"),
        ("model: lstm\nfixed:\n  tcn_norm: batch\n", "belongs to the tcn family, not to lstm"),
        ("model: lstm\nfixed:\n  lstm_unitz: 8\n", "unknown hyperparameter for a lstm space"),
        ("model: tcn\nfixed:\n  tcn_norm: group\n", "tcn_norm: value 'group' is invalid"),
        ("model: lstm\nparams: [1, 2\n", "YAML syntax error"),
    ],
)
def test_bad_space_files_get_one_line_messages(tmp_path: Path, body: str, needle: str) -> None:
    path = _space(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_space(path)
    message = str(err.value)
    assert needle in message
    assert str(path) in message
    assert "\n" not in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _space(tmp_path, "model: lstm\nparams:\n  seq_len: {type: categorical, choices: [1, 2\n")
    with pytest.raises(ConfigError, match=r"space.yaml:\d+:\d+: YAML syntax error"):
        load_space(path)


# --- one search across families ------------------------------------------------------------

AUTO = """\
model: {choices: [lstm, gbdt]}
params:
  lstm:
    learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
    lstm_units: {type: int, low: 8, high: 16}
  gbdt:
    learning_rate: {type: float, low: 0.05, high: 0.2}
    num_leaves: {type: int, low: 4, high: 16}
fixed:
  lstm: {multi_label: true}
  gbdt: {max_rounds: 20}
"""


def test_a_model_choice_space_samples_the_family_first_then_only_its_block(
    tmp_path: Path,
) -> None:
    space = load_space(_space(tmp_path, AUTO))
    assert space.searches_model and not space.is_grid
    assert space.families == ("lstm", "gbdt") and space.model == "lstm|gbdt"
    assert [p.name for p in space.params][:2] == ["model", "lstm.learning_rate"]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(12):
        trial = study.ask()
        params = space.suggest_params(trial)
        seen.add(params.family)
        own = {"lstm": "lstm_units", "gbdt": "num_leaves"}[params.family]
        prefixed = {f"{params.family}.learning_rate", f"{params.family}.{own}"}
        assert set(trial.params) == {"model"} | prefixed  # only the sampled family's block
        assert params.record()["model"] == trial.params["model"]
        lr = trial.params[f"{params.family}.learning_rate"]
        assert params.learning_rate == lr  # type: ignore[attr-defined]
        if params.family == "gbdt":
            assert params.max_rounds == 20 and 0.05 <= lr <= 0.2  # type: ignore[attr-defined]
        else:
            assert params.multi_label is True and lr <= 1e-2  # type: ignore[attr-defined]
        study.tell(trial, 0.5)
    assert seen == {"lstm", "gbdt"}


def test_bundled_auto_pose_space_has_all_four_families() -> None:
    space = load_space(SPACES / "auto_pose.yaml")
    assert space.families == ("lstm", "tcn", "transformer", "gbdt")
    names = [p.name for p in space.params]
    assert len(names) == len(set(names))  # prefixed: no collision across families
    assert {"lstm.learning_rate", "gbdt.learning_rate", "gbdt.num_leaves"} <= set(names)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "model: {choices: [lstm, gbdt]}\nparams:\n  lstm:\n"
            "    num_leaves: {type: int, low: 4, high: 8}\n",
            "params.lstm.num_leaves: belongs to the gbdt family, not to lstm",
        ),
        (
            "model: {choices: [lstm, gbdt]}\nfixed:\n  gbdt: {lstm_units: 8}\n",
            "fixed.gbdt.lstm_units: belongs to the lstm family, not to gbdt",
        ),
        ("model: lstm\nfixed:\n  num_leaves: 31\n", "belongs to the gbdt family, not to lstm"),
        (
            "model: {choices: [lstm, gru]}\n",
            "unknown model family 'gru'; the registry has "
            "['gbdt', 'lstm', 'mstcn', 'tcn', 'transformer']",
        ),
        ("model: {choices: []}\n", "model.choices: is empty"),
        (
            "model: {choices: [lstm]}\nparams:\n  gbdt: {}\n",
            "params.gbdt: is a block for gbdt, which model.choices ['lstm'] does not list",
        ),
        (
            "model: {choices: [lstm, gbdt]}\nparams:\n  num_leaves: {type: int, low: 4, high: 8}\n",
            "params.num_leaves: with model choices, hyperparameters go in one block per family. "
            "Fix: move it under params.gbdt",
        ),
        (
            "model: {choices: [lstm, gbdt]}\nfixed:\n  gbdt: {frame_step: 0}\n",
            "gbdt.frame_step: value 0 is invalid; it must be an integer >= 1",
        ),
        ("model: {choices: [lstm, gbdt]}\nfixed:\n  gbdt: {model: lstm}\n", "fixed.gbdt.model"),
        ("model: {choices: [lstm], grid: true}\n", "model.grid: unknown key"),
    ],
)
def test_bad_model_choice_spaces_name_the_family(tmp_path: Path, body: str, needle: str) -> None:
    path = _space(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_space(path)
    message = str(err.value)
    assert needle in message and str(path) in message and "\n" not in message


def test_unknown_family_lists_the_registry_and_params_name_their_family() -> None:
    from mbr_search.models import get_family

    with pytest.raises(ConfigError, match=r"unknown model family 'gru'.*\['gbdt', 'lstm'"):
        get_family("gru")
    lstm = get_family("lstm").params
    assert lstm.from_dict({"model": "lstm", "lstm_units": 8}).lstm_units == 8  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="for model 'gbdt', not for lstm"):
        lstm.from_dict({"model": "gbdt"})


def test_a_recorded_trial_reloads_as_a_fixed_space(tmp_path: Path) -> None:
    """A trial's record (family under ``model``) is a valid ``fixed`` block, as
    ``best_config.yaml`` writes it."""
    from mbr_search.models import get_family

    record = get_family("gbdt").params.from_dict({}).record()
    body = "model: gbdt\nfixed:\n" + "".join(f"  {k}: {v}\n" for k, v in record.items())
    space = load_space(_space(tmp_path, body))
    assert dict(space.fixed) == record and space.params == ()
    trial = optuna.create_study().ask()
    assert space.suggest_params(trial).record() == record
