"""A study's settings, stored on the study itself so that any worker can join it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.storages import BaseStorage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition
from lossbalance.study._checkpoints import CheckpointPolicy
from lossbalance.study._objectives import Direction, Objective
from lossbalance.study._pruner import DominancePruner
from lossbalance.study._sampler import SamplerName

#: Study user attribute holding :class:`StudyConfig` as JSON.
CONFIG_ATTR = "lossbalance:config"


class StudyConfig(BaseModel):
    """Everything a worker needs to run trials of a study.

    Attributes:
        objectives: the metrics optimised, with their directions.
        constraints: conditions a trial must meet to be feasible (Optuna constraints).
        n_trials: budget: the study stops at exactly this many COMPLETE + PRUNED trials.
        timeout_s: wall-time budget per worker (no new trial starts after it).
        sampler: ``auto``, ``tpe``, ``nsga2``, ``gp`` or ``random``.
        seed: sampler seed; worker ``i`` uses ``seed + i``.
        pruner: the multi-objective pruner's settings, or ``None`` for no pruning.
        problem: registered problem name (search space + trial function).
        problem_options: keyword options of that problem.
        checkpoints: which trials keep their best checkpoint in the artifact store
            (``None``: none; :mod:`lossbalance.study._checkpoints`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    objectives: list[Objective] = Field(min_length=1)
    constraints: list[Condition] = Field(default_factory=list)
    n_trials: int = Field(ge=1)
    timeout_s: float | None = Field(default=None, gt=0)
    sampler: SamplerName = "auto"
    seed: int | None = 0
    pruner: DominancePruner | None = Field(default_factory=DominancePruner)
    problem: str = "toy"
    problem_options: dict[str, Any] = Field(default_factory=dict)
    checkpoints: CheckpointPolicy | None = None

    @property
    def directions(self) -> list[Direction]:
        """Optuna directions, one per objective."""
        return [o.direction for o in self.objectives]

    @property
    def objective_names(self) -> list[str]:
        """The objectives' metric names."""
        return [o.name for o in self.objectives]


def _describe(objectives: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{n}:{d}" for n, d in objectives)


def read_config(study: optuna.Study) -> StudyConfig:
    """The :class:`StudyConfig` stored on ``study``."""
    raw = study.user_attrs.get(CONFIG_ATTR)
    if raw is None:
        raise LossbalanceError(
            f"study {study.study_name!r}: not a lossbalance study (no {CONFIG_ATTR} attribute)"
        )
    try:
        return StudyConfig.model_validate(raw)
    except ValidationError as exc:
        raise LossbalanceError(f"study {study.study_name!r}: bad stored config ({exc})") from None


def load_existing_study(storage: BaseStorage, study_name: str, where: str) -> optuna.Study:
    """Load a study that must exist (clear error listing the names otherwise)."""
    try:
        return optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        names = sorted(s.study_name for s in optuna.get_all_study_summaries(storage))
        raise LossbalanceError(
            f"--study: no study {study_name!r} in {where} (studies: {', '.join(names) or 'none'})"
        ) from None


def create_or_load_study(
    storage: BaseStorage, study_name: str, config: StudyConfig, *, where: str = "storage"
) -> optuna.Study:
    """Create the study, or continue an existing one with the same objectives.

    An existing study keeps its trials; its stored settings are replaced by
    ``config`` (a larger budget continues it). Its objectives (names and
    directions) must match.

    Raises:
        LossbalanceError: the name exists with other objectives.
    """
    wanted = [(o.name, o.direction) for o in config.objectives]
    try:
        study = optuna.create_study(
            storage=storage, study_name=study_name, directions=config.directions
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(config.objective_names)
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=study_name, storage=storage)
        raw = study.user_attrs.get(CONFIG_ATTR)
        if raw is not None:
            have = [(o["name"], o["direction"]) for o in raw.get("objectives", [])]
        else:
            names = study.metric_names or [f"objective{i}" for i in range(len(study.directions))]
            have = [
                (n, "maximize" if d == optuna.study.StudyDirection.MAXIMIZE else "minimize")
                for n, d in zip(names, study.directions, strict=True)
            ]
        if have != wanted:
            raise LossbalanceError(
                f"--study: {study_name!r} in {where} exists with objectives {_describe(have)}, "
                f"not {_describe(wanted)}; choose another --study name"
            ) from None
    study.set_user_attr(CONFIG_ATTR, config.model_dump(mode="json"))
    return study
