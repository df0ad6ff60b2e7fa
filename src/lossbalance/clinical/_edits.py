"""Per-code age and sex edits, and the conflicts they flag in a cohort (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lossbalance.data import Cohort

SEX_ANY = -1
"""Value of :attr:`CodeEdits.sex_only` for codes without a sex edit (else 0 = F, 1 = M)."""
AGE_MIN = 0
AGE_MAX = 124


@dataclass(frozen=True)
class CodeEdits:
    """The edits of every row of a code table.

    A code is valid for a patient of age ``a`` (years, floored to whole years as the
    MCE compares them) when ``min_age[i] <= floor(a) <= max_age[i]``, and for sex
    ``s`` when ``sex_only[i]`` is :data:`SEX_ANY` or equals ``s``. Codes without an age
    edit have the range ``[AGE_MIN, AGE_MAX]``; ages above ``AGE_MAX`` count as
    ``AGE_MAX``. Procedures and unknown codes carry no edit unless a rule names them.
    """

    min_age: npt.NDArray[np.int16]
    max_age: npt.NDArray[np.int16]
    sex_only: npt.NDArray[np.int8]
    edit_type: npt.NDArray[np.str_]
    """Name of the edit(s) behind each row (``"Maternity_Only"``; ``""`` for none)."""

    def age_conflict(
        self, rows: npt.NDArray[np.integer], ages: npt.NDArray[np.floating]
    ) -> npt.NDArray[np.bool_]:
        """Whether code rows ``rows`` conflict with ages ``ages`` (element-wise)."""
        whole = np.minimum(np.floor(ages), AGE_MAX)
        return (whole < self.min_age[rows]) | (whole > self.max_age[rows])

    def sex_conflict(
        self, rows: npt.NDArray[np.integer], sexes: npt.NDArray[np.integer]
    ) -> npt.NDArray[np.bool_]:
        """Whether code rows ``rows`` conflict with sexes ``sexes`` (element-wise)."""
        only = self.sex_only[rows]
        return (only != SEX_ANY) & (only != sexes.astype(np.int8))


@dataclass(frozen=True)
class CodeConflicts:
    """Per code occurrence of a cohort: does it conflict with its patient's age, sex?"""

    age: npt.NDArray[np.bool_]
    sex: npt.NDArray[np.bool_]


def cohort_conflicts(cohort: Cohort, edits: CodeEdits) -> CodeConflicts:
    """Flag every code occurrence of ``cohort`` against ``edits`` (rows of its code table)."""
    patient = cohort.code_patient()
    return CodeConflicts(
        age=edits.age_conflict(cohort.codes, cohort.age[patient]),
        sex=edits.sex_conflict(cohort.codes, cohort.sex[patient]),
    )
