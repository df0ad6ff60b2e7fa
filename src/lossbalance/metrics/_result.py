"""The result of an evaluation: every value, the counts behind it, the floor, the gap."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict
from rich.table import Table

from lossbalance._errors import LossbalanceError
from lossbalance.metrics._coherence import CoherenceMetrics
from lossbalance.metrics._distributions import DistributionMetrics
from lossbalance.metrics._floor import Sampling
from lossbalance.metrics._names import (
    DEFINITIONS_VERSION,
    FLOOR_PREFIX,
    METRIC_DIRECTIONS,
    METRIC_NAMES,
    check_metric_names,
    metric_direction,
    oriented,
)
from lossbalance.metrics._targets import Target
from lossbalance.metrics._validity import ValidityMetrics


class CohortSize(BaseModel):
    """Patients, visits and code occurrences of a cohort."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    patients: int
    visits: int
    codes: int


class SideMetrics(BaseModel):
    """Every metric of one cohort (G, or the floor's H) against R."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    size: CohortSize
    validity: ValidityMetrics
    coherence: CoherenceMetrics
    distributions: DistributionMetrics

    def flat(self) -> dict[str, float]:
        """``{metric name: value}`` for every name of :data:`METRIC_NAMES`."""
        out: dict[str, float] = {}
        blocks = (self.validity, self.coherence, self.distributions)
        for name in METRIC_NAMES:
            for block in blocks:
                if name in type(block).model_fields:
                    out[name] = float(getattr(block, name))
                    break
        return out


class MetricsResult(BaseModel):
    """Metrics of a generated cohort G against the real cohort R, beside the floor.

    ``generated`` holds G's metrics, ``floor`` (when computed) the same metrics of the
    held-out real cohort H (sized like G) against the same R. ``real`` is the R the
    coherence metrics used: with ``floor_source == "split"`` that is one half of the
    real cohort given, the other half being H.
    """

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    definitions_version: str = DEFINITIONS_VERSION
    seed: int
    top_k: int
    real: CohortSize
    generated: SideMetrics
    floor: SideMetrics | None = None
    floor_source: Literal["heldout", "split"] | None = None
    floor_sampling: Sampling | None = None
    heldout_patients: int | None = None
    """Patients of H before it was sized like G."""

    # ----------------------------------------------------------------- values
    def flat(self) -> dict[str, float]:
        """Every metric of G by name, then the floor's as ``floor_<name>`` (NaN without
        a floor)."""
        out = self.generated.flat()
        floor = self.floor.flat() if self.floor is not None else {}
        for name in METRIC_NAMES:
            out[FLOOR_PREFIX + name] = floor.get(name, math.nan)
        return out

    def value(self, name: str) -> float:
        """One metric by name (``floor_<name>`` for the floor's)."""
        metric_direction(name)
        return self.flat()[name]

    def gap(self) -> dict[str, float]:
        """G minus the floor for every metric (NaN without a floor)."""
        flat = self.flat()
        return {n: flat[n] - flat[FLOOR_PREFIX + n] for n in METRIC_NAMES}

    def dominates(self, other: MetricsResult, objectives: Sequence[str]) -> bool:
        """Pareto dominance on ``objectives`` (metric names; directions from
        :data:`METRIC_DIRECTIONS`): at least as good on all, better on one. NaN counts
        as the worst value."""
        names = check_metric_names(objectives)
        if not names:
            raise LossbalanceError("objectives: give at least one metric name")
        mine, theirs = self.flat(), other.flat()
        better = False
        for name in names:
            d = metric_direction(name)
            a, b = oriented(mine[name], d), oriented(theirs[name], d)
            if a < b:
                return False
            better = better or a > b
        return better

    # ---------------------------------------------------------------- targets
    def check_targets(self, targets: Iterable[Target]) -> dict[str, bool]:
        """Pass (True) or fail of each target, by metric name."""
        flat = self.flat()
        return {t.metric: t.passed(flat[t.metric]) for t in targets}

    # -------------------------------------------------------------------- I/O
    def to_json(self, indent: int | None = 2) -> str:
        """JSON text (NaN and infinities as the strings "NaN", "Infinity")."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> MetricsResult:
        return cls.model_validate_json(text)

    def table(self, targets: Iterable[Target] = (), title: str | None = None) -> Table:
        """A rich table: G, the floor, the gap, and each target marked pass or fail."""
        by_name = {t.metric: t for t in targets}
        flat, gap = self.flat(), self.gap()
        has_floor = self.floor is not None
        g = self.generated.size
        caption = (
            f"G {g.patients:,} patients / {g.visits:,} visits / {g.codes:,} codes; "
            f"R {self.real.patients:,} patients"
        )
        if has_floor and self.floor is not None:
            caption += (
                f"; floor: H ({self.floor_source}, {self.heldout_patients:,} patients, "
                f"{self.floor_sampling}) vs R"
            )
        caption += f"; {self.definitions_version}"
        table = Table(title=title or "lossbalance metrics", caption=caption)
        table.add_column("metric")
        table.add_column("better", justify="center")
        table.add_column("generated", justify="right")
        if has_floor:
            table.add_column("floor (H vs R)", justify="right")
            table.add_column("gap", justify="right")
        if by_name:
            table.add_column("target", justify="right")
            table.add_column("status", justify="center")
        for name in METRIC_NAMES:
            label = name if name != "top100" or self.top_k == 100 else f"top100 (K={self.top_k})"
            row = [label, "↑" if METRIC_DIRECTIONS[name] == "maximize" else "↓", _fmt(flat[name])]
            if has_floor:
                row += [_fmt(flat[FLOOR_PREFIX + name]), _fmt(gap[name], signed=True)]
            if by_name:
                target = by_name.get(name)
                if target is None:
                    row += ["", ""]
                else:
                    ok = target.passed(flat[name])
                    row += [str(target), "[green]pass[/]" if ok else "[bold red]FAIL[/]"]
            table.add_row(*row)
        return table


def _fmt(value: float, signed: bool = False) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    spec = "+" if signed else ""
    return f"{value:{spec}.1f}" if abs(value) >= 100 else f"{value:{spec}.4f}"
