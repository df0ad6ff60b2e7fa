"""The experiment spec: one YAML file that says what to train, how to judge it, what next."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from lossbalance._errors import LossbalanceError
from lossbalance.model import GeneratorConfig
from lossbalance.schedulers import ScheduleSpec
from lossbalance.spec._errors import SpecFieldError, error_loc_and_message, fields_at
from lossbalance.spec._origin import SpecOrigin
from lossbalance.spec._plans import FallbackPlan
from lossbalance.spec._sections import (
    BaselineSpec,
    DataSpec,
    EvaluationSpec,
    LossName,
    LossTerm,
    SimulatorData,
    SpecModel,
)
from lossbalance.spec._tiers import NO_TIER, Tier, check_tiers, tier_rank
from lossbalance.training import TrainerConfig

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ExperimentSpec(SpecModel):
    """Everything one experiment needs: data, model, training, loss schedules,
    evaluation, the baseline it is compared with, outcome tiers and fallback plans.

    Load it with :func:`lossbalance.spec.load_spec` (YAML, ``extends:``, relative
    paths), which turns every validation error into one line naming the file and
    the field. Two specs are equal when their fields are; where they were loaded
    from (:attr:`source`) does not count.
    """

    name: str = Field(default="experiment", description="experiment name (names its run directory)")
    description: str = ""
    data: DataSpec = Field(default_factory=lambda: SimulatorData())
    model: GeneratorConfig = Field(default_factory=lambda: GeneratorConfig())
    training: TrainerConfig = Field(default_factory=lambda: TrainerConfig())
    losses: dict[LossName, LossTerm] = Field(
        default_factory=dict,
        description="schedule of each weighted term; a term left out weighs 1.0 (lm) or is off",
    )
    evaluation: EvaluationSpec = Field(default_factory=lambda: EvaluationSpec())
    baseline: BaselineSpec | None = None
    tiers: list[Tier] = Field(
        default_factory=list, description="ordered outcome tiers: the first that holds wins"
    )
    fallbacks: list[FallbackPlan] = Field(
        default_factory=list, description="plans to run when the outcome is a given tier"
    )
    origin: SpecOrigin | None = Field(
        default=None,
        description="the run this spec was exported from (written by study export; "
        "run compares its settings and metrics)",
    )

    _source: str = PrivateAttr(default="<spec>")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"experiment name {value!r} must start with a letter or digit and hold only "
                "letters, digits, '_', '.' or '-'"
            )
        return value

    @field_validator("losses", mode="before")
    @classmethod
    def _drop_nulls(cls, value: Any) -> Any:
        # ``losses: {sex: null}`` in an override removes the term's schedule.
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v is not None}
        return value

    @property
    def source(self) -> str:
        """The file this spec was loaded from (``<spec>`` when built in Python)."""
        return self._source

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExperimentSpec):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ checks
    @model_validator(mode="after")
    def _check(self) -> ExperimentSpec:
        self._check_losses()
        try:
            check_tiers(self.tiers)
        except SpecFieldError as exc:
            raise SpecFieldError(("tiers", *exc.loc), exc.message) from None
        self._check_plans()
        self._check_overrides()
        return self

    def _check_losses(self) -> None:
        owner: dict[str, str] = {}
        term: str
        for term, loss in self.losses.items():
            sched = loss.schedule
            joint = getattr(sched, "terms", None) if isinstance(sched, ScheduleSpec) else None
            owned = tuple(joint) if joint else (term,)
            if joint and term not in owned:
                raise SpecFieldError(
                    ("losses", term, "schedule", "terms"),
                    f"a joint schedule written under {term!r} must list {term!r} in its terms",
                )
            for t in owned:
                if t in owner and owner[t] != term:
                    raise SpecFieldError(
                        ("losses", term, "schedule"),
                        f"term {t!r} is weighted twice (also by losses.{owner[t]})",
                    )
                owner[t] = term
        model_terms = getattr(self.model, "terms", None)
        if callable(model_terms):
            available = set(model_terms())
            for t, term in owner.items():
                if t not in available:
                    hint = "; set model.validity: true" if t == "validity" else ""
                    raise SpecFieldError(
                        ("losses", term),
                        f"the model has no {t!r} loss term (it has {', '.join(sorted(available))})"
                        f"{hint}",
                    )

    def _check_plans(self) -> None:
        names = [t.name for t in self.tiers]
        seen: dict[str, int] = {}
        for i, plan in enumerate(self.fallbacks):
            if plan.tier != NO_TIER and plan.tier not in names:
                raise SpecFieldError(
                    ("fallbacks", i, "tier"),
                    f"unknown tier {plan.tier!r}; tiers: {', '.join([*names, NO_TIER])}",
                )
            if plan.tier in seen:
                raise SpecFieldError(
                    ("fallbacks", i, "tier"),
                    f"tier {plan.tier!r} already has a plan (fallbacks[{seen[plan.tier]}])",
                )
            seen[plan.tier] = i
            stop = plan.stop_tier()
            if stop is not None:
                if stop not in names:
                    raise SpecFieldError(
                        ("fallbacks", i, "stop", "first_reaching"),
                        f"unknown tier {stop!r}; tiers: {', '.join(names)}",
                    )
                if tier_rank(self.tiers, stop) >= tier_rank(self.tiers, plan.tier):
                    raise SpecFieldError(
                        ("fallbacks", i, "stop", "first_reaching"),
                        f"stop tier {stop!r} must be better (listed earlier) than the plan's "
                        f"tier {plan.tier!r}, or every variant would stop the plan",
                    )
            variant_names: dict[str, int] = {}
            for j, variant in enumerate(plan.variants):
                if variant.name in variant_names:
                    raise SpecFieldError(
                        ("fallbacks", i, "variants", j, "name"),
                        f"variant name {variant.name!r} is used twice in this plan",
                    )
                variant_names[variant.name] = j

    def _check_overrides(self) -> None:
        from lossbalance.spec._override import merged_document

        if not self.fallbacks and (self.baseline is None or self.baseline.train is None):
            return
        base = self.model_dump(mode="json", exclude={"fallbacks", "baseline", "origin"})
        targets: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
            (("fallbacks", i, "variants", j), v.override())
            for i, plan in enumerate(self.fallbacks)
            for j, v in enumerate(plan.variants)
        ]
        if self.baseline is not None and self.baseline.train is not None:
            targets.append((("baseline", "train"), self.baseline.train.override()))
        for prefix, override in targets:
            try:
                doc = merged_document(base, override)
                ExperimentSpec.model_validate(doc)
            except ValidationError as exc:
                loc, msg, _ = error_loc_and_message(exc, doc)
                if msg == "no such field":
                    allowed = fields_at(ExperimentSpec, loc, doc)
                    if allowed:
                        msg += f" (allowed: {', '.join(allowed)})"
                raise SpecFieldError(prefix + loc, msg) from None
            except LossbalanceError as exc:
                raise SpecFieldError(prefix, str(exc)) from None
