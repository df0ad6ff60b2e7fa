"""Pieces the MIMIC-III and MIMIC-IV loaders share: id lookups and code tables to events."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import Events, normalise_codes
from lossbalance.data._io import parse_numbers

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
