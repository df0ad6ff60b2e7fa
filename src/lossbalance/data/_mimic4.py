"""Loader for MIMIC-IV's ``hosp`` module (Johnson et al. 2023, Scientific Data 10:1)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import parse_systems
from lossbalance.data._cohort import Cohort
from lossbalance.data._io import find_table, parse_numbers
from lossbalance.data._mimic_common import (
    cohort_from_codes,
    read_admissions,
    read_patients,
    read_tables,
)
from lossbalance.data._options import LoadOptions

_PATIENT_COLS = {
    "subject_id": "subject_id",
    "gender": "gender",
    "anchor_age": "anchor_age",
    "anchor_year": "anchor_year",
}
_CODE_COLS = {
    "subject_id": "subject_id",
    "hadm_id": "hadm_id",
    "seq_num": "seq_num",
    "code": "icd_code",
    "icd_version": "icd_version",
}


def _hosp_folder(path: Path) -> Path:
    if (path / "hosp").is_dir():
        return path / "hosp"
    if find_table(path, "patients") is not None:
        return path
    raise LossbalanceError(f"{path}: MIMIC-IV folder not found (expected {path / 'hosp'})")


def load_mimic4(path: str | os.PathLike[str], options: LoadOptions | None = None) -> Cohort:
    """Load a MIMIC-IV folder (the full database or the demo) as a cohort.

    Reads ``hosp/patients``, ``hosp/admissions``, ``hosp/diagnoses_icd`` and, with
    ``options.include_procedures``, ``hosp/procedures_icd`` (``.csv.gz`` or ``.csv``;
    ``path`` may also be the ``hosp`` folder itself). Each code keeps its own system
    from ``icd_version`` (9 -> ICD9CM, 10 -> ICD10CM; procedures ICD9PROC and ICD10PCS);
    ``options.systems`` keeps some.
    A visit is an admission (``hadm_id``), ordered by ``admittime``; codes follow
    ``seq_num`` (procedures after diagnoses). A patient's age is
    ``anchor_age + (year(admittime) - anchor_year)`` at their first kept admission
    (MIMIC-IV already caps ``anchor_age`` at 91 for patients over 89).

    Rows of the code tables without a code, or whose patient or admission is absent
    from ``patients``/``admissions``, are skipped.

    Args:
        path: the MIMIC-IV root (holding ``hosp/``) or its ``hosp`` folder.
        options: the shared :class:`LoadOptions` (defaults: diagnoses, both systems).
    """
    root = Path(path)
    opts = options or LoadOptions()
    if not root.is_dir():
        raise LossbalanceError(f"{root}: MIMIC-IV folder not found")
    hosp = _hosp_folder(root)
    tables = read_tables(
        hosp,
        ("patients", "admissions", "diagnoses_icd", "procedures_icd"),
        _PATIENT_COLS,
        _CODE_COLS,
        opts.include_procedures,
        "reading MIMIC-IV",
    )
    patients, sex = read_patients(tables)
    pf, pcols, pframe = tables.files["patients"], tables.cols["patients"], tables.frames["patients"]
    anchor_age = parse_numbers(pframe["anchor_age"], pf, pcols["anchor_age"])
    anchor_year = parse_numbers(pframe["anchor_year"], pf, pcols["anchor_year"])
    admissions = read_admissions(tables, patients)

    adm_patient = admissions.patient
    admit_year = admissions.time.astype("datetime64[Y]").astype(np.int64) + 1970
    known = adm_patient >= 0
    age = np.full(len(admissions.time), np.nan)
    age[known] = anchor_age[adm_patient[known]] + (
        admit_year[known] - anchor_year[adm_patient[known]]
    )

    def systems(name: str) -> npt.NDArray[np.uint8]:
        column = tables.cols[name]["icd_version"]
        return parse_systems(tables.frames[name]["icd_version"], tables.files[name], column)

    return cohort_from_codes(
        tables,
        patients,
        sex,
        admissions,
        age,
        systems,
        f"columns {pcols['anchor_age']!r}/{pcols['anchor_year']!r} are",
        opts,
        str(root),
    )
