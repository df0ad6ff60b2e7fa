"""Medical validity of a generated cohort: age and sex edits, duplicates in a visit.

Definitions (DESIGN.md, "Metric definitions (exact)"), over all generated *diagnosis*
code occurrences (kind ``dx``; procedures are not judged):

- ``age_valid = 1 - age_conflicts / dx_codes``
- ``sex_valid = 1 - sex_conflicts / dx_codes``
- ``duplicate_rate = sum over visits, over codes, of (count - 1) / dx_codes``
- ``validity = mean(age_valid, sex_valid) * (1 - duplicate_rate)``
- ``rule_coverage = covered_codes / dx_codes``: the share of those codes that any age or
  sex rule covers (built-in MCE edits or a user rule table). Validity on codes no rule
  covers is empty, not reassuring: a SNOMED cohort without a rule table has validity 1.0
  and rule_coverage 0.

The age and sex edits are those of the CMS Medicare Code Editor (MCE), applied through
:class:`lossbalance.clinical.CodeEdits`. Every occurrence counts, a duplicated one too.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from lossbalance.clinical import CodeEdits, code_descriptions
from lossbalance.data import KINDS
from lossbalance.metrics._space import CodeSpace, EncodedCohort, visit_chunks


class CodeCount(BaseModel):
    """A code (``system:kind:code`` key) and how often it offended (or occurred)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    count: int
    edit: str = ""
    description: str = ""


class ValidityMetrics(BaseModel):
    """Validity rates of one cohort, the counts behind them and the top offenders."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    age_valid: float
    sex_valid: float
    duplicate_rate: float
    validity: float
    rule_coverage: float = float("nan")
    dx_codes: int
    age_conflicts: int
    sex_conflicts: int
    duplicates: int
    covered_codes: int = 0
    top_age: list[CodeCount]
    top_sex: list[CodeCount]
    top_duplicates: list[CodeCount]


def top_codes(
    weights: npt.NDArray[np.int64],
    keys: npt.NDArray[np.str_],
    n: int,
    edits: npt.NDArray[np.str_] | None = None,
    descriptions: list[str] | None = None,
) -> list[CodeCount]:
    """The ``n`` rows with the largest positive ``weights`` (ties: key ascending)."""
    rows = np.flatnonzero(weights > 0)
    order = rows[np.lexsort((keys[rows], -weights[rows]))][:n]
    return [
        CodeCount(
            code=str(keys[i]),
            count=int(weights[i]),
            edit=str(edits[i]) if edits is not None else "",
            description=descriptions[j] if descriptions is not None else "",
        )
        for j, i in enumerate(order.tolist())
    ]


def compute_validity(
    enc: EncodedCohort, space: CodeSpace, edits: CodeEdits, top_n: int = 10
) -> ValidityMetrics:
    """Validity metrics of the cohort encoded in ``enc`` under ``edits`` (one row per
    row of its code table). Codes with the same key are one code (duplicates by key).

    With no diagnosis code at all every rate is NaN (nothing to judge; documented in
    docs/metrics.md).
    """
    cohort = enc.cohort
    table = cohort.code_table
    n_space = len(space)
    rows = space.rows_of(cohort)
    # one row of the cohort's table per space code it holds (for edit names, descriptions)
    first_row = np.full(n_space, -1, dtype=np.int64)
    first_row[rows[::-1]] = np.arange(len(rows) - 1, -1, -1)
    is_dx = np.zeros(n_space, dtype=bool)
    is_dx[rows] = table.kinds == KINDS.index("dx")

    age_by_key = np.zeros(n_space, dtype=np.int64)
    sex_by_key = np.zeros(n_space, dtype=np.int64)
    n_dx = 0
    n_covered = 0
    covered = edits.edit_type != ""
    visit_patient = cohort.visit_patient()
    offsets = cohort.code_offsets
    for chunk in visit_chunks(offsets):  # bounded memory: one chunk of visits at a time
        lo, hi = int(offsets[chunk.start]), int(offsets[chunk.stop])
        patient = np.repeat(visit_patient[chunk], np.diff(offsets[chunk.start : chunk.stop + 1]))
        occ_rows, space_codes = cohort.codes[lo:hi], enc.codes[lo:hi]
        dx = is_dx[space_codes]
        n_dx += int(dx.sum())
        n_covered += int((covered[occ_rows] & dx).sum()) if len(covered) else 0
        age_bad = edits.age_conflict(occ_rows, cohort.age[patient]) & dx
        sex_bad = edits.sex_conflict(occ_rows, cohort.sex[patient]) & dx
        age_by_key += np.bincount(space_codes[age_bad], minlength=n_space)
        sex_by_key += np.bincount(space_codes[sex_bad], minlength=n_space)
    repeated = np.flatnonzero(enc.multiplicity > 1)
    repeated = repeated[is_dx[enc.indices[repeated]]]
    extra = enc.multiplicity[repeated].astype(np.int64) - 1
    dup_by_key = np.bincount(enc.indices[repeated], weights=extra, minlength=n_space)
    dup_by_key = dup_by_key.astype(np.int64)
    n_age, n_sex, n_dup = int(age_by_key.sum()), int(sex_by_key.sum()), int(extra.sum())

    if n_dx:
        age_valid = 1.0 - n_age / n_dx
        sex_valid = 1.0 - n_sex / n_dx
        dup_rate = n_dup / n_dx
        composite = (age_valid + sex_valid) / 2.0 * (1.0 - dup_rate)
        coverage = n_covered / n_dx
    else:
        age_valid = sex_valid = dup_rate = composite = coverage = float("nan")

    edit_names = (
        np.where(first_row >= 0, edits.edit_type[np.maximum(first_row, 0)], "")
        if len(table)
        else np.full(n_space, "")
    )

    def described(weights: npt.NDArray[np.int64], with_edit: bool) -> list[CodeCount]:
        top = top_codes(weights, space.keys, top_n, edit_names if with_edit else None)
        if not top:
            return top
        picked = first_row[np.searchsorted(space.keys, [t.code for t in top])]
        desc = code_descriptions(table.take(picked))
        return [t.model_copy(update={"description": d}) for t, d in zip(top, desc, strict=True)]

    return ValidityMetrics(
        age_valid=age_valid,
        sex_valid=sex_valid,
        duplicate_rate=dup_rate,
        validity=composite,
        rule_coverage=coverage,
        dx_codes=n_dx,
        covered_codes=n_covered,
        age_conflicts=n_age,
        sex_conflicts=n_sex,
        duplicates=n_dup,
        top_age=described(age_by_key, True),
        top_sex=described(sex_by_key, True),
        top_duplicates=described(dup_by_key, False),
    )
