"""Study specs: one YAML file that says what a study searches and how.

A study spec (``studies/default.yaml`` is the built-in one written out)::

    name: validity-coherence            # the study's name in its storage
    base: seed_aux_weights_ci.yaml      # an experiment spec file (relative to this
                                        # file), or the experiment spec inline
    space:                              # ScheduleSearchSpace (inline or a file);
      terms: {age: {families: ...}}     # left out: the built-in default space
      sampling: {temperature: {low: 0.7, high: 1.3}}
    objectives: [validity, coherence]   # metric names, optionally name:minimize
    constraints: [validity >= 0.90]     # Optuna constraints (Trial.set_constraint)
    targets: [validity >= 0.95]         # drawn on the Pareto front
    budget: {trials: 24, wall_time_s: 330}
    sampler: {name: auto, seed: 0}
    pruner: {enabled: true, min_dominating: 3, warmup_trials: 4, warmup_epochs: 1}

Every error is one line naming the file and the field path (the experiment spec's
formatting, :func:`lossbalance.spec.format_loc`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition
from lossbalance.study._config import StudyConfig
from lossbalance.study._objectives import Objective, parse_objectives
from lossbalance.study._pruner import DominancePruner
from lossbalance.study._sampler import SamplerName
from lossbalance.study._schedule_space import ScheduleSearchSpace, default_schedule_space

#: Folder of a study's files by default (journal storage, run folders, plots).
DEFAULT_FOLDER = "lossbalance-study"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Budget(_Model):
    """When the study stops: ``trials`` COMPLETE + PRUNED, or the wall time per worker."""

    trials: int = Field(default=24, ge=1, description="COMPLETE + PRUNED trials")
    wall_time_s: float | None = Field(
        default=330.0, gt=0, description="no new trial starts after this (seconds per worker)"
    )


class SamplerSettings(_Model):
    """Which Optuna sampler proposes the points (``auto``: chosen by budget and space)."""

    name: SamplerName = "auto"
    seed: int | None = 0


class PrunerSettings(_Model):
    """The multi-objective pruner (:class:`~lossbalance.study.DominancePruner`)."""

    enabled: bool = True
    min_dominating: int = Field(default=3, ge=1)
    fraction: float | None = Field(default=None, gt=0.0, le=1.0)
    warmup_trials: int = Field(default=4, ge=1)
    warmup_epochs: int = Field(default=1, ge=0)

    def build(self) -> DominancePruner | None:
        """The pruner, or None when disabled."""
        if not self.enabled:
            return None
        return DominancePruner(
            min_dominating=self.min_dominating,
            fraction=self.fraction,
            warmup_trials=self.warmup_trials,
            warmup_epochs=self.warmup_epochs,
        )


def default_base_spec() -> dict[str, Any]:
    """The built-in base experiment of ``lossbalance study run``: the simulator, a tiny
    generator and a short training with an evaluation every epoch (for the pruner),
    sized so that the default budget ends within 10 minutes on 2 CPU cores."""
    return {
        "name": "study-default",
        "description": "built-in study base: simulated cohort, tiny generator, 5 epochs",
        "data": {"source": "simulator", "patients": 600, "seed": 0},
        "model": {
            "d_model": 32,
            "encoder_layers": 1,
            "decoder_layers": 1,
            "attention_heads": 2,
            "ffn_dim": 64,
            "max_length": 128,
        },
        "training": {
            "epochs": 5,
            "batch_size": 32,
            "lr": 0.002,
            "seed": 0,
            "eval_every": 1,
            "eval_patients": 80,
        },
        "losses": {
            "age": {"schedule": {"family": "fixed", "params": {"weight": 0.01}}},
            "sex": {"schedule": {"family": "fixed", "params": {"weight": 0.01}}},
        },
        "evaluation": {"patients": 300, "seed": 0, "reference_patients": 2000},
        "tiers": [
            {"name": "best", "conditions": ["validity >= 0.95", "js < 0.3", "top100 > 0.5"]},
            {"name": "acceptable", "conditions": ["validity >= 0.90", "js < 0.4"]},
        ],
    }


def default_study_space() -> dict[str, Any]:
    """The built-in study's search space: :func:`default_schedule_space` with decay
    spans of 1 to 5 epochs (the built-in base trains 5 epochs; longer spans would
    barely decay)."""
    space = default_schedule_space().model_dump(mode="json")
    for term in space["terms"].values():
        for params in term["families"].values():
            if "duration" in params:
                params["duration"] = {"low": 1.0, "high": 5.0, "log": False, "integer": False}
    return space


class StudySpec(_Model):
    """A study: base experiment, search space, objectives, constraints, budget, sampler,
    pruner (module docstring)."""

    name: str | None = Field(default=None, description="study name (default: objective names)")
    description: str = ""
    base: str | dict[str, Any] = Field(
        default_factory=default_base_spec,
        description="experiment spec file (relative to this file) or the spec inline",
    )
    space: str | dict[str, Any] | None = Field(
        default=None, description="search space file or inline (default: the built-in one)"
    )
    objectives: list[str] = Field(default_factory=lambda: ["validity", "coherence"], min_length=1)
    constraints: list[Condition] = Field(default_factory=list)
    targets: list[Condition] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    sampler: SamplerSettings = Field(default_factory=SamplerSettings)
    pruner: PrunerSettings = Field(default_factory=PrunerSettings)

    _source: str = "<study spec>"
    _folder: str = "."

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, value: list[str]) -> list[str]:
        parse_objectives(value, field="objectives")
        return value

    @property
    def source(self) -> str:
        """The file the spec was read from (``<study spec>`` when built in Python)."""
        return self._source

    def parsed_objectives(self) -> list[Objective]:
        """The objectives with their directions."""
        return parse_objectives(self.objectives, field=f"{self._source}: objectives")

    def study_name(self) -> str:
        """The study's name (``name``, else the objective names joined by ``-``)."""
        return self.name or "-".join(o.name for o in self.parsed_objectives())

    def base_spec(self) -> Any:
        """The base :class:`~lossbalance.spec.ExperimentSpec`, validated."""
        from lossbalance.spec import load_spec, parse_spec

        if isinstance(self.base, str):
            path = Path(os.path.expanduser(self.base))
            if not path.is_absolute():
                path = Path(self._folder) / path
            if not path.is_file():
                raise LossbalanceError(f"{self._source}: base: {self.base}: file not found")
            return load_spec(path)
        return parse_spec(self.base, source=f"{self._source}: base", base_dir=self._folder)

    def search_space(self) -> ScheduleSearchSpace:
        """The schedule search space, validated (the default one when left out)."""
        if self.space is None:
            return default_schedule_space()
        if isinstance(self.space, str):
            path = Path(os.path.expanduser(self.space))
            if not path.is_absolute():
                path = Path(self._folder) / path
            return ScheduleSearchSpace.from_yaml(path)
        return ScheduleSearchSpace.from_mapping(self.space, f"{self._source}: space")

    def to_config(self, runs_dir: str | os.PathLike[str]) -> StudyConfig:
        """The stored :class:`StudyConfig` (problem ``experiment``) with run folders under
        ``runs_dir``; validates the base spec and the space."""
        from lossbalance.spec import spec_to_dict
        from lossbalance.study._experiment_trial import trial_base_spec

        base = trial_base_spec(self.base_spec())
        space = self.search_space()
        return StudyConfig(
            objectives=self.parsed_objectives(),
            constraints=list(self.constraints),
            n_trials=self.budget.trials,
            timeout_s=self.budget.wall_time_s,
            sampler=self.sampler.name,
            seed=self.sampler.seed,
            pruner=self.pruner.build(),
            problem="experiment",
            problem_options={
                "base": spec_to_dict(base),
                "space": space.model_dump(mode="json"),
                "runs_dir": str(Path(runs_dir).resolve()),
            },
        )


def parse_study_spec(
    data: Any, *, source: str = "<study spec>", folder: str | os.PathLike[str] = "."
) -> StudySpec:
    """Validate a study spec document; one-line errors naming ``source`` and the field."""
    from lossbalance.spec._errors import validation_message

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LossbalanceError(
            f"{source}: a study spec must be a mapping of fields, not a {type(data).__name__}"
        )
    try:
        spec = StudySpec.model_validate(data)
    except ValidationError as exc:
        raise LossbalanceError(validation_message(exc, data, source, model=StudySpec)) from None
    except LossbalanceError as exc:
        raise LossbalanceError(f"{source}: {exc}") from None
    spec._source = source
    spec._folder = str(Path(folder).resolve())
    return spec


def load_study_spec(path: str | os.PathLike[str]) -> StudySpec:
    """Read a study spec YAML file (relative ``base`` and ``space`` paths are relative
    to it)."""
    from lossbalance.spec import read_yaml

    p = Path(path)
    data = read_yaml(p, what="study spec")
    return parse_study_spec(data, source=str(path), folder=p.parent)


def default_study_spec() -> StudySpec:
    """The built-in study of ``lossbalance study run`` (``studies/default.yaml``): the
    defaults of every field, with :func:`default_study_space` as the space."""
    return parse_study_spec({"space": default_study_space()}, source="built-in study")
