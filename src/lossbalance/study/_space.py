"""Search spaces: typed parameter ranges, conditional on categorical choices.

A :class:`SearchSpace` is an ordered mapping of parameter names to ranges. A
parameter with ``when`` is sampled only when an earlier categorical parameter took
one of the listed values (for example a decay span only when the family is
``linear``): Optuna's define-by-run sampling makes the space conditional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import optuna
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lossbalance._errors import LossbalanceError

Scalar = bool | int | float | str | None


class _Param(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    when: dict[str, list[Scalar]] | None = None
    """Sample only when each named earlier categorical parameter has one of these values."""


class FloatRange(_Param):
    """A float between ``low`` and ``high`` (log-uniform when ``log``)."""

    type: Literal["float"] = "float"
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _check(self) -> FloatRange:
        if not self.low < self.high:
            raise ValueError(f"empty range [{self.low:g}, {self.high:g}]")
        if self.log and self.low <= 0:
            raise ValueError(f"log range needs low > 0, got {self.low:g}")
        return self


class IntRange(_Param):
    """An integer between ``low`` and ``high`` inclusive."""

    type: Literal["int"] = "int"
    low: int
    high: int
    log: bool = False

    @model_validator(mode="after")
    def _check(self) -> IntRange:
        if not self.low < self.high:
            raise ValueError(f"empty range [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise ValueError(f"log range needs low > 0, got {self.low}")
        return self


class Choice(_Param):
    """One of ``choices``."""

    type: Literal["categorical"] = "categorical"
    choices: list[Scalar]

    @model_validator(mode="after")
    def _check(self) -> Choice:
        if not self.choices:
            raise ValueError("empty list of choices")
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise ValueError("repeated choice")
        return self


ParamRange = Annotated[FloatRange | IntRange | Choice, Field(discriminator="type")]


class SearchSpace(BaseModel):
    """Named parameter ranges, in sampling order, some conditional on earlier choices."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    params: dict[str, ParamRange]

    @model_validator(mode="after")
    def _check_conditions(self) -> SearchSpace:
        seen: dict[str, ParamRange] = {}
        for name, rng in self.params.items():
            for parent, values in (rng.when or {}).items():
                if parent not in seen:
                    raise ValueError(f"{name}.when: {parent!r} is not an earlier parameter")
                prior = seen[parent]
                if not isinstance(prior, Choice):
                    raise ValueError(f"{name}.when: {parent!r} is not categorical")
                bad = [v for v in values if v not in prior.choices]
                if bad or not values:
                    raise ValueError(f"{name}.when: {bad or values!r} not among {parent}'s choices")
            seen[name] = rng
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "search space") -> SearchSpace:
        """Validate a plain mapping ``{"params": {...}}``; errors name the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"] if p not in ("float", "int", "categorical"))
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise LossbalanceError(f"{source}: {loc}: {msg}") from None

    @property
    def has_categorical(self) -> bool:
        """Whether any parameter is categorical."""
        return any(isinstance(r, Choice) for r in self.params.values())

    @property
    def has_conditional(self) -> bool:
        """Whether any parameter is sampled only under a condition."""
        return any(r.when for r in self.params.values())

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample every active parameter through ``trial`` (define-by-run)."""
        values: dict[str, Any] = {}
        for name, rng in self.params.items():
            if rng.when and not all(
                parent in values and values[parent] in allowed
                for parent, allowed in rng.when.items()
            ):
                continue
            if isinstance(rng, FloatRange):
                values[name] = trial.suggest_float(name, rng.low, rng.high, log=rng.log)
            elif isinstance(rng, IntRange):
                values[name] = trial.suggest_int(name, rng.low, rng.high, log=rng.log)
            else:
                values[name] = trial.suggest_categorical(name, rng.choices)
        return values
