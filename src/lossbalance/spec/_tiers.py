"""Outcome tiers: ordered, named sets of conditions; the first one that holds wins.

Conflicting tiers are errors. Two kinds of conflict exist, both decided exactly
on the boxes of :mod:`lossbalance.spec._conditions`:

- **contradictory**: a tier's own conditions cannot all hold (``validity >= 0.95``
  with ``validity < 0.9``; ``top100 > 1`` where top100 lies in [0, 1]);
- **shadowed**: every metric vector that satisfies a tier also satisfies a tier
  listed before it (alone or together with other earlier tiers), so classification
  never reaches it. ``acceptable`` after ``best`` is fine (``best`` is stricter);
  ``best`` after ``acceptable`` is shadowed.

Tiers may overlap otherwise; order decides. Tier order is also the quality order
the fallback stop rule uses: a tier listed earlier counts as better.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from lossbalance._errors import LossbalanceError
from lossbalance.spec._conditions import Condition, conditions_box, contradiction, uncovered
from lossbalance.spec._errors import SpecFieldError
from lossbalance.spec._sections import SpecModel

if TYPE_CHECKING:
    from lossbalance.spec._experiment import ExperimentSpec

NO_TIER = "none"
"""The outcome when no tier's conditions all hold (a fallback plan may name it)."""
RESERVED_TIER_NAMES = frozenset({NO_TIER, "all"})
_TIER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class Tier(SpecModel):
    """A named outcome: reached when every condition holds.

    A tier without conditions always holds: a catch-all, sensible only last.
    """

    name: str = Field(description="tier name (letters, digits, '_' or '-')")
    conditions: list[Condition] = Field(
        default_factory=list, description="all must hold, e.g. ['validity >= 0.95', 'js < 0.3']"
    )
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TIER_NAME.match(value):
            raise ValueError(f"tier name {value!r} must be letters, digits, '_' or '-'")
        if value in RESERVED_TIER_NAMES:
            raise ValueError(f"tier name {value!r} is reserved")
        return value

    def holds(self, metrics: Mapping[str, float]) -> bool:
        """Whether every condition holds for ``metrics`` (which must hold each metric)."""
        return all(c.holds(float(metrics[c.metric])) for c in self.conditions)


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Raise :class:`SpecFieldError` (location ``[i]...``) on duplicate or conflicting tiers."""
    seen: dict[str, int] = {}
    for i, tier in enumerate(tiers):
        if tier.name in seen:
            raise SpecFieldError(
                (i, "name"), f"tier {tier.name!r} is defined twice (also tiers[{seen[tier.name]}])"
            )
        seen[tier.name] = i
        why = contradiction(tier.conditions)
        if why is not None:
            raise SpecFieldError(
                (i, "conditions"), f"tier {tier.name!r} can never be reached: {why}"
            )
    boxes = [conditions_box(t.conditions) for t in tiers]
    for j in range(1, len(tiers)):
        if uncovered(boxes[j], boxes[:j]):
            continue
        single = [i for i in range(j) if not uncovered(boxes[j], [boxes[i]])]
        if single:
            earlier = f"tier {tiers[single[0]].name!r} (listed before it) includes it"
        else:
            names = ", ".join(repr(t.name) for t in tiers[:j])
            earlier = f"the tiers listed before it ({names}) cover it together"
        raise SpecFieldError(
            (j,),
            f"tier {tiers[j].name!r} can never be reached: {earlier}; "
            "order tiers from the strictest to the loosest",
        )


def classify_tier(
    spec: ExperimentSpec | Sequence[Tier], metrics: Mapping[str, float]
) -> str | None:
    """The outcome tier of a run: the first tier whose conditions all hold, else None.

    Args:
        spec: an experiment spec (its ``tiers``) or a list of tiers.
        metrics: the run's metrics by name (``MetricsResult.flat()``).

    Raises:
        LossbalanceError: a condition names a metric missing from ``metrics``.
    """
    tiers: Sequence[Tier] = spec if isinstance(spec, Sequence) else spec.tiers
    for tier in tiers:
        missing = sorted({c.metric for c in tier.conditions} - set(metrics))
        if missing:
            raise LossbalanceError(
                f"tier {tier.name!r} needs metric(s) {', '.join(missing)}, which the evaluation "
                f"did not produce (it gave: {', '.join(sorted(metrics)) or 'nothing'})"
            )
        if tier.holds(metrics):
            return tier.name
    return None


def tier_rank(tiers: Sequence[Tier], name: str | None) -> int:
    """Position of tier ``name`` (lower is better); no tier ranks after every tier."""
    for i, tier in enumerate(tiers):
        if tier.name == name:
            return i
    return len(tiers)
