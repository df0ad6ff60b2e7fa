"""Helpers for tests of code that scores cohorts (as ``optuna.testing`` does for Optuna).

:class:`HandRules` is a :class:`~lossbalance.clinical.RuleSet` written by hand, code by
code, so that a test of a metric does not depend on the package's rule tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lossbalance.clinical import AGE_MAX, AGE_MIN, SEX_ANY, CodeEdits, RuleSet
from lossbalance.data import SEXES, CodeTable


@dataclass(frozen=True)
class Edit:
    """The edit of one code: allowed whole-year ages ``[min_age, max_age]``, and the one
    sex allowed (``"F"``/``"M"``; None for both)."""

    min_age: int = AGE_MIN
    max_age: int = AGE_MAX
    sex: str | None = None
    name: str = ""


class HandRules(RuleSet):
    """Edits by code name (any system and kind), e.g.
    ``HandRules({"O80": Edit(12, 55, "F", "Maternity_Only")})``; other codes have none."""

    def __init__(self, edits: Mapping[str, Edit] | None = None) -> None:
        # a stand-in: deliberately skips RuleSet's own tables
        self.edits = dict(edits or {})
        self.source = "hand-written test rules"

    def edits_for(self, table: CodeTable) -> CodeEdits:
        n = len(table)
        lo = np.full(n, AGE_MIN, dtype=np.int16)
        hi = np.full(n, AGE_MAX, dtype=np.int16)
        only = np.full(n, SEX_ANY, dtype=np.int8)
        names = [""] * n
        for i, code in enumerate(table.names.tolist()):
            edit = self.edits.get(code)
            if edit is not None:
                lo[i], hi[i] = edit.min_age, edit.max_age
                only[i] = SEX_ANY if edit.sex is None else SEXES.index(edit.sex)
                names[i] = edit.name
        return CodeEdits(lo, hi, only, np.array(names, dtype=np.str_))
