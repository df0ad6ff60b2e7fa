"""From a long table of code occurrences to a :class:`Cohort`, applying LoadOptions.

Every loader reduces its source to the same long form (:class:`Events`: one row per
code occurrence with its patient, visit, visit order, age at the visit, position in
the visit, code, system and kind) plus the patients' ids and sexes; this module
applies the shared :class:`LoadOptions` with vectorised numpy/pandas operations and
builds the CSR arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from lossbalance._errors import LossbalanceError
from lossbalance.data._cohort import KINDS, SYSTEMS, CodeTable, Cohort, offsets_from_lengths
from lossbalance.data._options import LoadOptions

_SYSTEM_ALIASES = {"icd9": 0, "9": 0, "icd10": 1, "10": 1}
_KIND_ALIASES = {
    "dx": 0,
    "d": 0,
    "diagnosis": 0,
    "diagnoses": 0,
    "diag": 0,
    "px": 1,
    "p": 1,
    "procedure": 1,
    "procedures": 1,
    "proc": 1,
}
_SEX_ALIASES = {"f": 0, "female": 0, "w": 0, "woman": 0, "m": 1, "male": 1, "man": 1}


@dataclass
class Events:
    """One row per code occurrence, before the options are applied.

    Attributes:
        patient: row of the patient in the patients arrays (int64).
        visit: a key that is equal for the codes of one visit, across the whole source.
        visit_order: sort key of the visit within its patient (time; NaN sorts last).
        visit_age: the patient's age in years at that visit.
        seq: sort key of the code within its visit (NaN sorts last; ties keep row order).
        code: row of each occurrence's code in ``code_names`` (-1: no code).
        code_names: code texts (no dots, upper case), as made by :func:`normalise_codes`.
        system: index into SYSTEMS (uint8).
        kind: index into KINDS (uint8).
    """

    patient: npt.NDArray[np.int64]
    visit: npt.NDArray[np.int64]
    visit_order: npt.NDArray[np.float64]
    visit_age: npt.NDArray[np.float64]
    seq: npt.NDArray[np.float64]
    code: npt.NDArray[np.int64]
    code_names: npt.NDArray[np.str_]
    system: npt.NDArray[np.uint8]
    kind: npt.NDArray[np.uint8]


def _factorize(values: pd.Series) -> tuple[npt.NDArray[np.int64], pd.Series]:
    """Hash-factorize ``values`` as text: (row of each value, distinct texts); -1 = missing.

    String work then runs on the few distinct values, not on every occurrence.
    """
    idx, uniq = pd.factorize(values.astype("string"))
    return np.asarray(idx, dtype=np.int64), pd.Series(np.asarray(uniq, dtype=object)).astype(
        "string"
    )


def normalise_codes(values: pd.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
    """Codes as upper-case text without dots or spaces (``"250.00"`` -> ``"25000"``).

    Returns the row of each value in a table of distinct normalised codes, and that
    table; a missing or empty code gets row -1.
    """
    idx, uniq = _factorize(values)
    norm = (
        uniq.str.strip()
        .str.replace(".", "", regex=False)
        .str.replace(" ", "", regex=False)
        .str.upper()
    )
    names = norm.fillna("").to_numpy(dtype=str)
    if len(names) == 0:
        return idx, names
    empty = names == ""
    mapped = np.where(empty, -1, np.arange(len(names)))
    return np.where(idx >= 0, mapped[np.maximum(idx, 0)], -1), names


def _lookup(
    values: pd.Series,
    aliases: dict[str, int],
    path: Path,
    column: str,
    what: str,
    allowed: str,
) -> npt.NDArray[np.uint8]:
    inverse, uniq = _factorize(values)
    text = uniq.str.strip().str.lower().str.replace(r"[-_ .]", "", regex=True)
    if what == "code system":
        text = text.str.replace(r"(cm|pcs)$", "", regex=True)
    # one more slot at the end for missing values (factorize gives them -1)
    mapped = np.array(
        [aliases.get(u, 255) for u in text.fillna("").tolist()] + [255], dtype=np.int64
    )
    inverse = np.where(inverse < 0, len(mapped) - 1, inverse)
    bad = mapped[inverse] == 255
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raw = values.iloc[first]
        shown = "a missing value" if pd.isna(raw) else repr(str(raw))
        raise LossbalanceError(
            f"{path}: column {column!r}: unknown {what} {shown} "
            f"(data row {first + 1}; expected {allowed})"
        )
    return mapped[inverse].astype(np.uint8)


def parse_systems(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Code systems (``icd9``/``icd10``, ``9``/``10``, ``ICD-10-CM``...) as SYSTEMS indices."""
    return _lookup(values, _SYSTEM_ALIASES, path, column, "code system", "icd9 or icd10")


def parse_kinds(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Code kinds (``dx``/``px``, ``diagnosis``/``procedure``) as KINDS indices."""
    return _lookup(values, _KIND_ALIASES, path, column, "code kind", "dx or px")


def parse_sexes(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Sexes (``F``/``M``, ``female``/``male``) as SEXES indices."""
    return _lookup(values, _SEX_ALIASES, path, column, "sex", "F or M")


def truncate_codes(
    names: npt.NDArray[np.str_], systems: npt.NDArray[np.uint8], kinds: npt.NDArray[np.uint8]
) -> npt.NDArray[np.str_]:
    """Category-level codes.

    ICD-9-CM diagnoses: 3 digits, E-codes 4 characters (``E880``), V-codes 3 (``V10``);
    ICD-10-CM diagnoses: 3 characters; ICD-9-CM procedures: 2 digits; ICD-10-PCS
    procedures: 3 characters (section, body system, root operation).
    """
    out = pd.Series(names, dtype="string")
    icd9, dx = systems == SYSTEMS.index("icd9"), kinds == KINDS.index("dx")
    short = out.str.slice(0, 3)
    is_e = out.str.startswith("E").to_numpy(dtype=bool, na_value=False)
    result = short.copy()
    e_rows = icd9 & dx & is_e
    result[e_rows] = out[e_rows].str.slice(0, 4)
    px9 = icd9 & ~dx
    result[px9] = out[px9].str.slice(0, 2)
    return result.to_numpy(dtype=str)


def _intern(
    code: npt.NDArray[np.int64],
    names: npt.NDArray[np.str_],
    system: npt.NDArray[np.uint8],
    kind: npt.NDArray[np.uint8],
) -> tuple[CodeTable, npt.NDArray[np.int64]]:
    """Distinct (code, system, kind) rows and the row of every occurrence.

    ``code`` indexes ``names`` (which may repeat a text); hashing, no sort.
    """
    name_id, distinct = pd.factorize(pd.Series(names, dtype=object))
    key = np.asarray(name_id, dtype=np.int64)[code] * 4 + system.astype(np.int64) * 2 + kind
    inverse, rows = pd.factorize(key)
    rows = np.asarray(rows, dtype=np.int64)
    table = CodeTable(
        np.asarray(distinct, dtype=str)[rows // 4],
        ((rows // 2) % 2).astype(np.uint8),
        (rows % 2).astype(np.uint8),
    )
    return table, np.asarray(inverse, dtype=np.int64)


def build_cohort(
    events: Events,
    patient_ids: npt.NDArray[np.str_],
    sex: npt.NDArray[np.uint8],
    options: LoadOptions,
    source: str,
) -> Cohort:
    """Apply ``options`` to ``events`` and build the cohort.

    Patients keep the order of ``patient_ids``; visits are ordered by ``visit_order``
    (ties by visit key); codes by ``seq`` (ties by source row). A patient's age is
    the age at their first visit kept. Visits without codes and patients without
    visits are dropped. An empty result is a :class:`LossbalanceError` naming the
    filter that emptied it.
    """
    n = len(events.patient)
    if n == 0:
        raise LossbalanceError(f"{source}: no code occurrences found")

    # 1. kinds and systems
    keep = np.ones(n, dtype=bool)
    if not options.include_procedures:
        keep &= events.kind == KINDS.index("dx")
        if not keep.any():
            raise LossbalanceError(
                f"{source}: empty cohort after include_procedures=False (no diagnosis codes)"
            )
    wanted = np.array([SYSTEMS.index(s) for s in options.systems], dtype=np.uint8)
    keep_sys = keep & np.isin(events.system, wanted)
    if not keep_sys.any():
        raise LossbalanceError(
            f"{source}: empty cohort after systems={list(options.systems)} "
            "(no codes of those systems)"
        )
    rows = np.flatnonzero(keep_sys)

    rows = rows[events.code[rows] >= 0]
    if rows.size == 0:
        raise LossbalanceError(f"{source}: every code is missing")
    system, kind = events.system[rows], events.kind[rows]

    # 2. distinct codes, truncated if asked (on the distinct rows, not per occurrence)
    table, code_row = _intern(events.code[rows], events.code_names, system, kind)
    if options.truncate:
        short = truncate_codes(table.names, table.systems, table.kinds)
        table, remap = _intern(np.arange(len(short)), short, table.systems, table.kinds)
        code_row = remap[code_row]

    # 3. order: patient, visit time, visit key, position in visit, source row
    patient = events.patient[rows]
    visit = events.visit[rows]
    vorder = np.nan_to_num(events.visit_order[rows], nan=np.inf)
    seq = np.nan_to_num(events.seq[rows], nan=np.inf)
    order = np.lexsort((rows, seq, visit, vorder, patient))
    patient, visit, code_row = patient[order], visit[order], code_row[order]
    age = events.visit_age[rows][order]

    # 4. repeated codes within a visit
    if not options.keep_duplicates:
        first = ~pd.DataFrame({"v": visit, "c": code_row}).duplicated().to_numpy()
        patient, visit, code_row, age = patient[first], visit[first], code_row[first], age[first]

    # 5. first N codes of each visit
    new_visit = np.r_[True, (visit[1:] != visit[:-1]) | (patient[1:] != patient[:-1])]
    if options.max_codes_per_visit is not None:
        starts = np.flatnonzero(new_visit)
        lengths = np.diff(np.r_[starts, len(visit)])
        rank = np.arange(len(visit)) - np.repeat(starts, lengths)
        head = rank < options.max_codes_per_visit
        patient, visit, code_row, age = patient[head], visit[head], code_row[head], age[head]
        new_visit = new_visit[head]

    # 6. patients with too few visits
    visit_start = np.flatnonzero(new_visit)
    visit_patient = patient[visit_start]
    n_pat = len(patient_ids)
    vcount = np.bincount(visit_patient, minlength=n_pat)
    if options.min_visits > 1:
        enough = vcount >= options.min_visits
        if not enough.any():
            raise LossbalanceError(
                f"{source}: empty cohort after min_visits={options.min_visits} "
                f"(no patient has that many visits; the most is {int(vcount.max())})"
            )
        occ = enough[patient]
        patient, code_row, age, new_visit = patient[occ], code_row[occ], age[occ], new_visit[occ]
        visit_start = np.flatnonzero(new_visit)
        visit_patient = patient[visit_start]
        vcount = np.bincount(visit_patient, minlength=n_pat)

    # 7. CSR arrays
    kept = np.flatnonzero(vcount > 0)
    codes_per_visit = np.diff(np.r_[visit_start, len(patient)])
    first_code_of_patient = np.flatnonzero(np.r_[True, patient[1:] != patient[:-1]])
    cohort = Cohort(
        age=age[first_code_of_patient],
        sex=sex[kept],
        visit_offsets=offsets_from_lengths(vcount[kept]),
        code_offsets=offsets_from_lengths(codes_per_visit),
        codes=code_row.astype(np.int32),
        code_table=table,
        patient_ids=np.asarray(patient_ids)[kept],
    )
    return cohort.compact()
