"""Sampler choice and seeding; search spaces and their validation."""

from __future__ import annotations

import optuna
import pytest

from lossbalance import LossbalanceError
from lossbalance.study import (
    TOY_SPACE,
    Choice,
    FloatRange,
    SearchSpace,
    StudyConfig,
    choose_sampler,
    create_or_load_study,
    make_sampler,
    parse_objectives,
    run_worker,
)

NUMERIC = SearchSpace(
    params={"a": FloatRange(low=0.0, high=1.0), "b": FloatRange(low=1e-3, high=1.0, log=True)}
)
CATEGORICAL = SearchSpace(
    params={"a": FloatRange(low=0.0, high=1.0), "f": Choice(choices=["x", "y"])}
)


@pytest.mark.parametrize(
    ("n_trials", "n_obj", "space", "expected"),
    [
        (30, 2, TOY_SPACE, "tpe"),  # conditional
        (1000, 2, TOY_SPACE, "tpe"),  # conditional wins over budget
        (30, 2, NUMERIC, "gp"),
        (249, 3, NUMERIC, "gp"),
        (250, 2, NUMERIC, "nsga2"),
        (500, 3, CATEGORICAL, "nsga2"),
        (30, 2, CATEGORICAL, "tpe"),
        (30, 4, NUMERIC, "tpe"),
        (300, 4, NUMERIC, "tpe"),
        (300, 1, NUMERIC, "tpe"),
        (30, 1, NUMERIC, "gp"),
    ],
)
def test_auto_rule(n_trials: int, n_obj: int, space: SearchSpace, expected: str) -> None:
    assert choose_sampler(n_trials, n_obj, space)[0] == expected


def test_make_sampler_types() -> None:
    kinds = {
        "auto": optuna.samplers.TPESampler,
        "tpe": optuna.samplers.TPESampler,
        "nsga2": optuna.samplers.NSGAIISampler,
        "gp": optuna.samplers.GPSampler,
        "random": optuna.samplers.RandomSampler,
    }
    for name, cls in kinds.items():
        sampler = make_sampler(name, seed=0, n_trials=20, n_objectives=2, space=TOY_SPACE)
        assert isinstance(sampler, cls)
    with pytest.raises(LossbalanceError, match="--sampler: unknown 'cmaes'"):
        make_sampler("cmaes", seed=0, n_trials=20, n_objectives=2, space=TOY_SPACE)


def _params(sampler: str, seed: int, n: int = 12) -> list[dict[str, object]]:
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=n,
        sampler=sampler,  # type: ignore[arg-type]
        seed=seed,
        problem_options={"epochs": 2},
    )
    study = create_or_load_study(storage, "s", config)
    run_worker(storage, "s")
    return [t.params for t in sorted(study.get_trials(), key=lambda t: t.number)]


@pytest.mark.parametrize("sampler", ["tpe", "random", "nsga2"])
def test_same_seed_same_trials(sampler: str) -> None:
    first = _params(sampler, seed=5)
    assert first == _params(sampler, seed=5)
    assert first != _params(sampler, seed=6)


def test_space_validation() -> None:
    with pytest.raises(LossbalanceError, match=r"my space: params.w: empty range \[1, 1\]"):
        SearchSpace.from_dict(
            {"params": {"w": {"type": "float", "low": 1, "high": 1}}}, source="my space"
        )
    with pytest.raises(LossbalanceError, match=r"params.w: log range needs low > 0"):
        SearchSpace.from_dict(
            {"params": {"w": {"type": "float", "low": 0, "high": 1, "log": True}}}
        )
    with pytest.raises(LossbalanceError, match=r"params.n: empty range \[3, 2\]"):
        SearchSpace.from_dict({"params": {"n": {"type": "int", "low": 3, "high": 2}}})
    with pytest.raises(LossbalanceError, match=r"params\.f: empty list of choices"):
        SearchSpace.from_dict({"params": {"f": {"type": "categorical", "choices": []}}})
    with pytest.raises(LossbalanceError, match="'g' is not an earlier parameter"):
        SearchSpace.from_dict(
            {"params": {"w": {"type": "float", "low": 0, "high": 1, "when": {"g": ["a"]}}}}
        )
    with pytest.raises(LossbalanceError, match=r"\['z'\] not among f's choices"):
        SearchSpace.from_dict(
            {
                "params": {
                    "f": {"type": "categorical", "choices": ["a", "b"]},
                    "w": {"type": "float", "low": 0, "high": 1, "when": {"f": ["z"]}},
                }
            }
        )


def test_conditional_sampling() -> None:
    assert TOY_SPACE.has_conditional and TOY_SPACE.has_categorical
    assert not NUMERIC.has_conditional and not NUMERIC.has_categorical
    seen = {"fixed": set(), "linear": set()}
    for family in ("fixed", "linear"):
        for i in range(3):
            trial = optuna.trial.FixedTrial(
                {
                    "family": family,
                    "w_age": 0.1,
                    "w_sex": 0.2,
                    "decay_to": 0.5,
                    "temperature": 1.0,
                    "top_p": 0.9,
                },
                number=i,
            )
            seen[family] |= set(TOY_SPACE.suggest(trial))
    assert "decay_to" not in seen["fixed"] and "decay_to" in seen["linear"]
