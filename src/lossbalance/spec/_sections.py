"""The sections of an experiment spec: data, model, training, losses, evaluation, baseline.

Sections owned by other packages are composed, not copied:

- ``model``: :class:`lossbalance.model.GeneratorConfig` (issue 4);
- ``training``: :class:`lossbalance.training.TrainerConfig` (issue 4);
- ``evaluation.sampling``: :class:`lossbalance.model.SamplingConfig` (issue 4);
- ``data.options``: :class:`lossbalance.data.LoadOptions` (issue 2);
- ``losses.<term>.schedule``: :class:`lossbalance.schedulers.ScheduleSpec` (issue 5);
- metric names in tier conditions: :data:`lossbalance.metrics.METRIC_DIRECTIONS` (issue 3).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from lossbalance.data import LoadOptions
from lossbalance.model import SamplingConfig as Sampling
from lossbalance.schedulers import ScheduleSpec
from lossbalance.spec._names import LOSS_TERMS, metrics_module_available


class SpecModel(BaseModel):
    """Base of every spec model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- data
class SimulatorData(SpecModel):
    """The built-in reference cohort simulator (``lossbalance.data.simulate``)."""

    source: Literal["simulator"] = "simulator"
    patients: int = Field(default=3000, ge=10, description="patients to simulate")
    seed: int = Field(default=0, ge=0, description="the simulator's seed")
    system: Literal["icd9", "icd10"] = "icd10"


class Mimic3Data(SpecModel):
    """A MIMIC-III export (``lossbalance.data.load_mimic3``)."""

    source: Literal["mimic3"]
    path: Path = Field(description="folder holding PATIENTS, ADMISSIONS, DIAGNOSES_ICD")
    options: LoadOptions = Field(default_factory=LoadOptions)


class Mimic4Data(SpecModel):
    """A MIMIC-IV export (``lossbalance.data.load_mimic4``)."""

    source: Literal["mimic4"]
    path: Path = Field(description="folder holding hosp/")
    options: LoadOptions = Field(default_factory=LoadOptions)


class TableData(SpecModel):
    """A generic long table of codes plus a patients table (``lossbalance.data.load_table``)."""

    source: Literal["table"]
    codes_path: Path = Field(description="long table of codes (CSV or Parquet)")
    patients_path: Path = Field(description="patients table (CSV or Parquet)")
    columns: dict[str, Any] | None = Field(
        default=None, description="column names (lossbalance.data.TableColumns fields)"
    )
    options: LoadOptions = Field(default_factory=LoadOptions)


class CohortData(SpecModel):
    """A cohort saved with ``Cohort.save`` (``.npz``)."""

    source: Literal["cohort"]
    path: Path = Field(description="cohort file written by Cohort.save")


def _data_tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("source", "simulator"))
    return str(getattr(value, "source", "simulator"))


DataSpec = Annotated[
    Annotated[SimulatorData, Tag("simulator")]
    | Annotated[Mimic3Data, Tag("mimic3")]
    | Annotated[Mimic4Data, Tag("mimic4")]
    | Annotated[TableData, Tag("table")]
    | Annotated[CohortData, Tag("cohort")],
    Discriminator(
        _data_tag,
        custom_error_type="data_source",
        custom_error_message="source must be one of simulator, mimic3, mimic4, table, cohort",
    ),
]
"""Where the training cohort comes from; ``source`` picks the loader (default simulator)."""


# ---------------------------------------------------------------------- schedules


class ScheduleFile(SpecModel):
    """A schedule kept in its own YAML file (one of ``schedules/``)."""

    file: Path = Field(description="YAML file holding a schedule (relative to this spec)")

    def load(self) -> ScheduleSpec:
        """Read and validate the schedule file."""
        from lossbalance.spec._io import load_schedule_file

        return load_schedule_file(self.file)


def _schedule_tag(value: Any) -> str:
    if isinstance(value, dict):
        return "file" if "file" in value else "inline"
    return "file" if isinstance(value, ScheduleFile) else "inline"


ScheduleRef = Annotated[
    Annotated[ScheduleSpec, Tag("inline")] | Annotated[ScheduleFile, Tag("file")],
    Discriminator(_schedule_tag),
]
"""A schedule written inline (family, params) or kept in a file (``file: ...``)."""


class LossTerm(SpecModel):
    """One loss term's weighting over training."""

    schedule: ScheduleRef = Field(
        description="inline schedule (family, params) or {file: schedules/x.yaml}"
    )


LossName = Literal["lm", "age", "sex", "validity"]
assert set(LossName.__args__) == set(LOSS_TERMS)  # type: ignore[attr-defined]


# --------------------------------------------------------------------- evaluation
class EvaluationSpec(SpecModel):
    """The final evaluation: generate patients, score them against a reference split.

    DESIGN.md "Evaluation protocol": the cohort splits by patient into ``train`` (what
    the trainer gets), ``tuning`` (what studies select on) and ``held_out`` (what
    ``lossbalance run`` reports and ``study confirm`` read). The simulator draws
    ``tuning`` and ``held_out`` as independent cohorts of ``reference_patients``
    patients instead; other sources split their cohort by ``tuning_fraction`` and
    ``held_out_fraction`` (seeded by ``split_seed``), or keep the splits they carry.
    """

    patients: int = Field(
        default=1000, ge=1, description="patients generated for the final metrics"
    )
    sampling: Sampling = Field(default_factory=Sampling, description="sampling settings")
    seed: int = Field(
        default=0, ge=0, description="seed of the generation and of the floor resampling"
    )
    tuning_fraction: float = Field(
        default=0.2,
        gt=0.0,
        lt=1.0,
        description="share of the patients in the tuning split (what studies select on)",
    )
    held_out_fraction: float = Field(
        default=0.2,
        gt=0.0,
        lt=1.0,
        description="share of the patients in the held_out split (final reports, confirm)",
    )
    split_seed: int = Field(default=0, ge=0, description="seed of the split by patient")
    reference_patients: int = Field(
        default=2000,
        ge=1,
        description="simulator only: patients of each independent tuning/held_out draw",
    )
    top_k: int = Field(default=100, ge=1, description="k of the top-k overlap metric")

    @model_validator(mode="before")
    @classmethod
    def _deprecated_heldout_fraction(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "heldout_fraction" not in data:
            return data
        if "held_out_fraction" in data:
            raise ValueError(
                "heldout_fraction is the deprecated name of held_out_fraction: give only "
                "held_out_fraction"
            )
        warnings.warn(
            "evaluation.heldout_fraction is deprecated: read as evaluation.held_out_fraction "
            "(three splits now: train, tuning_fraction, held_out_fraction; see docs/specs.md)",
            FutureWarning,
            stacklevel=2,
        )
        out = dict(data)
        out["held_out_fraction"] = out.pop("heldout_fraction")
        return out

    @model_validator(mode="after")
    def _train_left(self) -> EvaluationSpec:
        if self.tuning_fraction + self.held_out_fraction >= 1.0:
            raise ValueError(
                f"tuning_fraction {self.tuning_fraction:g} + held_out_fraction "
                f"{self.held_out_fraction:g} leave no patient for train (their sum must be < 1)"
            )
        return self

    def fractions(self) -> tuple[float, float, float]:
        """``(train, tuning, held_out)`` shares of the patients (train is the rest)."""
        train = 1.0 - self.tuning_fraction - self.held_out_fraction
        return (train, self.tuning_fraction, self.held_out_fraction)


# ------------------------------------------------------------------- overrides
SECTION_NAMES: tuple[str, ...] = ("data", "model", "training", "losses", "evaluation")
"""The spec fields a fallback variant or a trained baseline may override."""


class PartialSpec(SpecModel):
    """A partial override of an experiment spec (merged with :func:`deep_merge` rules).

    Each section is a mapping merged into the spec's own; dotted keys
    (``losses.age.schedule.params.weight``) are short for nested mappings.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # dotted keys (``losses.age.schedule.params.weight: 0.005``) are allowed too
            "patternProperties": {r"^(data|model|training|losses|evaluation)\.[^.]": {}}
        },
    )

    data: dict[str, Any] | None = None
    model: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
    losses: dict[str, Any] | None = None
    evaluation: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        from lossbalance.spec._merge import expand_dotted

        if isinstance(data, dict):
            return expand_dotted(data)
        return data

    def override(self) -> dict[str, Any]:
        """The mapping to merge into the spec (sections left out are not touched)."""
        return {
            name: getattr(self, name)
            for name in SECTION_NAMES
            if name in self.model_fields_set and getattr(self, name) is not None
        }


# ----------------------------------------------------------------------- baseline
class BaselineSpec(SpecModel):
    """What every run is compared with: exactly one of ``checkpoint``, ``run_dir``, ``train``.

    ``train`` is a partial override of the spec: the runner trains it as the
    baseline run (how the seed scenario's fixed 0.01/0.2 baseline is written when no
    checkpoint has been kept).
    """

    checkpoint: Path | None = Field(default=None, description="a generator checkpoint file")
    run_dir: Path | None = Field(default=None, description="a previous run directory")
    train: PartialSpec | None = Field(default=None, description="train the baseline: an override")
    label: str = Field(default="baseline", min_length=1, description="name shown in reports")

    @model_validator(mode="after")
    def _exactly_one(self) -> BaselineSpec:
        given = [n for n in ("checkpoint", "run_dir", "train") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of checkpoint, run_dir, train"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


def provisional_sections() -> list[str]:
    """Parts of the spec still served by a PROVISIONAL stand-in (empty when none)."""
    if metrics_module_available():
        return []
    return ["metric names (lossbalance.metrics.METRIC_DIRECTIONS not importable)"]
