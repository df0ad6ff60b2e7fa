"""Loader for MIMIC-III (Johnson et al. 2016, Scientific Data 3:160035)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.data._cohort import SYSTEMS, Cohort
from lossbalance.data._io import parse_dates, years_between
from lossbalance.data._mimic_common import (
    cohort_from_codes,
    read_admissions,
    read_patients,
    read_tables,
)
from lossbalance.data._options import AGE_OVER_89, LoadOptions

AGE_SHIFT_THRESHOLD = 90.0
"""Computed ages at or above this are MIMIC-III's shifted "over 89" ages (about 300)."""

_PATIENT_COLS = {"subject_id": "subject_id", "gender": "gender", "dob": "dob"}
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
    if not opts.keeps_system("icd9"):
        raise LossbalanceError(
            f"{folder}: empty cohort after systems={list(opts.systems or ())} "
            "(MIMIC-III codes are all icd9)"
        )
    tables = read_tables(
        folder,
        ("PATIENTS", "ADMISSIONS", "DIAGNOSES_ICD", "PROCEDURES_ICD"),
        _PATIENT_COLS,
        _CODE_COLS,
        opts.include_procedures,
        "reading MIMIC-III",
    )
    patients, sex = read_patients(tables)
    pf, dob_col = tables.files["patients"], tables.cols["patients"]["dob"]
    dob = parse_dates(tables.frames["patients"]["dob"], pf, dob_col)
    admissions = read_admissions(tables, patients)

    adm_patient = admissions.patient
    dob_of_adm = np.full(len(admissions.time), np.datetime64("NaT"), dtype="datetime64[s]")
    dob_of_adm[adm_patient >= 0] = dob[adm_patient[adm_patient >= 0]]
    age = years_between(dob_of_adm, admissions.time)
    age[np.isnat(dob_of_adm)] = np.nan
    age = np.where(age >= AGE_SHIFT_THRESHOLD, AGE_OVER_89, age)

    icd9 = SYSTEMS.index("ICD9CM")  # procedures become ICD9PROC in the code table
    return cohort_from_codes(
        tables,
        patients,
        sex,
        admissions,
        age,
        lambda name: np.full(len(tables.frames[name]), icd9, dtype=np.uint8),
        f"column {dob_col!r} is",
        opts,
        str(folder),
    )
