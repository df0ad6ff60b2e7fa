"""Options every loader shares: which codes to keep and how to shape them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SystemName = Literal["icd9", "icd10"]

AGE_OVER_89 = 91.4
"""Age given to MIMIC-III patients whose shifted date of birth says "over 89".

MIMIC-III moves the date of birth of patients older than 89 about 300 years back;
the MIMIC documentation gives 91.4 as the median age of that group, and we use it.
"""


class LoadOptions(BaseModel):
    """Options shared by every loader (MIMIC-III, MIMIC-IV, generic table).

    They are applied in this order, as vectorised operations over the long table of
    code occurrences: keep kinds (``include_procedures``) and ``systems``; truncate;
    order codes in their visit (source order / ``seq_num``); drop repeated codes in a
    visit (unless ``keep_duplicates``); keep the first ``max_codes_per_visit``; drop
    visits with no code left; drop patients with fewer than ``min_visits`` visits.

    Attributes:
        include_procedures: keep procedure codes (kind ``px``) besides diagnoses.
        truncate: cut codes to their category: ICD-9-CM diagnoses to 3 digits (E-codes
            4 characters, V-codes 3), ICD-10-CM diagnoses to 3 characters, ICD-9-CM
            procedures to 2 digits, ICD-10-PCS procedures to 3 characters.
        min_visits: drop patients with fewer visits (after the other filters).
        max_codes_per_visit: keep only the first N codes of each visit (source order).
        keep_duplicates: keep a code repeated within one visit (e.g. after truncation)
            as many times as it occurs; by default it is kept once, at its first place.
        systems: code systems to keep (MIMIC-IV mixes ICD-9 and ICD-10).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    include_procedures: bool = False
    truncate: bool = False
    min_visits: int = Field(default=1, ge=1)
    max_codes_per_visit: int | None = Field(default=None, ge=1)
    keep_duplicates: bool = False
    systems: tuple[SystemName, ...] = ("icd9", "icd10")

    @field_validator("systems")
    @classmethod
    def _systems_not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("systems: keep at least one code system")
        return tuple(dict.fromkeys(value))
