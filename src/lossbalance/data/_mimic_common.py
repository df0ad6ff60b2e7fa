"""Pieces the MIMIC-III and MIMIC-IV loaders share: reading the four tables, id lookups,
admissions, and code tables to events and the cohort."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import Events, build_cohort, normalise_codes, parse_sexes
from lossbalance.data._cohort import KINDS, Cohort
from lossbalance.data._io import (
    find_table,
    header,
    parse_dates,
    parse_numbers,
    progress,
    read_table,
    require_table,
    resolve_columns,
)
from lossbalance.data._options import LoadOptions

_SEQ_STRIDE = 1e9
"""Procedures sort after diagnoses within a visit: seq = kind * stride + seq_num."""


def unique_index(ids: pd.Series, path: Path, column: str) -> pd.Index:
    """An index over ``ids`` (text), which must be unique and present."""
    text = ids.astype("string").str.strip()
    if text.isna().any():
        row = int(np.flatnonzero(text.isna().to_numpy())[0])
        raise LossbalanceError(f"{path}: column {column!r} is empty (data row {row + 1})")
    dup = text.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise LossbalanceError(
            f"{path}: column {column!r}: id {text.iloc[row]!r} appears twice (data row {row + 1})"
        )
    return pd.Index(text.to_numpy(dtype=str))


def rows_of(index: pd.Index, ids: pd.Series) -> npt.NDArray[np.int64]:
    """Row of each id (text, stripped) in ``index``; -1 where absent."""
    idx, uniq = pd.factorize(ids.astype("string"))
    text = pd.Series(np.asarray(uniq, dtype=object)).astype("string").str.strip()
    rows = np.r_[index.get_indexer(pd.Index(text.fillna("").to_numpy(dtype=str))), -1]
    return np.asarray(rows, dtype=np.int64)[idx]  # idx -1 (missing) picks the final -1


@dataclass
class CodeRows:
    """One MIMIC code table, read: its rows matched to patients and admissions."""

    path: Path
    patient: npt.NDArray[np.int64]
    admission: npt.NDArray[np.int64]
    seq: npt.NDArray[np.float64]
    code: npt.NDArray[np.int64]
    code_names: npt.NDArray[np.str_]
    system: npt.NDArray[np.uint8]
    kind: int


def match_codes(
    frame: pd.DataFrame,
    path: Path,
    columns: dict[str, str],
    patients: pd.Index,
    admissions: pd.Index,
    system: npt.NDArray[np.uint8],
    kind: int,
) -> CodeRows:
    """Match a code table's rows to patients and admissions; drop rows without a code
    or whose patient or admission is not in the other tables."""
    pat = rows_of(patients, frame["subject_id"])
    adm = rows_of(admissions, frame["hadm_id"])
    code, names = normalise_codes(frame["code"])
    keep = (pat >= 0) & (adm >= 0) & (code >= 0)
    seq = parse_numbers(frame["seq_num"], path, columns["seq_num"])
    return CodeRows(
        path=path,
        patient=pat[keep].astype(np.int64),
        admission=adm[keep].astype(np.int64),
        seq=seq[keep],
        code=code[keep],
        code_names=names,
        system=system[keep],
        kind=kind,
    )


def events_from(
    parts: list[CodeRows],
    admit_ns: npt.NDArray[np.float64],
    visit_age: npt.NDArray[np.float64],
) -> Events:
    """Concatenate code tables into :class:`Events`.

    ``admit_ns`` and ``visit_age`` are per admission (admission time as float
    nanoseconds for ordering, and the patient's age then).
    """
    adm = np.concatenate([p.admission for p in parts])
    starts = np.cumsum([0] + [len(p.code_names) for p in parts])
    return Events(
        patient=np.concatenate([p.patient for p in parts]),
        visit=adm,
        visit_order=admit_ns[adm],
        visit_age=visit_age[adm],
        seq=np.concatenate([p.kind * _SEQ_STRIDE + np.nan_to_num(p.seq, nan=0.0) for p in parts]),
        code=np.concatenate([p.code + start for p, start in zip(parts, starts, strict=False)]),
        code_names=np.concatenate([p.code_names for p in parts]),
        system=np.concatenate([p.system for p in parts]),
        kind=np.concatenate([np.full(len(p.patient), p.kind, dtype=np.uint8) for p in parts]),
    )


def require_times(
    times: npt.NDArray[np.datetime64], ids: pd.Index, path: Path, column: str
) -> None:
    """Every admission needs its time (it orders visits and dates ages)."""
    bad = np.isnat(times)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LossbalanceError(
            f"{path}: column {column!r} is empty for admission {ids[row]!r} (data row {row + 1})"
        )


ADMISSION_COLS = {"subject_id": "subject_id", "hadm_id": "hadm_id", "admittime": "admittime"}
"""The admissions columns both MIMIC versions read (same names in III and IV)."""


@dataclass
class MimicTables:
    """The tables of one MIMIC load, read: file, resolved column names and frame by table.

    Keys: ``patients``, ``admissions``, ``diagnoses`` and (when asked for and present)
    ``procedures``.
    """

    files: dict[str, Path]
    cols: dict[str, dict[str, str]]
    frames: dict[str, pd.DataFrame]


def read_tables(
    folder: Path,
    names: tuple[str, str, str, str],
    patient_cols: dict[str, str],
    code_cols: dict[str, str],
    include_procedures: bool,
    label: str,
) -> MimicTables:
    """Find and read the patients, admissions, diagnoses (and procedures) tables.

    Args:
        folder: the folder holding the tables.
        names: the file names (no suffix) of patients, admissions, diagnoses, procedures.
        patient_cols: field -> expected column of the patients table.
        code_cols: field -> expected column of both code tables.
        include_procedures: also read the procedures table when the folder has one.
        label: the progress bar's text.
    """
    keys = ("patients", "admissions", "diagnoses")
    files = {key: require_table(folder, name) for key, name in zip(keys, names, strict=False)}
    if include_procedures:
        px = find_table(folder, names[3])
        if px is not None:
            files["procedures"] = px
    wanted = {
        "patients": patient_cols,
        "admissions": ADMISSION_COLS,
        "diagnoses": code_cols,
        "procedures": code_cols,
    }
    cols = {
        name: resolve_columns(f, header(f), wanted[name], required=list(wanted[name]))
        for name, f in files.items()
    }
    with progress(list(files.values()), label) as task_for:
        frames = {name: read_table(f, cols[name], task_for(f)) for name, f in files.items()}
    return MimicTables(files, cols, frames)


def read_patients(tables: MimicTables) -> tuple[pd.Index, npt.NDArray[np.uint8]]:
    """The patient ids (unique) and their sexes."""
    path, cols, frame = tables.files["patients"], tables.cols["patients"], tables.frames["patients"]
    patients = unique_index(frame["subject_id"], path, cols["subject_id"])
    return patients, parse_sexes(frame["gender"], path, cols["gender"])


@dataclass
class Admissions:
    """The admissions table: ids (unique), times (all present), and patient rows."""

    ids: pd.Index
    time: npt.NDArray[np.datetime64]
    patient: npt.NDArray[np.int64]
    """Row of each admission's patient in the patient index; -1 where absent."""


def read_admissions(tables: MimicTables, patients: pd.Index) -> Admissions:
    """Index the admissions and match them to ``patients``."""
    path, cols, frame = (
        tables.files["admissions"],
        tables.cols["admissions"],
        tables.frames["admissions"],
    )
    ids = unique_index(frame["hadm_id"], path, cols["hadm_id"])
    admit = parse_dates(frame["admittime"], path, cols["admittime"])
    require_times(admit, ids, path, cols["admittime"])
    return Admissions(ids, admit, rows_of(patients, frame["subject_id"]))


def cohort_from_codes(
    tables: MimicTables,
    patients: pd.Index,
    sex: npt.NDArray[np.uint8],
    admissions: Admissions,
    age: npt.NDArray[np.float64],
    systems: Callable[[str], npt.NDArray[np.uint8]],
    age_source: str,
    options: LoadOptions,
    source: str,
) -> Cohort:
    """The code tables matched to patients and admissions, built into the cohort.

    Args:
        tables: the read tables.
        patients: the patient ids, with ``sex`` their sexes.
        sex: see ``patients``.
        admissions: the read admissions.
        age: the patient's age at each admission (NaN where unknown).
        systems: the code system of each row of the named code table.
        age_source: the column(s) that give ages, for the error on a visit without an
            age (``"column 'dob' is"``).
        options: the load options.
        source: the cohort's source (the folder).
    """
    parts = [
        match_codes(
            tables.frames[name],
            tables.files[name],
            tables.cols[name],
            patients,
            admissions.ids,
            systems(name),
            KINDS.index(kind),
        )
        for name, kind in (("diagnoses", "dx"), ("procedures", "px"))
        if name in tables.frames
    ]
    events = events_from(parts, admissions.time.astype(np.int64).astype(np.float64), age)
    no_age = np.isnan(events.visit_age)
    if no_age.any():
        pid = patients[int(events.patient[np.flatnonzero(no_age)[0]])]
        raise LossbalanceError(
            f"{tables.files['patients']}: {age_source} empty for patient {pid!r}"
        )
    return build_cohort(events, patients.to_numpy(dtype=str), sex, options, source)
