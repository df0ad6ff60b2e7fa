"""The recommendation: which run of an experiment to keep.

Rule, applied to every run that completed (the baseline included: when it wins, the
recommendation is to keep it):

1. **tier** first: a run whose outcome tier is listed earlier in the spec wins; a run
   that reached no tier ranks after every tier;
2. then the **composite objectives** of DESIGN.md: the larger mean of ``validity`` and
   ``coherence`` wins (both lie in [0, 1]; a NaN counts as the worst value). The run
   that maximises the mean is never Pareto-dominated on (validity, coherence) among
   the runs of its tier, since a dominating run would have a larger mean;
3. ties: the larger ``validity`` (medical validity is the hard constraint of the seed
   scenario), then the larger ``coherence``, then the earlier run in the order
   baseline, main run, variants in plan order (the simpler, already-known choice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lossbalance.spec import Tier, tier_rank


@dataclass(frozen=True)
class Candidate:
    """A completed run as the recommendation sees it.

    Attributes:
        run: the run id.
        label: its display name.
        order: its position in the experiment (baseline, main, variants).
        tier: its outcome tier (None: no tier).
        validity: the composite validity objective.
        coherence: the composite coherence objective.
    """

    run: str
    label: str
    order: int
    tier: str | None
    validity: float
    coherence: float

    @property
    def score(self) -> float:
        """Mean of validity and coherence (NaN when either is NaN)."""
        return (self.validity + self.coherence) / 2.0


def _worst_if_nan(value: float) -> float:
    return -math.inf if math.isnan(value) else value


def sort_key(candidate: Candidate, tiers: Sequence[Tier]) -> tuple[float, ...]:
    """The ranking key of :func:`rank` (smaller is better)."""
    return (
        float(tier_rank(tiers, candidate.tier)),
        -_worst_if_nan(candidate.score),
        -_worst_if_nan(candidate.validity),
        -_worst_if_nan(candidate.coherence),
        float(candidate.order),
    )


def rank(candidates: Sequence[Candidate], tiers: Sequence[Tier]) -> list[Candidate]:
    """``candidates`` from the recommended one to the last (rule in the module docstring)."""
    return sorted(candidates, key=lambda c: sort_key(c, tiers))


@dataclass(frozen=True)
class Recommendation:
    """The recommended run and why.

    Attributes:
        best: the recommended run (None when no run completed).
        ranking: every completed run, best first.
        reason: one or two sentences saying why.
    """

    best: Candidate | None
    ranking: list[Candidate]
    reason: str


def _describe(c: Candidate) -> str:
    return (
        f"tier {c.tier or 'none'}, validity {c.validity:.4f}, coherence {c.coherence:.4f} "
        f"(mean {c.score:.4f})"
    )


def recommend(candidates: Sequence[Candidate], tiers: Sequence[Tier]) -> Recommendation:
    """Pick the run to keep (rule in the module docstring)."""
    ranking = rank(candidates, tiers)
    if not ranking:
        return Recommendation(None, [], "no run completed, so there is nothing to recommend")
    best = ranking[0]
    reason = f"{best.label} ({best.run}): {_describe(best)}"
    if len(ranking) == 1:
        return Recommendation(best, ranking, reason + "; the only run that completed")
    second = ranking[1]
    if tier_rank(tiers, best.tier) < tier_rank(tiers, second.tier):
        why = "the best tier reached"
    elif _worst_if_nan(best.score) > _worst_if_nan(second.score):
        why = "the same tier as the runner-up, with the larger mean of validity and coherence"
    elif _worst_if_nan(best.validity) > _worst_if_nan(second.validity):
        why = "tied on tier and mean with the runner-up, with the larger validity"
    elif _worst_if_nan(best.coherence) > _worst_if_nan(second.coherence):
        why = "tied on tier, mean and validity with the runner-up, with the larger coherence"
    else:
        why = "tied with the runner-up on every criterion, and earlier in the run order"
    reason += f"; {why}. Runner-up: {second.label} ({_describe(second)})"
    if best.run == "baseline":
        reason += ". None of the new runs beats the baseline: keep it"
    return Recommendation(best, ranking, reason + ".")
