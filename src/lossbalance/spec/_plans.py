"""Fallback plans: when a run lands in a tier, try variants of the spec in order."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from lossbalance.spec._sections import PartialSpec, SpecModel

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _slug(value: str, what: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{what} {value!r} must start with a letter or digit and hold only letters, "
            "digits, '_', '.' or '-' (it names a run directory)"
        )
    return value


class Variant(PartialSpec):
    """One fallback variant: a name plus a partial override of the spec.

    Example (YAML)::

        - name: weights-0.005
          losses:
            age: {schedule: {family: fixed, params: {weight: 0.005}}}
            sex: {schedule: {family: fixed, params: {weight: 0.005}}}
    """

    name: str = Field(description="variant name (names its run directory)")
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _slug(value, "variant name")


class StopAt(SpecModel):
    """Stop at the first variant whose outcome is ``first_reaching`` or a better tier."""

    first_reaching: str = Field(description="a tier name; tiers listed before it count too")


class FallbackPlan(SpecModel):
    """What to run when the main run's outcome is ``tier``.

    Variants run in order, each a partial override of the main spec (never of
    another variant). ``stop: all`` runs every variant; ``stop: {first_reaching: T}``
    stops after the first variant whose outcome is tier ``T`` or a tier listed
    before ``T``. ``tier: none`` is the plan for a run that reaches no tier.
    """

    tier: str = Field(description="the outcome tier that triggers this plan ('none': no tier)")
    variants: list[Variant] = Field(min_length=1)
    stop: Literal["all"] | StopAt = Field(
        default="all", description="'all' or {first_reaching: TIER}"
    )
    description: str = ""

    def stop_tier(self) -> str | None:
        """The tier named by the stop rule, or None when every variant runs."""
        return None if isinstance(self.stop, str) else self.stop.first_reaching
