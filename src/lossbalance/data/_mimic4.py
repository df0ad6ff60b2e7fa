"""Loader for MIMIC-IV's ``hosp`` module (Johnson et al. 2023, Scientific Data 10:1)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import build_cohort, parse_sexes, parse_systems
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
from lossbalance.data._mimic_common import (
    events_from,
    match_codes,
    require_times,
    rows_of,
    unique_index,
)
from lossbalance.data._options import LoadOptions

_PATIENT_COLS = {
    "subject_id": "subject_id",
    "gender": "gender",
    "anchor_age": "anchor_age",
    "anchor_year": "anchor_year",
}
_ADMISSION_COLS = {"subject_id": "subject_id", "hadm_id": "hadm_id", "admittime": "admittime"}
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
    from ``icd_version`` (9 -> ``icd9``, 10 -> ``icd10``); ``options.systems`` keeps one.
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
    files = {
        "patients": require_table(hosp, "patients"),
        "admissions": require_table(hosp, "admissions"),
        "diagnoses": require_table(hosp, "diagnoses_icd"),
    }
    if opts.include_procedures:
        px = find_table(hosp, "procedures_icd")
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
    with progress(list(files.values()), "reading MIMIC-IV") as task_for:
        frames = {name: read_table(f, cols[name], task_for(f)) for name, f in files.items()}

    pf, af = files["patients"], files["admissions"]
    pframe = frames["patients"]
    patients = unique_index(pframe["subject_id"], pf, cols["patients"]["subject_id"])
    sex = parse_sexes(pframe["gender"], pf, cols["patients"]["gender"])
    anchor_age = parse_numbers(pframe["anchor_age"], pf, cols["patients"]["anchor_age"])
    anchor_year = parse_numbers(pframe["anchor_year"], pf, cols["patients"]["anchor_year"])
    admissions = unique_index(frames["admissions"]["hadm_id"], af, cols["admissions"]["hadm_id"])
    admit = parse_dates(frames["admissions"]["admittime"], af, cols["admissions"]["admittime"])
    require_times(admit, admissions, af, cols["admissions"]["admittime"])

    adm_patient = rows_of(patients, frames["admissions"]["subject_id"])
    admit_year = admit.astype("datetime64[Y]").astype(np.int64) + 1970
    known = adm_patient >= 0
    age = np.full(len(admit), np.nan)
    age[known] = anchor_age[adm_patient[known]] + (
        admit_year[known] - anchor_year[adm_patient[known]]
    )

    parts = []
    for name, kind in (("diagnoses", "dx"), ("procedures", "px")):
        if name not in frames:
            continue
        frame = frames[name]
        systems = parse_systems(frame["icd_version"], files[name], cols[name]["icd_version"])
        parts.append(
            match_codes(
                frame, files[name], cols[name], patients, admissions, systems, KINDS.index(kind)
            )
        )
    events = events_from(parts, admit.astype(np.int64).astype(np.float64), age)
    no_age = np.isnan(events.visit_age)
    if no_age.any():
        pid = patients[int(events.patient[np.flatnonzero(no_age)[0]])]
        raise LossbalanceError(
            f"{pf}: columns {cols['patients']['anchor_age']!r}/"
            f"{cols['patients']['anchor_year']!r} are empty for patient {pid!r}"
        )
    return build_cohort(events, patients.to_numpy(dtype=str), sex, opts, str(root))
