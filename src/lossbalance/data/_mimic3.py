"""Loader for MIMIC-III (Johnson et al. 2016, Scientific Data 3:160035)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import build_cohort, parse_sexes
from lossbalance.data._cohort import KINDS, SYSTEMS, Cohort
from lossbalance.data._io import (
    find_table,
    header,
    parse_dates,
    progress,
    read_table,
    require_table,
    resolve_columns,
    years_between,
)
from lossbalance.data._mimic_common import (
    events_from,
    match_codes,
    require_times,
    rows_of,
    unique_index,
)
from lossbalance.data._options import AGE_OVER_89, LoadOptions

AGE_SHIFT_THRESHOLD = 90.0
"""Computed ages at or above this are MIMIC-III's shifted "over 89" ages (about 300)."""

_PATIENT_COLS = {"subject_id": "subject_id", "gender": "gender", "dob": "dob"}
_ADMISSION_COLS = {"subject_id": "subject_id", "hadm_id": "hadm_id", "admittime": "admittime"}
_CODE_COLS = {
    "subject_id": "subject_id",
    "hadm_id": "hadm_id",
    "seq_num": "seq_num",
    "code": "icd9_code",
}


def load_mimic3(path: str | os.PathLike[str], options: LoadOptions | None = None) -> Cohort:
    """Load a MIMIC-III folder (the full database or the demo) as a cohort.

    Reads ``PATIENTS``, ``ADMISSIONS``, ``DIAGNOSES_ICD`` and, with
    ``options.include_procedures``, ``PROCEDURES_ICD`` (``.csv`` or ``.csv.gz``, upper-
    or lower-case file names and headers). Every code is ICD-9 (diagnoses ICD-9-CM,
    kind ``dx``; procedures ICD-9-CM volume 3, kind ``px``). A visit is an admission
    (``hadm_id``); visits are ordered by ``ADMITTIME``, codes by ``SEQ_NUM`` (procedures
    after diagnoses). A patient's age is the age at their first kept admission,
    computed from ``DOB``; ages of 90 or more, which MIMIC-III shifts to about 300
    for patients over 89, become :data:`AGE_OVER_89` (91.4, the group's median age in
    the MIMIC documentation): such patients are kept, never dropped.

    Rows of the code tables without a code, or whose patient or admission is absent
    from ``PATIENTS``/``ADMISSIONS``, are skipped.

    Args:
        path: the folder holding the MIMIC-III CSV files.
        options: the shared :class:`LoadOptions` (defaults: diagnoses, full codes).
    """
    folder = Path(path)
    opts = options or LoadOptions()
    if not folder.is_dir():
        raise LossbalanceError(f"{folder}: MIMIC-III folder not found")
    if "icd9" not in opts.systems:
        raise LossbalanceError(
            f"{folder}: empty cohort after systems={list(opts.systems)} "
            "(MIMIC-III codes are all icd9)"
        )
    files = {
        "patients": require_table(folder, "PATIENTS"),
        "admissions": require_table(folder, "ADMISSIONS"),
        "diagnoses": require_table(folder, "DIAGNOSES_ICD"),
    }
    if opts.include_procedures:
        px = find_table(folder, "PROCEDURES_ICD")
        if px is not None:
            files["procedures"] = px
    wanted = {
        "patients": _PATIENT_COLS,
        "admissions": _ADMISSION_COLS,
        "diagnoses": _CODE_COLS,
        "procedures": _CODE_COLS,
    }
    cols = {
        name: resolve_columns(f, header(f), wanted[name], required=list(wanted[name]))
        for name, f in files.items()
    }
    with progress(list(files.values()), "reading MIMIC-III") as task_for:
        frames = {name: read_table(f, cols[name], task_for(f)) for name, f in files.items()}

    pf, af = files["patients"], files["admissions"]
    patients = unique_index(frames["patients"]["subject_id"], pf, cols["patients"]["subject_id"])
    sex = parse_sexes(frames["patients"]["gender"], pf, cols["patients"]["gender"])
    dob = parse_dates(frames["patients"]["dob"], pf, cols["patients"]["dob"])
    admissions = unique_index(frames["admissions"]["hadm_id"], af, cols["admissions"]["hadm_id"])
    admit = parse_dates(frames["admissions"]["admittime"], af, cols["admissions"]["admittime"])
    require_times(admit, admissions, af, cols["admissions"]["admittime"])

    adm_patient = rows_of(patients, frames["admissions"]["subject_id"])
    dob_of_adm = np.full(len(admit), np.datetime64("NaT"), dtype="datetime64[s]")
    dob_of_adm[adm_patient >= 0] = dob[adm_patient[adm_patient >= 0]]
    age = years_between(dob_of_adm, admit)
    age[np.isnat(dob_of_adm)] = np.nan
    age = np.where(age >= AGE_SHIFT_THRESHOLD, AGE_OVER_89, age)

    icd9 = SYSTEMS.index("icd9")
    parts = [
        match_codes(
            frames[name],
            files[name],
            cols[name],
            patients,
            admissions,
            np.full(len(frames[name]), icd9, dtype=np.uint8),
            KINDS.index(kind),
        )
        for name, kind in (("diagnoses", "dx"), ("procedures", "px"))
        if name in frames
    ]
    events = events_from(parts, admit.astype(np.int64).astype(np.float64), age)
    no_age = np.isnan(events.visit_age)
    if no_age.any():
        pid = patients[int(events.patient[np.flatnonzero(no_age)[0]])]
        raise LossbalanceError(
            f"{pf}: column {cols['patients']['dob']!r} is empty for patient {pid!r}"
        )
    return build_cohort(events, patients.to_numpy(dtype=str), sex, opts, str(folder))
