"""From a long table of code occurrences to a :class:`Cohort`, applying LoadOptions.

Every loader reduces its source to the same long form (:class:`Events`: one row per
code occurrence with its patient, visit, visit order, age at the visit, position in
the visit, code, system and kind) plus the patients' ids and sexes; this module
applies the shared :class:`LoadOptions` with vectorised numpy/pandas operations and
builds the CSR arrays.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lossbalance._errors import LossbalanceError
from lossbalance.data._cohort import (
    KINDS,
    SYSTEMS,
    CodeTable,
    Cohort,
    offsets_from_lengths,
    procedure_vocabularies,
    system_index,
    system_name,
)
from lossbalance.data._options import LoadOptions

_SYSTEM_ALIASES = {
    "icd9": "icd9",
    "9": "icd9",
    "icd9cm": "ICD9CM",
    "icd9proc": "ICD9PROC",
    "icd10": "icd10",
    "10": "icd10",
    "icd10cm": "ICD10CM",
    "icd10pcs": "ICD10PCS",
}
"""Code-system spellings (lower case, without ``-``, ``_``, ``.`` and blanks) of the ICD
vocabularies; ``icd9``/``icd10`` are resolved by the row's kind. Any other name is a
vocabulary of its own (:func:`lossbalance.data.vocabulary_name`)."""
_KIND_ALIASES = {
    "dx": 0,
    "d": 0,
    "diagnosis": 0,
    "diagnoses": 0,
    "diag": 0,
    "condition": 0,
    "conditions": 0,
    "px": 1,
    "p": 1,
    "procedure": 1,
    "procedures": 1,
    "proc": 1,
    "rx": 2,
    "drug": 2,
    "drugs": 2,
    "medication": 2,
    "medications": 2,
    "lab": 3,
    "labs": 3,
    "laboratory": 3,
    "measurement": 3,
    "measurements": 3,
    "other": 4,
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
        system: vocabulary index (:func:`lossbalance.data.system_index`, uint8).
        kind: index into KINDS (uint8).
    """

    patient: npt.NDArray[np.int64]
    visit: npt.NDArray[np.int64]
    visit_order: npt.NDArray[np.float64]
    visit_age: npt.NDArray[np.float64]
    seq: npt.NDArray[np.float64]
    code: npt.NDArray[np.signedinteger[Any]]
    code_names: npt.NDArray[np.str_]
    system: npt.NDArray[np.uint8]
    kind: npt.NDArray[np.uint8]
    code_system: npt.NDArray[np.uint8] | None = None
    """Optional: the vocabulary of each row of ``code_names`` when every occurrence of a
    code text has the same vocabulary and kind (MEDS): distinct codes are then found on
    ``code_names`` alone, with no hashing per occurrence."""
    code_kind: npt.NDArray[np.uint8] | None = None


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
    # one more slot at the end for missing values (factorize gives them -1)
    mapped = np.array(
        [aliases.get(u, 255) for u in text.fillna("").tolist()] + [255], dtype=np.int64
    )
    inverse = np.where(inverse < 0, len(mapped) - 1, inverse)
    _raise_bad(mapped[inverse] == 255, values, path, column, what, allowed)
    return mapped[inverse].astype(np.uint8)


def _raise_bad(
    bad: npt.NDArray[np.bool_], values: pd.Series, path: Path, column: str, what: str, allowed: str
) -> None:
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raw = values.iloc[first]
        shown = "a missing value" if pd.isna(raw) else repr(str(raw))
        raise LossbalanceError(
            f"{path}: column {column!r}: unknown {what} {shown} "
            f"(data row {first + 1}; expected {allowed})"
        )


def parse_systems(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Vocabularies as indices of :func:`lossbalance.data.system_index`.

    ICD spellings (``icd9``/``icd10``, ``9``/``10``, ``ICD-10-CM``, ``ICD10PCS``...) map to
    the built-in vocabularies (``icd9``/``icd10`` rows of kind ``px`` become ICD9PROC/
    ICD10PCS in the code table); any other name of letters, digits, ``_`` and ``-`` (``SNOMED``,
    ``LOINC``, ``RxNorm``...) is a vocabulary of its own. Work runs on distinct values.
    """
    inverse, uniq = _factorize(values)
    squeezed = uniq.str.strip().str.lower().str.replace(r"[-_ .]", "", regex=True).fillna("")
    raw = uniq.str.strip().fillna("").tolist()
    index = np.full(len(raw) + 1, 255, dtype=np.int64)
    for i, (sq, name) in enumerate(zip(squeezed.tolist(), raw, strict=True)):
        if not name:
            continue
        with contextlib.suppress(LossbalanceError):
            index[i] = system_index(_SYSTEM_ALIASES.get(sq, name))
    inverse = np.where(inverse < 0, len(index) - 1, inverse)
    out = index[inverse]
    _raise_bad(
        out == 255,
        values,
        path,
        column,
        "code system",
        "a vocabulary name of letters, digits, _ and - such as ICD10CM, icd9, SNOMED",
    )
    return out.astype(np.uint8)


def parse_kinds(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Code kinds (``dx``/``px``/``rx``/``lab``/``other``, ``diagnosis``/``procedure``/
    ``drug``/``measurement``...) as KINDS indices."""
    return _lookup(values, _KIND_ALIASES, path, column, "code kind", "dx, px, rx, lab or other")


def parse_sexes(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Sexes (``F``/``M``, ``female``/``male``) as SEXES indices."""
    return _lookup(values, _SEX_ALIASES, path, column, "sex", "F or M")


def truncate_codes(
    names: npt.NDArray[np.str_], systems: npt.NDArray[np.uint8], kinds: npt.NDArray[np.uint8]
) -> npt.NDArray[np.str_]:
    """Category-level codes (ICD vocabularies only; other vocabularies are unchanged).

    ICD-9-CM diagnoses: 3 digits, E-codes 4 characters (``E880``), V-codes 3 (``V10``);
    ICD-10-CM diagnoses: 3 characters; ICD-9-CM procedures (ICD9PROC): 2 digits;
    ICD-10-PCS procedures: 3 characters (section, body system, root operation).
    """
    out = pd.Series(names, dtype="string")
    icd9cm, icd10cm = systems == SYSTEMS.index("ICD9CM"), systems == SYSTEMS.index("ICD10CM")
    icd9proc, icd10pcs = systems == SYSTEMS.index("ICD9PROC"), systems == SYSTEMS.index("ICD10PCS")
    is_e = out.str.startswith("E").to_numpy(dtype=bool, na_value=False)
    result = out.copy()
    three = (icd9cm & ~is_e) | icd10cm | icd10pcs
    result[three] = out[three].str.slice(0, 3)
    e_rows = icd9cm & is_e
    result[e_rows] = out[e_rows].str.slice(0, 4)
    result[icd9proc] = out[icd9proc].str.slice(0, 2)
    return result.to_numpy(dtype=str)


def _intern(
    code: npt.NDArray[np.signedinteger[Any]],
    names: npt.NDArray[np.str_],
    system: npt.NDArray[np.uint8],
    kind: npt.NDArray[np.uint8],
) -> tuple[CodeTable, npt.NDArray[np.int64]]:
    """Distinct (code, system, kind) rows and the row of every occurrence.

    ``code`` indexes ``names`` (which may repeat a text); hashing, no sort.
    """
    name_id, distinct = pd.factorize(pd.Series(names, dtype=object))
    n_kinds = len(KINDS)
    key = (np.asarray(name_id, dtype=np.int64)[code] * 256 + system.astype(np.int64)) * n_kinds
    key += kind
    inverse, rows = pd.factorize(key)
    rows = np.asarray(rows, dtype=np.int64)
    table = CodeTable(
        np.asarray(distinct, dtype=str)[rows // (256 * n_kinds)],
        ((rows // n_kinds) % 256).astype(np.uint8),
        (rows % n_kinds).astype(np.uint8),
    )
    return table, np.asarray(inverse, dtype=np.int64)


def _in_order(keys: tuple[npt.NDArray[Any], ...]) -> bool:
    """Whether rows already sort by ``keys`` (most significant first; no NaN anywhere)."""
    n = len(keys[0])
    if n < 2:
        return True
    undecided = np.ones(n - 1, dtype=bool)
    for k in keys:
        if k.dtype.kind == "f" and np.isnan(k).any():
            return False
        a, b = k[:-1], k[1:]
        if (undecided & (b < a)).any():
            return False
        undecided &= b == a
        if not undecided.any():
            break
    return True


def build_cohort(
    events: Events,
    patient_ids: npt.NDArray[np.str_],
    sex: npt.NDArray[np.uint8],
    options: LoadOptions,
    source: str,
    default_kinds: tuple[str, ...] | None = None,
) -> Cohort:
    """Apply ``options`` to ``events`` and build the cohort.

    ``default_kinds`` are the kinds kept when ``options.kinds`` is None (None: the
    options' own default, diagnoses plus procedures with ``include_procedures``).

    Patients keep the order of ``patient_ids``; visits are ordered by ``visit_order``
    (ties by visit key); codes by ``seq`` (ties by source row). A patient's age is
    the age at their first visit kept. Visits without codes and patients without
    visits are dropped. An empty result is a :class:`LossbalanceError` naming the
    filter that emptied it.
    """
    n = len(events.patient)
    if n == 0:
        raise LossbalanceError(f"{source}: no code occurrences found")

    # 1. kinds and systems (ICD-CM rows of kind px are the procedure vocabularies)
    events_system = procedure_vocabularies(events.system, events.kind)
    kinds = options.kept_kinds(default_kinds)
    keep = np.isin(events.kind, np.array([KINDS.index(k) for k in kinds], dtype=np.uint8))
    if not keep.any():
        raise LossbalanceError(
            f"{source}: empty cohort after kinds={list(kinds)} (no codes of those kinds)"
        )
    keep_sys = keep
    if options.systems is not None:
        wanted = np.array(sorted(options.system_indices()), dtype=np.uint8)
        keep_sys = keep & np.isin(events_system, wanted)
        if not keep_sys.any():
            present = ", ".join(system_name(i) for i in np.unique(events_system[keep]).tolist())
            raise LossbalanceError(
                f"{source}: empty cohort after systems={list(options.systems)} "
                f"(no codes of those systems; it has {present})"
            )
    keep_sys &= events.code >= 0
    everything = bool(keep_sys.all())
    rows = np.zeros(0, dtype=np.int64) if everything else np.flatnonzero(keep_sys)
    del keep, keep_sys
    if not everything and rows.size == 0:
        raise LossbalanceError(f"{source}: every code is missing")

    def take(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if everything else values[rows]

    system, kind = take(events_system), take(events.kind)

    # 2. distinct codes, truncated if asked (on the distinct rows, not per occurrence)
    if events.code_system is not None and events.code_kind is not None:
        by_name, name_row = _intern(
            np.arange(len(events.code_names), dtype=np.int64),
            events.code_names,
            procedure_vocabularies(events.code_system, events.code_kind),
            events.code_kind,
        )
        table, code_row = by_name, name_row[take(events.code)]
    else:
        table, code_row = _intern(take(events.code), events.code_names, system, kind)
    if options.truncate:
        short = truncate_codes(table.names, table.systems, table.kinds)
        table, remap = _intern(np.arange(len(short)), short, table.systems, table.kinds)
        code_row = remap[code_row]

    # 3. order: patient, visit time, visit key, position in visit, source row
    patient = take(events.patient)
    visit = take(events.visit)
    vorder = take(events.visit_order)
    seq = take(events.seq)
    age = take(events.visit_age)
    if not _in_order((patient, vorder, visit, seq)):  # sources sorted already skip the sort
        vorder = np.nan_to_num(vorder, nan=np.inf)
        seq = np.nan_to_num(seq, nan=np.inf)
        source_row = np.arange(n, dtype=np.int64) if everything else rows
        order = np.lexsort((source_row, seq, visit, vorder, patient))
        patient, visit, code_row, age = patient[order], visit[order], code_row[order], age[order]
    new_visit = np.r_[True, (visit[1:] != visit[:-1]) | (patient[1:] != patient[:-1])]

    # 4. repeated codes within a visit: one int64 key (visit run, code) per occurrence; the
    # keys ascend by visit, so a stable sort (timsort) only reorders within visits
    n_rows = len(code_row)
    if not options.keep_duplicates and n_rows:
        starts = np.flatnonzero(new_visit)
        key = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.r_[starts, n_rows]))
        key *= np.int64(len(table))
        key += code_row
        by_key = np.argsort(key, kind="stable")
        ordered = key[by_key]
        del key
        first = np.ones(len(ordered), dtype=bool)
        first[by_key[1:][ordered[1:] == ordered[:-1]]] = False
        del by_key, ordered
        if not first.all():
            patient, visit, code_row, age = (
                patient[first],
                visit[first],
                code_row[first],
                age[first],
            )
            new_visit = new_visit[first]

    # 5. first N codes of each visit
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
