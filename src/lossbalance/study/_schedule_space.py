"""The search space of weight schedules: per loss term, families and parameter ranges.

Written in YAML (or a mapping) like::

    terms:
      age:                         # one term; "lm+age+sex" names a multi-term family's terms
        families:
          fixed:  {weight: {low: 1.0e-4, high: 1.0, log: true}}
          linear: {start: {low: 1.0e-3, high: 1.0, log: true},
                   end: {low: 1.0e-5, high: 1.0e-2, log: true},
                   duration: {low: 2, high: 30}, unit: epoch}
    sampling:                      # generation settings searched too
      temperature: {low: 0.7, high: 1.3}
      top_p: {low: 0.8, high: 1.0}

A parameter is a range (``low``/``high``, optional ``log``, ``integer``), a list of
``choices``, or a constant. Families come from the scheduler registry
(:func:`lossbalance.schedulers.available_schedulers`); parameter names and both
ends of every range are validated against the family's ``Params`` model when the
space is read, so a space that cannot produce a valid schedule fails early.

:meth:`ScheduleSearchSpace.to_search_space` flattens it into a conditional
:class:`~lossbalance.study.SearchSpace` (``age.family``, then ``age.linear.start``
only when ``age.family == "linear"``...); :meth:`ScheduleSearchSpace.resolve` turns
a trial's sampled values into one :class:`~lossbalance.schedulers.ScheduleSpec`
per term key plus the sampling settings.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from optuna.trial import FrozenTrial
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lossbalance._errors import LossbalanceError
from lossbalance.study._space import Choice, FloatRange, IntRange, ParamRange, SearchSpace

Scalar = bool | int | float | str


class RangeSpec(BaseModel):
    """A searched number between ``low`` and ``high``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float
    high: float
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _check(self) -> RangeSpec:
        if not self.low < self.high:
            raise ValueError(f"empty range [{self.low:g}, {self.high:g}]")
        if self.log and self.low <= 0:
            raise ValueError(f"log range needs low > 0, got {self.low:g}")
        return self

    def to_range(self, when: dict[str, list[Any]] | None) -> ParamRange:
        if self.integer:
            return IntRange(low=int(self.low), high=int(self.high), log=self.log, when=when)
        return FloatRange(low=self.low, high=self.high, log=self.log, when=when)


class ChoiceSpec(BaseModel):
    """A searched choice among ``choices``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    choices: list[Scalar] = Field(min_length=1)


ParamSearch = RangeSpec | ChoiceSpec | Scalar | list[float]
_UNION_TAGS = {"RangeSpec", "ChoiceSpec", "bool", "int", "float", "str"}


class TermSearch(BaseModel):
    """The families tried for one term key, each with its parameters' ranges."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    families: dict[str, dict[str, ParamSearch]] = Field(min_length=1)


def _searched(value: Any) -> bool:
    return isinstance(value, RangeSpec | ChoiceSpec)


def _ends(value: ParamSearch) -> list[Any]:
    if isinstance(value, RangeSpec):
        return [int(value.low), int(value.high)] if value.integer else [value.low, value.high]
    if isinstance(value, ChoiceSpec):
        return list(value.choices)
    return [value]


def _check_family(key: str, family: str, params: Mapping[str, ParamSearch]) -> None:
    from lossbalance.schedulers import ScheduleSpec, available_schedulers, get_scheduler_class

    where = f"terms.{key}.families.{family}"
    if family not in available_schedulers():
        raise ValueError(f"{where}: unknown family (known: {', '.join(available_schedulers())})")
    cls = get_scheduler_class(family)
    terms = tuple(key.split("+"))
    if len(terms) < cls.min_terms or (cls.max_terms is not None and len(terms) > cls.max_terms):
        most = "any" if cls.max_terms is None else str(cls.max_terms)
        raise ValueError(
            f"{where}: {family} owns {cls.min_terms} to {most} terms, key names {len(terms)}"
        )
    fields = cls.Params.model_fields
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise ValueError(
            f"{where}.{unknown[0]}: not a parameter of {family} (parameters: {', '.join(fields)})"
        )
    missing = [n for n, f in fields.items() if f.is_required() and n not in params]
    if missing:
        raise ValueError(f"{where}.{missing[0]}: required by {family}; give a value or a range")
    base = {n: _ends(v)[0] for n, v in params.items()}
    for name, value in params.items():
        for end in _ends(value):
            trial_params = {**base, name: end}
            try:
                ScheduleSpec(family=family, params=trial_params, terms=terms)
            except ValidationError as exc:
                msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ValueError(
                    f"{where}.{name}: {end!r} is not valid for {family} ({msg})"
                ) from None


@dataclass(frozen=True)
class ResolvedPoint:
    """A trial's sampled point: one schedule per term key and the sampling settings."""

    schedules: dict[str, Any]
    """Term key (``"age"``, ``"lm+age+sex"``) -> :class:`~lossbalance.schedulers.ScheduleSpec`."""
    sampling: dict[str, Any]


class ScheduleSearchSpace(BaseModel):
    """Per term key, the schedule families tried and their ranges; plus sampling settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    terms: dict[str, TermSearch] = Field(min_length=1)
    sampling: dict[str, RangeSpec | ChoiceSpec | Scalar] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ScheduleSearchSpace:
        from lossbalance.spec import LOSS_TERMS

        seen: set[str] = set()
        for key, term in self.terms.items():
            for t in key.split("+"):
                if t not in LOSS_TERMS:
                    raise ValueError(
                        f"terms.{key}: unknown loss term {t!r} (known: {', '.join(LOSS_TERMS)})"
                    )
                if t in seen:
                    raise ValueError(f"terms.{key}: term {t!r} appears in two keys")
                seen.add(t)
            for family, params in term.families.items():
                _check_family(key, family, params)
        for name, value in self.sampling.items():
            lo, hi = (_ends(value)[0], _ends(value)[-1])
            if name == "temperature" and not (isinstance(lo, int | float) and lo > 0):
                raise ValueError(f"sampling.temperature: must be > 0, got {lo!r}")
            if name == "top_p" and not (isinstance(lo, int | float) and 0 < lo <= hi <= 1):
                raise ValueError(f"sampling.top_p: must lie in (0, 1], got {lo!r}..{hi!r}")
        return self

    @classmethod
    def from_mapping(cls, data: Any, source: str = "search space") -> ScheduleSearchSpace:
        """Validate ``data``; errors are one line naming ``source`` and the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
            ours = [e for e in errors if str(e["msg"]).startswith("Value error, ")]
            err = (ours or errors)[0]
            msg = str(err["msg"]).removeprefix("Value error, ")
            loc = ".".join(
                str(p)
                for p in err["loc"]
                if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS))
            )
            if msg.startswith(("terms.", "sampling.")) or not loc:
                raise LossbalanceError(f"{source}: {msg}") from None
            raise LossbalanceError(f"{source}: {loc}: {msg}") from None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> ScheduleSearchSpace:
        """Read a search space from a YAML file."""
        p = Path(path)
        if not p.is_file():
            raise LossbalanceError(f"{p}: search space file not found")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise LossbalanceError(f"{p}: not valid YAML ({type(exc).__name__})") from None
        return cls.from_mapping(data, str(p))

    def to_search_space(self) -> SearchSpace:
        """The flat conditional :class:`SearchSpace` Optuna samples."""
        params: dict[str, ParamRange] = {}
        for key, term in self.terms.items():
            families = list(term.families)
            params[f"{key}.family"] = Choice(choices=list(families))
            for family, fparams in term.families.items():
                when: dict[str, list[Any]] = {f"{key}.family": [family]}
                for name, value in fparams.items():
                    pname = f"{key}.{family}.{name}"
                    if isinstance(value, RangeSpec):
                        params[pname] = value.to_range(when)
                    elif isinstance(value, ChoiceSpec):
                        params[pname] = Choice(choices=list(value.choices), when=when)
        for name, value in self.sampling.items():
            if isinstance(value, RangeSpec):
                params[f"sampling.{name}"] = value.to_range(None)
            elif isinstance(value, ChoiceSpec):
                params[f"sampling.{name}"] = Choice(choices=list(value.choices))
        return SearchSpace(params=params)

    def resolve(self, values: Mapping[str, Any]) -> ResolvedPoint:
        """Turn sampled values into schedules and sampling settings.

        Raises:
            ValueError: a sampled combination the family rejects (the trial fails
                with this reason; the study goes on).
        """
        from lossbalance.schedulers import ScheduleSpec

        schedules: dict[str, Any] = {}
        for key, term in self.terms.items():
            family = str(values[f"{key}.family"])
            params = {
                name: (values[f"{key}.{family}.{name}"] if _searched(v) else v)
                for name, v in term.families[family].items()
            }
            try:
                schedules[key] = ScheduleSpec(
                    family=family, params=params, terms=tuple(key.split("+"))
                )
            except ValidationError as exc:
                msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ValueError(f"{key}: sampled {family} {params} is invalid: {msg}") from None
        sampling = {
            name: (values[f"sampling.{name}"] if _searched(v) else v)
            for name, v in self.sampling.items()
        }
        return ResolvedPoint(schedules=schedules, sampling=sampling)


#: The built-in space's ranges (issue 13 item 5: wide enough that the optimum is inside).
#: The earlier ranges (weights 1e-4 to 1, temperature 0.7 to 1.3, top-p 0.8 to 1.0) bound
#: the built-in study's front at their edges: its Pareto trials sampled temperature 0.72 to
#: 0.77 and top-p 0.80 to 0.83. Weights reach 10 because a probe saw no coherence cost up
#: to 30 (DESIGN.md); ``end`` reaches 1 so a "decay" may also stay flat or rise.
DEFAULT_RANGES: dict[str, dict[str, Any]] = {
    "weight": {"low": 1.0e-5, "high": 10.0, "log": True},
    "start": {"low": 1.0e-4, "high": 10.0, "log": True},
    "end": {"low": 1.0e-6, "high": 1.0, "log": True},
    "duration": {"low": 1.0, "high": 30.0},
    "temperature": {"low": 0.3, "high": 1.5},
    "top_p": {"low": 0.5, "high": 1.0},
}


def default_schedule_space() -> ScheduleSearchSpace:
    """The built-in space: age and sex weights (fixed, linear or cosine decay) + sampling,
    over :data:`DEFAULT_RANGES`."""
    r = DEFAULT_RANGES
    decay = {"start": r["start"], "end": r["end"], "duration": r["duration"], "unit": "epoch"}
    families = {"fixed": {"weight": r["weight"]}, "linear": decay, "cosine": decay}
    return ScheduleSearchSpace.from_mapping(
        {
            "terms": {"age": {"families": families}, "sex": {"families": families}},
            "sampling": {"temperature": r["temperature"], "top_p": r["top_p"]},
        },
        source="default search space",
    )


#: Parameters whose range edge is a hard bound (the value cannot go past it): no warning.
HARD_EDGES: dict[str, tuple[float | None, float | None]] = {"sampling.top_p": (None, 1.0)}


def edge_warnings(trials: Sequence[FrozenTrial], margin: float = 0.05) -> list[str]:
    """One line per (trial, numeric parameter) sitting within ``margin`` of its range edge.

    The position is measured on the sampling scale (log for log ranges) from the
    trial's Optuna distributions (:class:`optuna.distributions.FloatDistribution` /
    ``IntDistribution``). A front at the edge of the space says the optimum may lie
    beyond it: widen that range. Edges that are hard bounds (:data:`HARD_EDGES`, e.g.
    top-p 1) are not reported.
    """
    from optuna.distributions import FloatDistribution, IntDistribution

    lines: list[str] = []
    for t in trials:
        for name, dist in t.distributions.items():
            if not isinstance(dist, FloatDistribution | IntDistribution) or name not in t.params:
                continue
            low, high, x = float(dist.low), float(dist.high), float(t.params[name])
            if dist.log:
                low, high, x = math.log(low), math.log(high), math.log(max(x, 1e-300))
            if high <= low:
                continue
            pos = (x - low) / (high - low)
            hard_low, hard_high = HARD_EDGES.get(name, (None, None))
            shown = f"[{dist.low:g}, {dist.high:g}]"
            if pos <= margin and hard_low is None:
                edge = "lower"
            elif pos >= 1.0 - margin and hard_high is None:
                edge = "upper"
            else:
                continue
            lines.append(
                f"trial {t.number}: {name}={t.params[name]:.4g} is within "
                f"{margin:.0%} of the {edge} edge of its range {shown}: the optimum may lie "
                "beyond it; widen the range"
            )
    return lines
