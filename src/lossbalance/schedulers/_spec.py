"""``ScheduleSpec``: the one way a schedule is described (YAML, configs, studies).

A spec names a registered family, its parameters and, for families that own several
terms, the terms. It is validated against the registry when it is built, so a bad
family or parameter is caught when a config is read, not halfway through training::

    family: linear
    params: {start: 0.01, end: 0.001, duration: 10, unit: epoch}

A bare number is shorthand for ``fixed`` (``0.2`` == ``{family: fixed, params:
{weight: 0.2}}``) and a bare string for a family with default parameters.
A schedule file holds one spec, or several under ``schedules:`` (each with terms).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lossbalance._errors import LossbalanceError
from lossbalance._yaml import read_yaml_file
from lossbalance.schedulers._base import (
    WeightScheduler,
    format_validation_error,
    params_from_mapping,
)
from lossbalance.schedulers._registry import get_scheduler_class

_SCHEDULER_PREFIX = re.compile(r"^scheduler '[^']*' ")


class ScheduleSpec(BaseModel):
    """A schedule: registered family + parameters (+ terms for multi-term families).

    Attributes:
        family: a name from :func:`~lossbalance.schedulers.available_schedulers`.
        params: the family's parameters, validated by its ``Params`` model.
        terms: the loss terms it owns; optional where the caller supplies them (a
            trainer config keyed by term), required in a multi-schedule file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str = Field(description="Registered scheduler family.")
    params: dict[str, Any] = Field(default_factory=dict, description="Family parameters.")
    terms: tuple[str, ...] | None = Field(None, description="Loss terms the schedule owns.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError(f"a schedule is a number, a family name or a mapping, got {data!r}")
        if isinstance(data, int | float):
            if not (math.isfinite(data) and data >= 0):
                raise ValueError(f"weight: must be finite and >= 0, got {data:g}")
            return {"family": "fixed", "params": {"weight": float(data)}}
        if isinstance(data, str):
            return {"family": data}
        return data

    @model_validator(mode="after")
    def _against_registry(self) -> ScheduleSpec:
        try:
            cls = get_scheduler_class(self.family)
        except LossbalanceError as exc:
            raise ValueError(f"family: {exc}") from None
        try:
            cls.Params(**self.params)
        except ValidationError as exc:
            raise ValueError(format_validation_error(exc, prefix="params")) from None
        if self.terms is not None:
            try:
                cls(self.terms, self.params)
            except LossbalanceError as exc:
                raise ValueError(_SCHEDULER_PREFIX.sub("", str(exc))) from None
        return self

    @property
    def scheduler_class(self) -> type[WeightScheduler]:
        """The registered class of :attr:`family`."""
        return get_scheduler_class(self.family)

    def build(self, terms: Sequence[str] | None = None) -> WeightScheduler:
        """A fresh scheduler of this spec owning ``terms`` (default: :attr:`terms`).

        Raises:
            LossbalanceError: no terms at all, or ``terms`` disagreeing with :attr:`terms`.
        """
        if terms is not None and isinstance(terms, str):
            terms = [terms]
        if terms is not None and self.terms is not None and tuple(terms) != self.terms:
            raise LossbalanceError(
                f"schedule {self.family!r} terms: spec owns {list(self.terms)}, "
                f"asked to build for {list(terms)}"
            )
        chosen = tuple(terms) if terms is not None else self.terms
        if chosen is None:
            raise LossbalanceError(f"schedule {self.family!r} terms: no terms given")
        cls = self.scheduler_class
        return cls(chosen, params_from_mapping(cls, self.params))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what :meth:`from_mapping` reads back), terms left out when unset."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        """The spec as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_mapping(cls, data: Any, source: str = "") -> ScheduleSpec:
        """Validate ``data``; errors are one line prefixed with ``source`` (a file name)."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            prefix = f"{source}: " if source else ""
            raise LossbalanceError(f"{prefix}{format_validation_error(exc, prefix='')}") from None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> ScheduleSpec:
        """Read one spec from a YAML file."""
        data = read_yaml_file(path, "schedule")
        if isinstance(data, Mapping) and "schedules" in data:
            raise LossbalanceError(
                f"{path}: schedules: holds several schedules; use load_schedules()"
            )
        return cls.from_mapping(data, str(path))


def load_schedules(path: str | os.PathLike[str]) -> list[ScheduleSpec]:
    """Read a schedule file: one spec, or a list of specs under ``schedules:``.

    In a list every spec must name its ``terms`` and no term may be owned twice.
    """
    data = read_yaml_file(path, "schedule")
    if not (isinstance(data, Mapping) and "schedules" in data):
        return [ScheduleSpec.from_mapping(data, str(path))]
    extra = sorted(set(data) - {"schedules"})
    if extra:
        raise LossbalanceError(f"{path}: {extra[0]}: unknown top-level key (only schedules:)")
    items = data["schedules"]
    if not isinstance(items, list) or not items:
        raise LossbalanceError(f"{path}: schedules: must be a non-empty list of schedules")
    specs = []
    for i, item in enumerate(items):
        spec = ScheduleSpec.from_mapping(item, f"{path}: schedules.{i}")
        if spec.terms is None:
            raise LossbalanceError(f"{path}: schedules.{i}.terms: required in a list of schedules")
        specs.append(spec)
    build_schedulers(specs, source=str(path))  # ownership check, cheap
    return specs


def build_schedulers(specs: Sequence[ScheduleSpec], source: str = "") -> list[WeightScheduler]:
    """Build every spec (each with its own terms); a term owned twice is an error."""
    owner: dict[str, int] = {}
    out = []
    prefix = f"{source}: " if source else ""
    for i, spec in enumerate(specs):
        for term in spec.terms or ():
            if term in owner:
                raise LossbalanceError(
                    f"{prefix}schedules.{i}.terms: {term!r} is already owned by "
                    f"schedules.{owner[term]}"
                )
            owner[term] = i
        out.append(spec.build())
    return out
