"""Loader for a generic long table of codes plus a patients table (CSV or Parquet).

This is how any EHR export gets in: one row per code occurrence, and one row per
patient. Column names are configurable with :class:`TableColumns`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import (
    Events,
    build_cohort,
    normalise_codes,
    parse_kinds,
    parse_sexes,
    parse_systems,
)
from lossbalance.data._cohort import SPLITS, SYSTEMS, Cohort
from lossbalance.data._io import (
    header,
    parse_dates,
    parse_numbers,
    progress,
    read_table,
    resolve_columns,
    years_between,
)
from lossbalance.data._mimic_common import rows_of, unique_index
from lossbalance.data._options import LoadOptions, SystemName


class TableColumns(BaseModel):
    """Column names of the generic tables (matched ignoring letter case).

    Codes table (one row per code occurrence): ``patient_id``; ``visit_id`` or
    ``visit_date`` (or both: the id defines the visit, the date orders it); ``code``
    (dots and spaces are removed, letters upper-cased); ``system`` (values ``icd9``/
    ``icd10``, ``9``/``10`` or ``ICD-10-CM``...) unless ``fixed_system`` names one
    system for the whole file; optional ``kind`` (``dx``/``px``, ``diagnosis``/
    ``procedure``; all ``dx`` when the column is absent); optional ``seq`` (order of
    the code in its visit; file order otherwise).

    Patients table (one row per patient): ``patient_id``; ``sex`` (``F``/``M``,
    ``female``/``male``); ``birth_date`` or ``age`` (years at the patient's first visit
    in the codes table); optional ``split`` (the patient's evaluation split: ``train``,
    ``tuning`` or ``held_out``, see :data:`lossbalance.data.SPLITS`; when the column is
    present the cohort carries it, and experiments keep it instead of drawing one).

    Set a field to ``None`` to say the column does not exist.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient_id: str = "patient_id"
    visit_id: str | None = "visit_id"
    visit_date: str | None = "visit_date"
    code: str = "code"
    system: str | None = "system"
    fixed_system: SystemName | None = None
    kind: str | None = "kind"
    seq: str | None = None
    sex: str = "sex"
    birth_date: str | None = "birth_date"
    age: str | None = "age"
    split: str | None = "split"


def _first_per_group(
    values: npt.NDArray[np.float64], group: npt.NDArray[np.int64], n_groups: int
) -> npt.NDArray[np.float64]:
    """The minimum of ``values`` in each group (NaN where a group has none)."""
    out = np.full(n_groups, np.inf)
    np.minimum.at(out, group, np.nan_to_num(values, nan=np.inf))
    out[np.isinf(out)] = np.nan
    return out


def load_table(
    codes_path: str | os.PathLike[str],
    patients_path: str | os.PathLike[str],
    columns: TableColumns | None = None,
    options: LoadOptions | None = None,
) -> Cohort:
    """Load a cohort from a long codes table and a patients table.

    Each file is CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``), by suffix.
    Visits are ordered by date when there is a visit date, else by first appearance in
    the codes file. With a birth date, a patient's age is the age at their first kept
    visit; with an ``age`` column, it is that age plus the years from the patient's
    first visit in the file to the first kept one (when dates are known).

    Rows without a code are skipped. A code row whose patient is missing from the
    patients table, a missing visit date (when dates are used), a missing sex, birth
    date or age, or a visit before birth is a :class:`LossbalanceError`.

    Args:
        codes_path: the codes table.
        patients_path: the patients table.
        columns: the column names (defaults: :class:`TableColumns`).
        options: the shared :class:`LoadOptions`.
    """
    cpath, ppath = Path(codes_path), Path(patients_path)
    cols = columns or TableColumns()
    opts = options or LoadOptions()

    code_wanted: dict[str, str | None] = {
        "patient_id": cols.patient_id,
        "visit_id": cols.visit_id,
        "visit_date": cols.visit_date,
        "code": cols.code,
        "system": None if cols.fixed_system else cols.system,
        "kind": cols.kind,
        "seq": cols.seq,
    }
    required = ["patient_id", "code"] + (["seq"] if cols.seq else [])
    if not cols.fixed_system:
        required.append("system")
        if cols.system is None:
            raise LossbalanceError(
                "columns: give a system column or fixed_system for the whole file"
            )
    cfound = resolve_columns(cpath, header(cpath), code_wanted, required)
    if "visit_id" not in cfound and "visit_date" not in cfound:
        raise LossbalanceError(
            f"{cpath}: missing column {cols.visit_id or cols.visit_date!r} "
            f"(a visit id or a visit date column is needed)"
        )
    pat_wanted: dict[str, str | None] = {
        "patient_id": cols.patient_id,
        "sex": cols.sex,
        "birth_date": cols.birth_date,
        "age": cols.age,
        "split": cols.split,
    }
    pfound = resolve_columns(ppath, header(ppath), pat_wanted, ["patient_id", "sex"])
    if "birth_date" not in pfound and "age" not in pfound:
        raise LossbalanceError(
            f"{ppath}: missing column {cols.birth_date or cols.age!r} "
            f"(a birth date or an age column is needed)"
        )
    if "birth_date" in pfound and "visit_date" not in cfound:
        if "age" not in pfound:
            raise LossbalanceError(
                f"{cpath}: missing column {cols.visit_date!r} "
                f"(ages from birth dates need visit dates)"
            )
        del pfound["birth_date"]

    with progress([cpath, ppath], "reading tables") as task_for:
        codes = read_table(cpath, cfound, task_for(cpath))
        pats = read_table(ppath, pfound, task_for(ppath))

    # patients
    patients = unique_index(pats["patient_id"], ppath, pfound["patient_id"])
    sex = parse_sexes(pats["sex"], ppath, pfound["sex"])

    # code rows
    code, code_names = normalise_codes(codes["code"])
    has_code = code >= 0
    if not has_code.all():
        codes, code = codes[has_code].reset_index(drop=True), code[has_code]
    if len(codes) == 0:
        raise LossbalanceError(f"{cpath}: no code occurrences found")
    pid = codes["patient_id"].astype("string").str.strip()
    patient = rows_of(patients, pid)
    if (patient < 0).any():
        row = int(np.flatnonzero(patient < 0)[0])
        raise LossbalanceError(
            f"{cpath}: column {cfound['patient_id']!r}: patient {pid.iloc[row]!r} is not in {ppath}"
        )
    if "system" in cfound:
        system = parse_systems(codes["system"], cpath, cfound["system"])
    else:
        system = np.full(len(codes), SYSTEMS.index(str(cols.fixed_system)), dtype=np.uint8)
    kind = (
        parse_kinds(codes["kind"], cpath, cfound["kind"])
        if "kind" in cfound
        else np.zeros(len(codes), dtype=np.uint8)
    )
    seq = (
        parse_numbers(codes["seq"], cpath, cfound["seq"])
        if "seq" in cfound
        else np.zeros(len(codes))
    )

    # visits
    date_s: npt.NDArray[np.float64] | None = None
    dates: npt.NDArray[np.datetime64] | None = None
    if "visit_date" in cfound:
        dates = parse_dates(codes["visit_date"], cpath, cfound["visit_date"])
        if np.isnat(dates).any():
            row = int(np.flatnonzero(np.isnat(dates))[0])
            raise LossbalanceError(
                f"{cpath}: column {cfound['visit_date']!r} is empty (data row {row + 1})"
            )
        date_s = dates.astype(np.int64).astype(np.float64)
    visit_col = codes["visit_id"] if "visit_id" in cfound else codes["visit_date"]
    key_frame = pd.DataFrame({"p": patient, "v": visit_col.astype("string")})
    groups = key_frame.groupby(["p", "v"], sort=False, dropna=False).ngroup()
    visit = np.asarray(groups.to_numpy(), dtype=np.int64)
    n_visits = int(visit.max()) + 1
    if date_s is not None:
        visit_date_s = _first_per_group(date_s, visit, n_visits)
        visit_order = visit_date_s[visit]
    else:
        visit_order = visit.astype(np.float64)

    # ages
    if "birth_date" in pfound and dates is not None:
        birth = parse_dates(pats["birth_date"], ppath, pfound["birth_date"])
        _require_present(np.isnat(birth), patient, patients, ppath, pfound["birth_date"])
        visit_dt = visit_order.astype(np.int64).astype("datetime64[s]")
        visit_age = years_between(birth[patient], visit_dt)
    else:
        given = parse_numbers(pats["age"], ppath, pfound["age"])
        _require_present(np.isnan(given), patient, patients, ppath, pfound["age"])
        visit_age = given[patient]
        if date_s is not None:
            first_s = _first_per_group(visit_order, patient, len(patients))
            visit_age = visit_age + (visit_order - first_s[patient]) / (365.2425 * 86400)
    if (visit_age < 0).any():
        row = int(np.flatnonzero(visit_age < 0)[0])
        raise LossbalanceError(
            f"{cpath}: patient {pid.iloc[row]!r} has a visit before birth "
            f"(age {visit_age[row]:.2f} from {ppath})"
        )

    events = Events(
        patient=patient.astype(np.int64),
        visit=visit,
        visit_order=visit_order,
        visit_age=visit_age,
        seq=seq,
        code=code,
        code_names=code_names,
        system=system,
        kind=kind,
    )
    cohort = build_cohort(events, patients.to_numpy(dtype=str), sex, opts, str(cpath))
    if "split" in pfound:
        split = _parse_splits(pats["split"], ppath, pfound["split"])
        cohort = cohort.with_splits(split[patients.get_indexer(pd.Index(cohort.patient_ids))])
    return cohort


def _parse_splits(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.uint8]:
    """Split names (``train``/``tuning``/``held_out``, any case) as indices into SPLITS."""
    text = values.astype("string").str.strip().str.lower()
    known = pd.Index(list(SPLITS))
    index = known.get_indexer(pd.Index(text.fillna("").to_numpy(dtype=str)))
    if (index < 0).any():
        row = int(np.flatnonzero(index < 0)[0])
        raise LossbalanceError(
            f"{path}: column {column!r}: split {values.iloc[row]!r} is not one of "
            f"{', '.join(SPLITS)} (data row {row + 1})"
        )
    return index.astype(np.uint8)


def _require_present(
    missing: npt.NDArray[np.bool_],
    used_rows: npt.NDArray[np.int64],
    ids: pd.Index,
    path: Path,
    column: str,
) -> None:
    """A patient who has codes needs the value (patients without codes are ignored)."""
    used = np.zeros(len(missing), dtype=bool)
    used[used_rows] = True
    missing = missing & used
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise LossbalanceError(
            f"{path}: column {column!r} is empty for patient {ids[row]!r} (data row {row + 1})"
        )
