"""Options every loader shares: which codes to keep and how to shape them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lossbalance._errors import LossbalanceError
from lossbalance.data._cohort import vocabulary_name

SystemName = str
"""A vocabulary name (``ICD10CM``, ``SNOMED``...) or an alias (``icd9``, ``icd10``)."""
KindName = Literal["dx", "px", "rx", "lab", "other"]

AGE_OVER_89 = 91.4
"""Age given to MIMIC-III patients whose shifted date of birth says "over 89".

MIMIC-III moves the date of birth of patients older than 89 about 300 years back;
the MIMIC documentation gives 91.4 as the median age of that group, and we use it.
"""


class LoadOptions(BaseModel):
    """Options shared by every loader (MIMIC-III, MIMIC-IV, generic table).

    They are applied in this order, as vectorised operations over the long table of
    code occurrences: keep kinds (``kinds``, or ``include_procedures``) and ``systems``; truncate;
    order codes in their visit (source order / ``seq_num``); drop repeated codes in a
    visit (unless ``keep_duplicates``); keep the first ``max_codes_per_visit``; drop
    visits with no code left; drop patients with fewer than ``min_visits`` visits.

    Attributes:
        include_procedures: keep procedure codes (kind ``px``) besides diagnoses (when
            ``kinds`` is not given).
        kinds: the code kinds to keep (``dx``, ``px``, ``rx``, ``lab``, ``other``); None:
            ``dx``, plus ``px`` with ``include_procedures`` (the MEDS reader's None is
            ``dx`` and ``px``).
        truncate: cut codes to their category: ICD-9-CM diagnoses to 3 digits (E-codes
            4 characters, V-codes 3), ICD-10-CM diagnoses to 3 characters, ICD-9-CM
            procedures to 2 digits, ICD-10-PCS procedures to 3 characters; codes of
            other vocabularies are kept whole.
        min_visits: drop patients with fewer visits (after the other filters).
        max_codes_per_visit: keep only the first N codes of each visit (source order).
        keep_duplicates: keep a code repeated within one visit (e.g. after truncation)
            as many times as it occurs; by default it is kept once, at its first place.
        systems: vocabularies to keep (MIMIC-IV mixes ICD-9 and ICD-10): names such as
            ``ICD10CM`` or ``SNOMED``, or the aliases ``icd9`` (ICD9CM and ICD9PROC) and
            ``icd10`` (ICD10CM and ICD10PCS); None keeps every vocabulary.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    include_procedures: bool = False
    truncate: bool = False
    min_visits: int = Field(default=1, ge=1)
    max_codes_per_visit: int | None = Field(default=None, ge=1)
    keep_duplicates: bool = False
    systems: tuple[SystemName, ...] | None = None
    kinds: tuple[KindName, ...] | None = None

    @field_validator("systems")
    @classmethod
    def _systems_not_empty(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("systems: keep at least one code system")
        for name in value:
            try:
                vocabulary_name(name)
            except LossbalanceError as exc:
                raise ValueError(str(exc)) from None
        return tuple(dict.fromkeys(value))

    @field_validator("kinds")
    @classmethod
    def _kinds_not_empty(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("kinds: keep at least one code kind")
        return None if value is None else tuple(dict.fromkeys(value))

    def kept_kinds(self, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The kinds to keep: ``kinds``, else ``default``, else dx (+ px with procedures)."""
        if self.kinds is not None:
            return self.kinds
        if default is not None:
            return default
        return ("dx", "px") if self.include_procedures else ("dx",)

    def system_indices(self) -> set[int]:
        """Indices of the kept vocabularies (aliases expanded to both ICD vocabularies)."""
        from lossbalance.data._cohort import system_index

        out: set[int] = set()
        for name in self.systems or ():
            out.add(system_index(name, "dx"))
            out.add(system_index(name, "px"))
        return out

    def keeps_system(self, name: str) -> bool:
        """Whether vocabulary ``name`` (or alias) survives ``systems``."""
        from lossbalance.data._cohort import system_index

        return self.systems is None or bool(
            {system_index(name, "dx"), system_index(name, "px")} & self.system_indices()
        )
