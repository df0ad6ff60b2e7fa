"""A training run from a YAML file: data, model, trainer, loss weights, output folder.

This is the minimal config of ``lossbalance train CONFIG.yaml``::

    data:
      simulate: {patients: 3000, seed: 0}     # or: cohort: path/to/cohort.npz
    model: {d_model: 128, decoder_layers: 2}  # GeneratorConfig fields
    training: {epochs: 10, batch_size: 32}    # TrainerConfig fields
    losses:                                   # one ScheduleSpec per auxiliary term
      age: {family: fixed, params: {weight: 0.01}}
      sex: {family: fixed, params: {weight: 0.2}}
    out: runs/seed

Each ``losses`` entry is a :class:`~lossbalance.schedulers.ScheduleSpec` (so ``age: 0.01``
is short for the ``fixed`` line above). Every level forbids unknown keys; a bad key or
value fails with one line naming it.
Terms left out of ``losses`` weigh 1.0 (``lm`` always does, unless listed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    ValidationError,
    field_serializer,
    model_validator,
)

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance._yaml import read_yaml_file
from lossbalance.data import Cohort
from lossbalance.model import GeneratorConfig
from lossbalance.schedulers import ScheduleSpec, WeightScheduler
from lossbalance.training._callbacks import Callback, JsonlLogger, RichProgress
from lossbalance.training._config import TrainerConfig
from lossbalance.training._environment import run_numerics
from lossbalance.training._trainer import LAST, Trainer


class SimulateData(BaseModel):
    """Train on the built-in simulator's cohort."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patients: int = Field(default=3000, ge=2, le=10_000_000)
    seed: int = Field(default=0, ge=0)
    system: str = Field(default="icd10", pattern="^(icd9|icd10)$")


class DataConfig(BaseModel):
    """Exactly one source: ``simulate`` or ``cohort`` (an ``.npz`` written by Cohort.save)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    simulate: SimulateData | None = None
    cohort: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataConfig:
        if (self.simulate is None) == (self.cohort is None):
            raise ValueError("give exactly one of simulate or cohort")
        return self

    def load(self, base: Path | None = None) -> Cohort:
        if self.cohort is not None:
            path = self.cohort if self.cohort.is_absolute() or base is None else base / self.cohort
            return Cohort.load(path)
        from lossbalance.data import simulate

        assert self.simulate is not None
        return simulate(self.simulate.patients, self.simulate.seed, self.simulate.system)


LossSpec = ScheduleSpec
"""One term's weight schedule: the package's :class:`~lossbalance.schedulers.ScheduleSpec`
(this name stays for imports)."""


class TrainRunConfig(BaseModel):
    """The whole run (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: DataConfig
    model: GeneratorConfig = Field(default_factory=lambda: GeneratorConfig())
    training: TrainerConfig = Field(default_factory=lambda: TrainerConfig())
    losses: dict[str, ScheduleSpec] = Field(default_factory=dict)
    out: Path

    @field_serializer("losses")
    def _losses_without_terms(
        self, losses: dict[str, ScheduleSpec], info: SerializationInfo
    ) -> dict[str, dict[str, Any]]:
        # keyed by term already: an unset ``terms`` is left out (the run's config.yaml)
        return {t: s.model_dump(mode=info.mode, exclude_none=True) for t, s in losses.items()}

    def schedulers(self, where: str = "") -> list[WeightScheduler]:
        """One scheduler per entry of ``losses`` (validated against the registry)."""
        terms = self.model.terms()
        out = []
        for term, spec in self.losses.items():
            if term not in terms:
                raise LossbalanceError(
                    f"{where}losses.{term}: not a loss term of this model "
                    f"(terms: {', '.join(terms)})"
                )
            try:
                out.append(spec.build([term]))
            except LossbalanceError as exc:
                raise LossbalanceError(f"{where}losses.{term}: {exc}") from None
        return out


def validation_message(exc: ValidationError) -> str:
    """The first error of a pydantic validation as ``field.path: message``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    extra = f" ({len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{loc}: {msg}{extra}"


def load_run_config(path: str | os.PathLike[str]) -> TrainRunConfig:
    """Read and validate a run config; every problem is one line naming file and field."""
    src = Path(path)
    raw = read_yaml_file(src, "config")
    if not isinstance(raw, dict):
        raise LossbalanceError(f"{src}: the config must be a mapping of keys")
    try:
        config = TrainRunConfig.model_validate(raw)
    except ValidationError as exc:
        raise LossbalanceError(f"{src}: {validation_message(exc)}") from None
    config.schedulers(f"{src}: ")  # fail now on a bad family or parameter
    return config


def fit_cohort(
    cohort: Cohort,
    model: GeneratorConfig,
    training: TrainerConfig,
    schedulers: list[WeightScheduler],
    out: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    extra_callbacks: list[Callback] | None = None,
) -> Trainer:
    """Train on ``cohort``; checkpoints and ``log.jsonl`` go to ``out``.

    The one place a run is wired (logger, progress bar, split, resume): both
    :func:`run_training` and the experiment runner call it.

    Args:
        cohort: the cohort (split into train and validation by ``training``).
        model: the generator's configuration.
        training: the trainer's configuration.
        schedulers: the weight schedulers (fresh: their state comes from a resume).
        out: the run folder (created).
        resume: continue from ``out/last.pt`` when it exists.
        progress: show a rich progress bar.
        extra_callbacks: more callbacks, after the logger and the progress bar.
    """
    out.mkdir(parents=True, exist_ok=True)
    callbacks: list[Callback] = [JsonlLogger(out / "log.jsonl")]
    if progress:
        callbacks.append(RichProgress())
    callbacks.extend(extra_callbacks or [])
    with run_numerics(training):
        trainer = Trainer.from_cohort(
            cohort, model, training, schedulers, callbacks=callbacks, out_dir=out
        )
        if resume and (out / LAST).is_file():
            trainer.load_checkpoint(out / LAST)
        trainer.fit()
    return trainer


def check_run_terms(
    config: TrainRunConfig, *, base_dir: Path | None = None
) -> dict[str, dict[str, float]]:
    """``lossbalance train --check-terms``: the gradient norms of every loss term on one
    training batch (``Trainer.check_terms``); nothing is written.

    Raises:
        LossbalanceError: a term has a zero or non-finite gradient (one line naming it).
    """
    cohort = config.data.load(base_dir)
    trainer = Trainer.from_cohort(cohort, config.model, config.training, config.schedulers())
    return trainer.check_terms()


def run_training(
    config: TrainRunConfig,
    *,
    base_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    extra_callbacks: list[Callback] | None = None,
) -> Trainer:
    """Train as ``config`` says; checkpoints and ``log.jsonl`` go to ``config.out``.

    Args:
        config: the validated run config.
        base_dir: folder that relative paths in the config are read from.
        resume: continue from ``out/last.pt`` when it exists.
        progress: show a rich progress bar.
        extra_callbacks: more callbacks, after the logger and the progress bar.
    """
    out = config.out if config.out.is_absolute() or base_dir is None else base_dir / config.out
    out.mkdir(parents=True, exist_ok=True)
    cohort = config.data.load(base_dir)
    write_text_atomic(out / "config.yaml", yaml.safe_dump(config.model_dump(mode="json")))
    return fit_cohort(
        cohort,
        config.model,
        config.training,
        config.schedulers(),
        out,
        resume=resume,
        progress=progress,
        extra_callbacks=extra_callbacks,
    )
