"""The result of an evaluation: every value, its floor, the gap, the counts behind them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict
from rich.table import Table

from lossbalance._errors import LossbalanceError
from lossbalance.metrics._coherence import CoherenceMetrics
from lossbalance.metrics._memorization import MemorizationMetrics
from lossbalance.metrics._names import (
    CONSTRAINT_ONLY,
    DEFINITIONS_VERSION,
    FLOOR_PREFIX,
    METRIC_DIRECTIONS,
    METRIC_GROUPS,
    METRIC_NAMES,
    check_metric,
    check_metric_names,
    metric_direction,
    oriented,
)
from lossbalance.metrics._targets import Target
from lossbalance.metrics._validity import ValidityMetrics

IDEAL_FLOOR: dict[str, float] = {"dcr_ratio": 1.0, "mia_auc": 0.5, "nnaar": 0.0}
"""The floor of the memorization metrics a sample of train cannot give (S *is* train):
their no-leak values. ``copy_rate``'s floor is ``copy_rate_floor`` (F, measured)."""


class CohortSize(BaseModel):
    """Patients, visits and code occurrences of a cohort."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    patients: int
    visits: int
    codes: int


class MetricsResult(BaseModel):
    """Metrics of a generated cohort G against the reference split F, beside the floor.

    ``values`` holds G's value of every metric of :data:`METRIC_NAMES`, ``floor_values``
    the floor's: the same metric of S (a seeded sample of train T of G's size, capped at
    |T|) against the same F; for the memorization metrics, the value a non-member scores
    (``copy_rate_floor``) or the no-leak value (:data:`IDEAL_FLOOR`). ``notes`` says, by
    metric name, why a value is NaN (no train, no floor, no pairs in F...).
    """

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    definitions_version: str = DEFINITIONS_VERSION
    seed: int
    top_k: int
    memorization_sample: int
    generated: CohortSize
    reference: CohortSize
    train: CohortSize | None = None
    floor: CohortSize | None = None
    """S, the floor sample (None without a floor)."""
    floor_capped: bool = False
    """S is all of T, smaller than G (|T| < |G|)."""
    values: dict[str, float]
    floor_values: dict[str, float]
    notes: dict[str, str] = {}
    validity: ValidityMetrics
    coherence: CoherenceMetrics
    floor_validity: ValidityMetrics | None = None
    floor_coherence: CoherenceMetrics | None = None
    memorization: MemorizationMetrics | None = None

    # ----------------------------------------------------------------- values
    def flat(self) -> dict[str, float]:
        """Every metric of G by name, then the floor's as ``floor_<name>`` (NaN where
        there is none)."""
        out = {n: float(self.values.get(n, math.nan)) for n in METRIC_NAMES}
        for name in METRIC_NAMES:
            out[FLOOR_PREFIX + name] = float(self.floor_values.get(name, math.nan))
        return out

    def value(self, name: str) -> float:
        """One metric by name (``floor_<name>`` for the floor's)."""
        return self.flat()[check_metric(name)]

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

    def caption(self) -> str:
        """One line: the cohorts compared, the floor and the definitions' version."""
        g, f = self.generated, self.reference
        parts = [f"G {g.patients:,} patients / {g.visits:,} visits", f"F {f.patients:,}"]
        if self.train is not None:
            parts.append(f"T {self.train.patients:,}")
        if self.floor is not None:
            capped = " (capped at |T| < |G|)" if self.floor_capped else ""
            parts.append(f"floor S = {self.floor.patients:,} patients of T{capped}")
        else:
            parts.append("no floor")
        parts.append(self.definitions_version)
        return "; ".join(parts)

    def table(self, targets: Iterable[Target] = (), title: str | None = None) -> Table:
        """A rich table grouped by validity, coherence, diversity and memorization: G,
        the floor, the gap, each target marked pass or fail, and why a value is n/a."""
        by_name = {t.metric: t for t in targets}
        flat, gap = self.flat(), self.gap()
        table = Table(title=title or "lossbalance metrics", caption=self.caption())
        table.add_column("metric")
        table.add_column("better", justify="center")
        table.add_column("generated", justify="right")
        table.add_column("floor", justify="right")
        table.add_column("gap", justify="right")
        if by_name:
            table.add_column("target", justify="right")
            table.add_column("status", justify="center")
        table.add_column("note", overflow="fold")
        for group, names in METRIC_GROUPS.items():
            table.add_section()
            table.add_row(f"[bold]{group}[/]")
            for name in names:
                label = name
                if name == "top100" and self.top_k != 100:
                    label = f"top100 (K={self.top_k})"
                if name in CONSTRAINT_ONLY:
                    arrow = f"→{CONSTRAINT_ONLY[name]:g}"
                else:
                    arrow = "↑" if METRIC_DIRECTIONS[name] == "maximize" else "↓"
                floor_txt = _fmt(flat[FLOOR_PREFIX + name])
                if name in IDEAL_FLOOR and not math.isnan(flat[FLOOR_PREFIX + name]):
                    floor_txt += " (ideal)"
                row = [f"  {label}", arrow, _fmt(flat[name]), floor_txt]
                row.append(_fmt(gap[name], signed=True))
                if by_name:
                    target = by_name.get(name)
                    if target is None:
                        row += ["", ""]
                    else:
                        ok = target.passed(flat[name])
                        row += [str(target), "[green]pass[/]" if ok else "[bold red]FAIL[/]"]
                row.append(self.notes.get(name, ""))
                table.add_row(*row)
        return table


def _fmt(value: float, signed: bool = False) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    spec = "+" if signed else ""
    return f"{value:{spec}.1f}" if abs(value) >= 100 else f"{value:{spec}.4f}"
