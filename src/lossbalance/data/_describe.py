"""Summary statistics of a cohort, as a pydantic model and as rich tables."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from rich.console import Console, Group, RenderableType
from rich.table import Table

from lossbalance.data._cohort import KINDS, SEXES, Cohort, system_name, vocabularies

TOP_N = 10


class Distribution(BaseModel):
    """Mean and quantiles (numpy's default linear interpolation) of a count or value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: float
    q10: float
    q50: float
    q90: float
    max: float

    @classmethod
    def of(cls, values: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> Distribution:
        """The distribution of ``values`` (all zeros for an empty array)."""
        if len(values) == 0:
            return cls(mean=0.0, q10=0.0, q50=0.0, q90=0.0, max=0.0)
        q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9])
        return cls(
            mean=float(np.mean(values)),
            q10=float(q10),
            q50=float(q50),
            q90=float(q90),
            max=float(np.max(values)),
        )


class TopCode(BaseModel):
    """One of the most frequent codes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    system: str
    kind: str
    count: int
    share: float
    """Share of all code occurrences."""
    description: str


class CohortSummary(BaseModel):
    """What :func:`describe` measures; every number is computed from the cohort.

    Attributes:
        patients, visits, code_occurrences, distinct_codes: sizes.
        visits_per_patient, codes_per_visit: mean and 0.1/0.5/0.9 quantiles and max.
        one_visit_share: share of patients with exactly one visit.
        age: distribution of age at first visit (years).
        age_min: youngest age.
        sex: patients per sex (``F``, ``M``).
        systems: code occurrences per code system; kinds: per code kind.
        top_codes: the ``TOP_N`` most frequent codes (ties by key), with descriptions
            where :func:`lossbalance.clinical.code_descriptions` knows one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    patients: int
    visits: int
    code_occurrences: int
    distinct_codes: int
    visits_per_patient: Distribution
    codes_per_visit: Distribution
    one_visit_share: float
    age: Distribution
    age_min: float
    sex: dict[str, int]
    systems: dict[str, int]
    kinds: dict[str, int]
    top_codes: list[TopCode]

    def tables(self) -> list[Table]:
        """The summary as rich tables: overview, distributions, mixes, top codes."""
        overview = Table(title="Cohort", show_header=False, title_justify="left")
        overview.add_column("measure", style="bold")
        overview.add_column("value", justify="right")
        overview.add_row("patients", f"{self.patients:,}")
        overview.add_row("visits", f"{self.visits:,}")
        overview.add_row("code occurrences", f"{self.code_occurrences:,}")
        overview.add_row("distinct codes", f"{self.distinct_codes:,}")
        overview.add_row("patients with one visit", f"{self.one_visit_share:.1%}")

        dist = Table(title="Distributions", title_justify="left")
        dist.add_column("", style="bold")
        for name in ("mean", "p10", "median", "p90", "max"):
            dist.add_column(name, justify="right")
        for label, d, fmt in (
            ("visits per patient", self.visits_per_patient, "{:.2f}"),
            ("codes per visit", self.codes_per_visit, "{:.2f}"),
            ("age at first visit", self.age, "{:.1f}"),
        ):
            dist.add_row(label, *(fmt.format(v) for v in (d.mean, d.q10, d.q50, d.q90, d.max)))

        mix = Table(title="Mix", title_justify="left")
        mix.add_column("", style="bold")
        mix.add_column("value")
        mix.add_column("count", justify="right")
        mix.add_column("share", justify="right")
        for label, counts, total in (
            ("sex", self.sex, self.patients),
            ("code system", self.systems, self.code_occurrences),
            ("code kind", self.kinds, self.code_occurrences),
        ):
            shown = {k: c for k, c in counts.items() if c or label == "sex"}
            for i, (key, count) in enumerate(shown.items()):
                share = count / total if total else 0.0
                mix.add_row(label if i == 0 else "", key, f"{count:,}", f"{share:.1%}")

        top = Table(title=f"Top {len(self.top_codes)} codes", title_justify="left")
        top.add_column("#", justify="right")
        top.add_column("code", style="bold")
        top.add_column("system")
        top.add_column("count", justify="right")
        top.add_column("share", justify="right")
        described = any(code.description for code in self.top_codes)
        if described:
            top.add_column("description")
        for rank, code in enumerate(self.top_codes, start=1):
            cells = [
                str(rank),
                code.code,
                f"{code.system} {code.kind}",
                f"{code.count:,}",
                f"{code.share:.1%}",
            ]
            top.add_row(*cells, *([code.description] if described else []))
        return [overview, dist, mix, top]

    def renderable(self) -> RenderableType:
        """All tables, as one rich renderable."""
        parts: list[RenderableType] = []
        for table in self.tables():
            parts.extend([table, ""])
        return Group(*parts[:-1])

    def print(self, console: Console | None = None) -> None:
        """Print the tables (to stdout unless a console is given)."""
        (console or Console()).print(self.renderable())


def describe(cohort: Cohort) -> CohortSummary:
    """Measure a cohort's summary statistics (vectorised).

    Args:
        cohort: the cohort to describe.

    Returns:
        A :class:`CohortSummary`; its :meth:`~CohortSummary.print` shows rich tables
        and ``model_dump_json()`` gives the same numbers for machines.
    """
    from lossbalance.clinical import code_descriptions  # clinical imports data: import late

    vpp = cohort.visits_per_patient()
    cpv = cohort.codes_per_visit()
    table = cohort.code_table
    counts = np.bincount(cohort.codes, minlength=len(table))
    used = np.flatnonzero(counts)
    keys = table.keys()
    # most frequent first, ties by key string: deterministic
    order = used[np.lexsort((keys[used], -counts[used]))][:TOP_N]
    top_table = table.take(order)
    descriptions = code_descriptions(top_table) if len(order) else []
    n_codes = max(cohort.n_codes, 1)
    top = [
        TopCode(
            code=str(table.names[i]),
            system=system_name(int(table.systems[i])),
            kind=KINDS[int(table.kinds[i])],
            count=int(counts[i]),
            share=float(counts[i]) / n_codes,
            description=descriptions[j],
        )
        for j, i in enumerate(order.tolist())
    ]
    sys_counts = np.bincount(table.systems[cohort.codes], minlength=len(vocabularies()))
    kind_counts = np.bincount(table.kinds[cohort.codes], minlength=len(KINDS))
    sex_counts = np.bincount(cohort.sex, minlength=len(SEXES))
    return CohortSummary(
        patients=cohort.n_patients,
        visits=cohort.n_visits,
        code_occurrences=cohort.n_codes,
        distinct_codes=int(used.size),
        visits_per_patient=Distribution.of(vpp),
        codes_per_visit=Distribution.of(cpv),
        one_visit_share=float(np.mean(vpp == 1)) if len(vpp) else 0.0,
        age=Distribution.of(cohort.age),
        age_min=float(cohort.age.min()) if cohort.n_patients else 0.0,
        sex={s: int(sex_counts[i]) for i, s in enumerate(SEXES)},
        systems={system_name(i): int(sys_counts[i]) for i in np.flatnonzero(sys_counts).tolist()},
        kinds={k: int(kind_counts[i]) for i, k in enumerate(KINDS)},
        top_codes=top,
    )
