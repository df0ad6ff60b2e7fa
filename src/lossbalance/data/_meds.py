"""MEDS in and out: the Medical Event Data Standard as a cohort source and a cohort format.

MEDS (Medical Event Data Standard, https://medical-event-data-standard.github.io; the
``meds`` package; used by MEDS-DEV, ESGPT, MEDS-Tab and PyHealth's ``MEDSDataset``) stores
one row per event in ``data/**/*.parquet`` (``subject_id`` int64, ``time`` timestamp[us],
null for static facts, ``code`` string, ``numeric_value`` float32), with
``metadata/codes.parquet``, ``metadata/subject_splits.parquet`` and
``metadata/dataset.json`` beside it. Codes are ``VOCAB//code`` strings.

Reading runs on pyarrow and numpy over whole columns: string work (splitting a code into
its vocabulary and text) runs once per *distinct* code of the dictionary-encoded ``code``
column, never once per event. pyarrow rather than polars: it is already a dependency,
reads Parquet dictionary pages directly, and its arrays hand over to numpy without a copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lossbalance._errors import LossbalanceError
from lossbalance.data._build import Events, build_cohort
from lossbalance.data._cohort import (
    KINDS,
    SEXES,
    SPLITS,
    Cohort,
    kind_index,
    offsets_from_lengths,
    system_index,
    vocabulary_name,
)
from lossbalance.data._options import KindName, LoadOptions

SPLIT_NAMES: tuple[str, ...] = SPLITS
"""The MEDS split names a cohort keeps (``meds.train_split`` ...)."""

DEFAULT_KINDS: dict[str, KindName] = {
    "ICD9CM": "dx",
    "ICD10CM": "dx",
    "ICD9PROC": "px",
    "ICD10PCS": "px",
    "SNOMED": "dx",
    "CPT4": "px",
    "CPT": "px",
    "HCPCS": "px",
    "LOINC": "lab",
    "RXNORM": "rx",
    "RxNorm": "rx",
    "ATC": "rx",
    "NDC": "rx",
}
"""The kind of each vocabulary by default; any other vocabulary is ``other``."""

DEFAULT_PREFIXES: dict[str, tuple[str, KindName]] = {
    "DIAGNOSIS//ICD//9": ("ICD9CM", "dx"),
    "DIAGNOSIS//ICD//10": ("ICD10CM", "dx"),
    "PROCEDURE//ICD//9": ("ICD9PROC", "px"),
    "PROCEDURE//ICD//10": ("ICD10PCS", "px"),
}
"""Code prefixes of the MEDS MIMIC-IV ETL, read as the ICD vocabularies."""

DEFAULT_SEX_CODES: dict[str, Literal["F", "M"]] = {
    "GENDER//F": "F",
    "GENDER//M": "M",
    "SEX//F": "F",
    "SEX//M": "M",
}

BIRTH_CODE = "MEDS_BIRTH"
_US_PER_YEAR = 365.2425 * 86400 * 1_000_000
_US_PER_DAY = 86400 * 1_000_000
ANCHOR = np.datetime64("2020-01-01T00:00:00", "us")
"""First visit of every written patient (a cohort keeps ages, not dates)."""
VISIT_GAP_DAYS = 30
"""Days between consecutive visits of a written patient."""
SHARD_SUBJECTS = 200_000
"""Subjects per data shard the writer makes."""


class MedsOptions(BaseModel):
    """How a MEDS dataset becomes a cohort (the shared :class:`LoadOptions` apply after).

    Attributes:
        separator: between a code's vocabulary and its text (``ICD10CM//E11.9``).
        prefixes: code prefixes (before the separator) read as ``(vocabulary, kind)``;
            by default the MEDS MIMIC-IV ETL's ``DIAGNOSIS//ICD//10`` ... A code with no
            listed prefix is split at its first separator: the head is the vocabulary.
        kinds: the kind of a vocabulary, over :data:`DEFAULT_KINDS` (others: ``other``).
            A ``kind`` column in ``metadata/codes.parquet`` wins over both.
        sex_codes: static codes that give a subject's sex.
        birth_code: the code whose time is the birth (ages come from it).
        visits: one visit per distinct event ``timestamp``, per calendar ``day``, or per
            visit-start ``code`` (each event joins the latest start at or before it;
            events before a subject's first start are dropped).
        visit_codes: with ``visits="code"``, the visit-start codes (a code matches when
            it equals one or starts with one followed by the separator).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    separator: str = Field(default="//", min_length=1)
    prefixes: dict[str, tuple[str, KindName]] = Field(
        default_factory=lambda: dict(DEFAULT_PREFIXES)
    )
    kinds: dict[str, KindName] = Field(default_factory=dict)
    sex_codes: dict[str, Literal["F", "M"]] = Field(default_factory=lambda: dict(DEFAULT_SEX_CODES))
    birth_code: str = BIRTH_CODE
    visits: Literal["timestamp", "day", "code"] = "timestamp"
    visit_codes: tuple[str, ...] = ("HOSPITAL_ADMISSION",)

    @field_validator("prefixes")
    @classmethod
    def _vocab_names(
        cls, value: dict[str, tuple[str, KindName]]
    ) -> dict[str, tuple[str, KindName]]:
        for vocab, _ in value.values():
            try:
                vocabulary_name(vocab)
            except LossbalanceError as exc:
                raise ValueError(str(exc)) from None
        return value


@dataclass(frozen=True)
class _Rows:
    """Where each event came from (for one-line errors naming file and row)."""

    files: list[Path]
    starts: npt.NDArray[np.int64]

    def where(self, row: int) -> str:
        f = int(np.searchsorted(self.starts, row, side="right")) - 1
        return f"{self.files[f]}: row {row - int(self.starts[f]) + 1}"


def data_files(root: Path) -> list[Path]:
    """The dataset's ``data/**/*.parquet`` files, sorted; none is an error."""
    if not root.is_dir():
        raise LossbalanceError(f"{root}: MEDS folder not found")
    data = root / "data"
    files = sorted(p for p in data.rglob("*.parquet") if p.is_file()) if data.is_dir() else []
    if not files:
        raise LossbalanceError(f"{root}: no MEDS data files (expected data/**/*.parquet)")
    return files


@dataclass
class _EventColumns:
    """The events of every data file as numpy arrays (file order)."""

    subject: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    """Microseconds since 1970; 0 where ``no_time``."""
    no_time: npt.NDArray[np.bool_] | None
    """Where ``time`` is null (None: nowhere)."""
    code: npt.NDArray[np.int32]
    """Row of each event's code in ``codes``."""
    codes: list[str]


def _read_events(files: Sequence[Path]) -> tuple[_EventColumns, _Rows]:
    """Read ``subject_id``, ``time``, ``code`` of every file into preallocated numpy arrays.

    Files are read one at a time and each Parquet row group (chunk) is copied into its
    slice; a chunk's code dictionary is mapped onto one dictionary of all distinct codes
    (a dict over the few distinct codes, then one gather per event). Arrow memory is
    released after each file, so the peak holds one file's Arrow columns at most.
    """
    lengths = []
    for path in files:
        try:
            meta = pq.read_metadata(path)
            names = meta.schema.names
        except (OSError, pa.ArrowException) as exc:
            raise LossbalanceError(f"{path}: not a readable Parquet file ({exc})") from None
        for col in ("subject_id", "time", "code"):
            if col not in names:
                raise LossbalanceError(f"{path}: missing column {col!r}")
        lengths.append(meta.num_rows)
    starts = offsets_from_lengths(np.array(lengths, dtype=np.int64))
    rows = _Rows(list(files), starts[:-1])
    total = int(starts[-1])
    out = _EventColumns(
        subject=np.empty(total, dtype=np.int64),
        time=np.empty(total, dtype=np.int64),
        no_time=None,
        code=np.empty(total, dtype=np.int32),
        codes=[],
    )
    index: dict[str, int] = {}
    pool = pa.default_memory_pool()
    for f, path in enumerate(files):
        try:
            t = pq.read_table(
                path, columns=["subject_id", "time", "code"], read_dictionary=["code"]
            )
            for name in ("subject_id", "time", "code"):
                at = int(starts[f])
                for chunk in t.column(name).chunks:
                    _store(out, name, chunk, at, index, rows)
                    at += len(chunk)
            del t
        except (OSError, pa.ArrowException) as exc:
            msg = str(exc).splitlines()[0]
            raise LossbalanceError(f"{path}: unreadable MEDS columns ({msg})") from None
        pool.release_unused()
    out.codes = list(index)
    return out, rows


def _store(
    out: _EventColumns,
    name: str,
    chunk: pa.Array,
    at: int,
    index: dict[str, int],
    rows: _Rows,
) -> None:
    """Copy one Arrow chunk of column ``name`` into ``out`` from row ``at`` on."""
    n = len(chunk)
    if chunk.null_count and name != "time":
        i = int(np.flatnonzero(pc.is_null(chunk).to_numpy(zero_copy_only=False))[0])
        raise LossbalanceError(f"{rows.where(at + i)}: {name} is null")
    if name == "subject_id":
        out.subject[at : at + n] = chunk.cast(pa.int64()).to_numpy()
    elif name == "time":
        stamps = chunk.cast(pa.timestamp("us"))
        if stamps.null_count:
            if out.no_time is None:
                out.no_time = np.zeros(len(out.time), dtype=bool)
            out.no_time[at : at + n] = pc.is_null(stamps).to_numpy(zero_copy_only=False)
            stamps = pc.fill_null(stamps, 0)
        out.time[at : at + n] = stamps.cast(pa.int64()).to_numpy()
    else:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk.cast(pa.string()))
        local = chunk.dictionary.cast(pa.string()).to_pylist()
        remap = np.array([index.setdefault(c, len(index)) for c in local], dtype=np.int32)
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        out.code[at : at + n] = remap[idx] if len(remap) else idx


@dataclass(frozen=True)
class _CodeInfo:
    name: npt.NDArray[np.str_]
    system: npt.NDArray[np.uint8]
    kind: npt.NDArray[np.uint8]
    clinical: npt.NDArray[np.bool_]
    sex: npt.NDArray[np.int8]
    birth: npt.NDArray[np.bool_]
    visit_start: npt.NDArray[np.bool_]


def _classify(codes: list[str], opts: MedsOptions, meta_kinds: Mapping[str, str]) -> _CodeInfo:
    """Split each distinct code into vocabulary, kind and text (one pass per distinct code)."""
    sep = opts.separator
    n = len(codes)
    names, systems, kinds = [""] * n, np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    clinical = np.zeros(n, dtype=bool)
    sex = np.full(n, -1, dtype=np.int8)
    birth = np.zeros(n, dtype=bool)
    start = np.zeros(n, dtype=bool)
    kind_of = {**DEFAULT_KINDS, **opts.kinds}
    starts = tuple(opts.visit_codes)
    for i, code in enumerate(codes):
        if code in opts.sex_codes:
            sex[i] = SEXES.index(opts.sex_codes[code])
            continue
        if code == opts.birth_code:
            birth[i] = True
            continue
        if opts.visits == "code" and any(code == s or code.startswith(s + sep) for s in starts):
            start[i] = True
            continue
        head, found, text = code.rpartition(sep)
        vocab: str | None = None
        kind: str | None = None
        while found:
            if head in opts.prefixes:
                vocab, kind = opts.prefixes[head]
                break
            head, found, rest = head.rpartition(sep)
            text = rest + sep + text
        if vocab is None:
            head, found, text = code.partition(sep)
            if not found or not text:
                continue
            try:
                vocab = vocabulary_name(head)
            except LossbalanceError:
                continue
            kind = kind_of.get(vocab, kind_of.get(vocab.upper(), "other"))
        kind = meta_kinds.get(code, kind)
        try:
            k = kind_index(str(kind))
        except LossbalanceError:
            raise LossbalanceError(f"code {code!r}: unknown kind {kind!r}") from None
        names[i] = text.replace(".", "").replace(" ", "").upper()
        systems[i] = system_index(vocab, k)
        kinds[i] = k
        clinical[i] = bool(names[i])
    return _CodeInfo(np.array(names, dtype=np.str_), systems, kinds, clinical, sex, birth, start)


def _meta_kinds(root: Path) -> dict[str, str]:
    path = root / "metadata" / "codes.parquet"
    if not path.is_file():
        return {}
    try:
        names = pq.read_schema(path).names
        if "code" not in names or "kind" not in names:
            return {}
        t = pq.read_table(path, columns=["code", "kind"])
    except (OSError, pa.ArrowException) as exc:
        raise LossbalanceError(f"{path}: not a readable Parquet file ({exc})") from None
    codes, kinds = t.column("code").to_pylist(), t.column("kind").to_pylist()
    return {str(c): str(k) for c, k in zip(codes, kinds, strict=True) if c and k}


def read_subject_splits(root: Path) -> dict[int, str] | None:
    """``metadata/subject_splits.parquet`` as subject -> split, or None when absent.

    Raises:
        LossbalanceError: a split name outside ``train``/``tuning``/``held_out``, a subject
            in two splits, or missing columns (naming the file and row).
    """
    path = root / "metadata" / "subject_splits.parquet"
    if not path.is_file():
        return None
    try:
        t = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise LossbalanceError(f"{path}: not a readable Parquet file ({exc})") from None
    for col in ("subject_id", "split"):
        if col not in t.column_names:
            raise LossbalanceError(f"{path}: missing column {col!r}")
    subjects = t.column("subject_id").cast(pa.int64()).to_numpy(zero_copy_only=False)
    split = t.column("split").to_pandas().astype("string")
    bad = ~split.isin(SPLIT_NAMES).to_numpy(dtype=bool, na_value=True)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LossbalanceError(
            f"{path}: row {i + 1}: subject {int(subjects[i])}: split {split.iloc[i]!r} is not "
            f"one of {', '.join(SPLIT_NAMES)}"
        )
    dup = pd.Series(subjects).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise LossbalanceError(f"{path}: row {i + 1}: subject {int(subjects[i])} listed twice")
    return dict(zip(subjects.tolist(), split.tolist(), strict=True))


def load_meds(
    path: str | os.PathLike[str],
    options: LoadOptions | None = None,
    meds: MedsOptions | None = None,
) -> Cohort:
    """Load a MEDS dataset as a cohort.

    Reads ``data/**/*.parquet`` (``subject_id``, ``time``, ``code``). A subject's sex is its
    static sex code (``meds.sex_codes``), its age the years from its ``MEDS_BIRTH`` event
    to its first kept visit; codes ``VOCAB//code`` are kept when their kind is in
    ``options.kinds`` (default: ``dx`` and ``px`` of any vocabulary) and their
    vocabulary in ``options.systems``. Other events (labs unless kept, static facts,
    ``MEDS_DEATH``...) are ignored. ``metadata/subject_splits.parquet``, when present,
    becomes the cohort's splits (see :func:`read_subject_splits`).

    Raises:
        LossbalanceError: no data files; a missing column; an event of a kept code, of the
            birth code or a visit-start code with a null time; a subject with two
            different sex codes, or with kept codes but no sex or no birth; a visit before
            birth; a bad split name. Each names the file and row or the subject.
    """
    root = Path(path)
    opts = options or LoadOptions()
    mopts = meds or MedsOptions()
    files = data_files(root)
    columns, rows = _read_events(files)
    if len(columns.subject) == 0:
        raise LossbalanceError(f"{root}: the MEDS data files hold no events")
    code_row, distinct = columns.code, columns.codes
    info = _classify(distinct, mopts, _meta_kinds(root))
    # one small category per distinct code, then one gather per event
    category = np.zeros(len(distinct), dtype=np.uint8)
    category[info.clinical] = _CLINICAL
    category[info.sex >= 0] = _SEX
    category[info.birth] = _BIRTH
    category[info.visit_start] = _START
    cat = category[code_row]
    subject, time = columns.subject, columns.time
    no_time = columns.no_time
    del columns

    if no_time is not None:
        bad = no_time & (cat >= _CLINICAL) & (cat != _SEX)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LossbalanceError(
                f"{rows.where(i)}: subject {int(subject[i])}: code {distinct[code_row[i]]!r} "
                "has no time (only static codes such as GENDER//F may)"
            )

    patient, subject_ids = _patients(subject)  # in the order the files list them
    n_pat = len(subject_ids)

    # sex: one distinct sex per subject
    sex_rows = np.flatnonzero(cat == _SEX)
    sex_val = info.sex[code_row[sex_rows]].astype(np.int64)
    sex = np.full(n_pat, -1, dtype=np.int64)
    sex[patient[sex_rows[::-1]]] = sex_val[::-1]  # a subject's first sex code wins
    clash = sex[patient[sex_rows]] != sex_val
    if clash.any():
        i = int(sex_rows[np.flatnonzero(clash)[0]])
        p = int(patient[i])
        raise LossbalanceError(
            f"{rows.where(i)}: subject {int(subject_ids[p])} has two sex codes "
            f"({SEXES[int(sex[p])]} and {SEXES[int(info.sex[code_row[i]])]})"
        )

    # birth: the earliest MEDS_BIRTH of each subject
    birth_rows = np.flatnonzero(cat == _BIRTH)
    birth = np.full(n_pat, _NONE, dtype=np.int64)
    np.minimum.at(birth, patient[birth_rows], time[birth_rows])

    # clinical events
    ev = np.flatnonzero(cat == _CLINICAL)
    if ev.size == 0:
        raise LossbalanceError(f"{root}: no event has a VOCAB{mopts.separator}code code")
    start_rows = np.flatnonzero(cat == _START) if mopts.visits == "code" else ev[:0]
    del cat
    visit, ev_time, ev = _visits(mopts, patient, time, ev, start_rows, rows)
    ev_patient = patient[ev]
    del patient, time

    has_codes = np.zeros(n_pat, dtype=bool)
    has_codes[ev_patient] = True
    for what, missing in (("sex code", sex < 0), (f"{mopts.birth_code} event", birth == _NONE)):
        lacking = np.flatnonzero(missing & has_codes)
        if lacking.size:
            p = int(lacking[0])
            raise LossbalanceError(f"{root}: subject {int(subject_ids[p])} has codes but no {what}")
    age = (ev_time - birth[ev_patient]).astype(np.float64)
    age /= _US_PER_YEAR
    if (age < 0).any():
        i = int(np.flatnonzero(age < 0)[0])
        raise LossbalanceError(
            f"{rows.where(int(ev[i]))}: subject {int(subject[ev[i]])} has an event before "
            f"its {mopts.birth_code}"
        )
    del subject
    ev_code = code_row[ev]
    del code_row, ev
    events = Events(
        patient=ev_patient,
        visit=visit,
        visit_order=ev_time.astype(np.float64),
        visit_age=age,
        seq=np.broadcast_to(np.float64(0.0), len(ev_code)),
        code=ev_code,
        code_names=info.name,
        system=info.system[ev_code],
        kind=info.kind[ev_code],
        code_system=info.system,
        code_kind=info.kind,
    )
    del ev_patient, visit, ev_time, age, ev_code
    cohort = build_cohort(
        events,
        _patient_ids(root, subject_ids),
        np.maximum(sex, 0).astype(np.uint8),
        opts,
        str(root),
        default_kinds=("dx", "px"),
    )
    splits = read_subject_splits(root)
    if splits is not None:
        cohort = _with_subject_splits(cohort, splits, root)
    return cohort


_NONE = np.iinfo(np.int64).max


def run_index(starts: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """For rows ``0..n-1`` split into runs beginning at ``starts``, each row's run."""
    return np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.r_[starts, n]))


_CLINICAL, _SEX, _BIRTH, _START = 1, 2, 3, 4


PATIENT_IDS_FILE = "lossbalance_patient_ids.parquet"
"""In ``metadata/``: the cohort's own patient ids when they were not numeric."""


def _patient_ids(root: Path, subject_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """Patient ids: ``metadata/lossbalance_patient_ids.parquet``'s when lossbalance wrote
    one (its ids were not numbers), else the subject ids as text."""
    text = subject_ids.astype(np.str_)
    path = root / "metadata" / PATIENT_IDS_FILE
    if not path.is_file():
        return text
    try:
        t = pq.read_table(path, columns=["subject_id", "patient_id"])
    except (OSError, pa.ArrowException, KeyError) as exc:
        raise LossbalanceError(f"{path}: not a readable Parquet file ({exc})") from None
    known = pd.Series(
        t.column("patient_id").to_numpy(zero_copy_only=False).astype(np.str_),
        index=t.column("subject_id").to_numpy(zero_copy_only=False),
    )
    found = known.reindex(subject_ids)
    return np.where(found.isna().to_numpy(), text, found.to_numpy(dtype=str, na_value=""))


def _patients(
    subject: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(patient row of every event, subject id of every patient), by first appearance.

    MEDS keeps a subject's events contiguous: then the runs of equal ids are the
    patients (no hashing); otherwise the ids are hash-factorized.
    """
    n = len(subject)
    change = np.flatnonzero(subject[1:] != subject[:-1]) + 1
    starts = np.r_[0, change] if n else np.zeros(0, dtype=np.int64)
    run_ids = subject[starts]
    if np.unique(run_ids).size == run_ids.size:
        lengths = np.diff(np.r_[starts, n])
        return np.repeat(np.arange(len(starts), dtype=np.int64), lengths), run_ids
    codes, uniq = pd.factorize(subject)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniq, dtype=np.int64)


def _visits(
    opts: MedsOptions,
    patient: npt.NDArray[np.int64],
    time: npt.NDArray[np.int64],
    ev: npt.NDArray[np.int64],
    st: npt.NDArray[np.int64],
    rows: _Rows,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(visit key, visit time, kept event rows) for the clinical events ``ev``
    (``st``: the visit-start events, for ``visits="code"``)."""
    ev_patient, ev_time = patient[ev], time[ev]
    if opts.visits in ("timestamp", "day"):
        unit = _US_PER_DAY if opts.visits == "day" else 1
        slot = np.floor_divide(ev_time, unit) if unit != 1 else ev_time
        same_p = ev_patient[1:] == ev_patient[:-1]
        if (ev_patient[1:] >= ev_patient[:-1]).all() and (slot[1:] >= slot[:-1])[same_p].all():
            # sorted by subject and time, as MEDS requires: visits are runs (no hashing)
            new = np.r_[True, ~same_p | (slot[1:] != slot[:-1])]
            del same_p, slot
            starts = np.flatnonzero(new)
            del new
            visit = run_index(starts, len(ev))
            return visit, ev_time[starts][visit], ev
        t_id, t_uniq = pd.factorize(slot)
        key = ev_patient * np.int64(len(t_uniq)) + np.asarray(t_id, dtype=np.int64)
        visit = np.asarray(pd.factorize(key)[0], dtype=np.int64)
        first = np.full(int(visit.max()) + 1, _NONE, dtype=np.int64)
        np.minimum.at(first, visit, ev_time)
        return visit, first[visit], ev
    # visit-start codes: each event joins its subject's latest start at or before it
    if st.size == 0:
        raise LossbalanceError(
            f"{rows.files[0].parent.parent}: no visit-start code ({', '.join(opts.visit_codes)})"
        )
    n_st = st.size
    all_p = np.concatenate([patient[st], ev_patient])
    all_t = np.concatenate([time[st], ev_time])
    is_start = np.concatenate([np.ones(n_st, bool), np.zeros(len(ev), bool)])
    # starts sort before events at the same time
    order = np.lexsort((~is_start, all_t, all_p))
    pos_start = np.where(is_start[order], np.arange(len(order)), -1)
    last = np.maximum.accumulate(pos_start)
    ev_sorted = ~is_start[order]
    owner = last[ev_sorted]
    ev_idx = order[ev_sorted] - n_st
    ok = owner >= 0
    ok[ok] = all_p[order[owner[ok]]] == ev_patient[ev_idx[ok]]
    ev_idx, owner = ev_idx[ok], owner[ok]
    keep = np.sort(ev_idx)
    owner_of = np.empty(len(ev), dtype=np.int64)
    owner_of[ev_idx] = owner
    start_row = order[owner_of[keep]]
    return start_row.astype(np.int64), all_t[start_row], ev[keep]


def _with_subject_splits(cohort: Cohort, splits: Mapping[int, str], root: Path) -> Cohort:
    """Attach the dataset's splits to ``cohort`` (every patient must have one)."""
    ids = cohort.patient_ids.astype(np.int64)
    names = np.array([splits.get(int(i), "") for i in ids.tolist()], dtype=np.str_)
    if (names == "").any():
        i = int(np.flatnonzero(names == "")[0])
        raise LossbalanceError(
            f"{root / 'metadata' / 'subject_splits.parquet'}: subject {int(ids[i])} has no split"
        )
    return cohort.with_splits(names)


def cohort_splits(cohort: Cohort) -> npt.NDArray[np.uint8] | None:
    """The cohort's per-patient split indices into :data:`SPLIT_NAMES`, or None."""
    return cohort.splits


# ====================================================================== writing


def _subject_ids(cohort: Cohort) -> npt.NDArray[np.int64]:
    """Numeric patient ids as MEDS subject ids when they all are (and unique); else 0..n-1."""
    ids = cohort.patient_ids
    try:
        as_int = ids.astype(np.int64)
    except (ValueError, OverflowError):
        return np.arange(cohort.n_patients, dtype=np.int64)
    if np.array_equal(as_int.astype(np.str_), ids) and np.unique(as_int).size == len(as_int):
        return as_int
    return np.arange(cohort.n_patients, dtype=np.int64)


def _visit_times(cohort: Cohort) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(birth time per patient, time per visit) in microseconds since 1970."""
    anchor = ANCHOR.astype(np.int64)
    birth = anchor - np.round(cohort.age * _US_PER_YEAR).astype(np.int64)
    vpp = cohort.visits_per_patient()
    rank = np.arange(cohort.n_visits, dtype=np.int64) - np.repeat(cohort.visit_offsets[:-1], vpp)
    return birth, anchor + rank * (VISIT_GAP_DAYS * _US_PER_DAY)


def meds_code_strings(cohort: Cohort, separator: str = "//") -> npt.NDArray[np.str_]:
    """``VOCAB//code`` for every row of the cohort's code table."""
    table = cohort.code_table
    return np.char.add(np.char.add(table.vocabulary_names(), separator), table.names)


def meds_events(cohort: Cohort, subject_ids: npt.NDArray[np.int64]) -> pa.Table:
    """The cohort as MEDS events: per patient a static sex code, ``MEDS_BIRTH``, then its
    codes at their visits' times (all columns built as whole arrays, no loop)."""
    n, n_codes = cohort.n_patients, cohort.n_codes
    birth, vtime = _visit_times(cohort)
    code_patient = cohort.code_patient()
    # layout: patient p owns rows start[p] .. start[p] + 2 + codes(p)
    per_patient = np.bincount(code_patient, minlength=n).astype(np.int64) + 2
    start = offsets_from_lengths(per_patient)[:-1]
    total = n_codes + 2 * n
    subject = np.repeat(subject_ids, per_patient)
    times = np.empty(total, dtype=np.int64)
    code_idx = np.empty(total, dtype=np.int32)
    valid = np.ones(total, dtype=bool)
    strings = meds_code_strings(cohort)
    n_table = len(strings)
    dictionary = pa.array([*strings.tolist(), "GENDER//F", "GENDER//M", BIRTH_CODE])
    valid[start] = False  # static sex code: null time
    times[start] = 0
    code_idx[start] = n_table + cohort.sex.astype(np.int32)
    times[start + 1] = birth
    code_idx[start + 1] = n_table + 2
    # codes keep their CSR order; patient p's codes shift by the 2 rows of p and before
    code_pos = np.arange(n_codes, dtype=np.int64) + 2 * (code_patient + 1)
    times[code_pos] = vtime[cohort.code_visit()]
    code_idx[code_pos] = cohort.codes
    time_arr = pa.array(times, type=pa.timestamp("us"), mask=~valid)
    codes = pa.DictionaryArray.from_arrays(pa.array(code_idx), dictionary).cast(pa.string())
    return pa.table(
        {
            "subject_id": pa.array(subject, pa.int64()),
            "time": time_arr,
            "code": codes,
            "numeric_value": pa.nulls(total, pa.float32()),
        }
    )


def _validate(schema: Any, value: object, where: str) -> None:
    try:
        schema.validate(value)
    except Exception as exc:  # the meds package raises its own error types
        raise LossbalanceError(f"{where}: not valid MEDS ({exc})".splitlines()[0]) from None


def write_meds(
    cohort: Cohort,
    path: str | os.PathLike[str],
    generator: Mapping[str, object] | None = None,
    dataset_name: str = "lossbalance cohort",
) -> Path:
    """Write ``cohort`` as a MEDS dataset folder ``path`` (validated by the ``meds`` schemas).

    Writes ``data/<n>.parquet`` (shards of :data:`SHARD_SUBJECTS` subjects, in patient order),
    ``metadata/codes.parquet`` (with the lossbalance ``vocabulary`` and ``kind`` of every
    code), ``metadata/dataset.json`` (naming lossbalance and ``generator``) and, when the
    cohort carries splits, ``metadata/subject_splits.parquet``. A cohort keeps ages, not
    dates: every patient's first visit is on 2020-01-01 (:data:`ANCHOR`), later visits
    :data:`VISIT_GAP_DAYS` days apart, and ``MEDS_BIRTH`` is the first visit minus the
    age. Numeric patient ids become subject ids; other ids become 0..n-1 and are kept in
    ``metadata/lossbalance_patient_ids.parquet``, which :func:`load_meds` reads back.
    The folder appears whole or not at all (written beside it, then renamed); an
    existing non-empty folder is an error.
    """
    import meds

    from lossbalance import __version__

    out = Path(path)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise LossbalanceError(f"{out}: output folder {parent} does not exist")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LossbalanceError(f"{out}: already exists (give a new or empty folder)")
    subject_ids = _subject_ids(cohort)
    splits = cohort_splits(cohort)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        events = meds_events(cohort, subject_ids)
        per_patient = np.bincount(cohort.code_patient(), minlength=cohort.n_patients) + 2
        row_start = offsets_from_lengths(per_patient)
        (tmp / "data").mkdir()
        # shards in patient order (a reader that keeps file order gets the same cohort);
        # the splits live in metadata/subject_splits.parquet
        for shard, lo in enumerate(range(0, cohort.n_patients, SHARD_SUBJECTS)):
            chunk = np.arange(lo, min(lo + SHARD_SUBJECTS, cohort.n_patients), dtype=np.int64)
            rows_of = concat_rows(row_start[chunk], per_patient[chunk])
            part = events.take(pa.array(rows_of))
            _validate(meds.DataSchema, part, f"{out}: data shard {shard}")
            pq.write_table(part, tmp / "data" / f"{shard}.parquet")
        (tmp / "metadata").mkdir()
        strings = meds_code_strings(cohort)
        from lossbalance.clinical import code_descriptions

        desc = code_descriptions(cohort.code_table)
        code_meta = pa.table(
            {
                "code": pa.array(
                    [*strings.tolist(), "GENDER//F", "GENDER//M", BIRTH_CODE], pa.string()
                ),
                "description": pa.array(
                    [*(d or None for d in desc), None, None, None], pa.string()
                ),
                "parent_codes": pa.nulls(len(strings) + 3, pa.list_(pa.string())),
                "vocabulary": pa.array(
                    [*cohort.code_table.vocabulary_names().tolist(), None, None, None],
                    pa.string(),
                ),
                "kind": pa.array(
                    [*(KINDS[k] for k in cohort.code_table.kinds.tolist()), None, None, None],
                    pa.string(),
                ),
            }
        )
        _validate(meds.CodeMetadataSchema, code_meta, f"{out}: metadata/codes.parquet")
        pq.write_table(code_meta, tmp / "metadata" / "codes.parquet")
        if not np.array_equal(subject_ids.astype(np.str_), cohort.patient_ids):
            pq.write_table(
                pa.table(
                    {
                        "subject_id": pa.array(subject_ids, pa.int64()),
                        "patient_id": pa.array(cohort.patient_ids.tolist(), pa.string()),
                    }
                ),
                tmp / "metadata" / PATIENT_IDS_FILE,
            )
        if splits is not None:
            split_table = pa.table(
                {
                    "subject_id": pa.array(subject_ids, pa.int64()),
                    "split": pa.array(np.array(SPLIT_NAMES)[splits].tolist(), pa.string()),
                }
            )
            _validate(meds.SubjectSplitSchema, split_table, f"{out}: subject_splits")
            pq.write_table(split_table, tmp / "metadata" / "subject_splits.parquet")
        meta: dict[str, object] = {
            "dataset_name": dataset_name,
            "dataset_version": "1",
            "etl_name": "lossbalance",
            "etl_version": __version__,
            "meds_version": getattr(meds, "__version__", "unknown"),
            "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
            "generator": dict(generator or {}),
        }
        _validate(meds.DatasetMetadataSchema, meta, f"{out}: metadata/dataset.json")
        (tmp / "metadata" / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def concat_rows(
    starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Rows ``start .. start + length`` of every (start, length), concatenated."""
    from lossbalance.data._cohort import concat_ranges

    return concat_ranges(starts, lengths)


def long_table(cohort: Cohort) -> pa.Table:
    """One row per code occurrence: ``patient_id``, ``visit`` (0-based within the patient),
    ``time`` (the writer's synthetic visit time), ``code``, ``vocabulary``, ``kind``,
    ``age`` (years at the first visit, the cohort's age), ``sex``."""
    _, vtime = _visit_times(cohort)
    visit = cohort.code_visit()
    patient = cohort.code_patient()
    rank = np.arange(cohort.n_visits, dtype=np.int64) - np.repeat(
        cohort.visit_offsets[:-1], cohort.visits_per_patient()
    )
    table = cohort.code_table

    def dict_col(values: Sequence[str], index: npt.NDArray[np.integer]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(index, dtype=np.int32)), pa.array(list(values), pa.string())
        ).cast(pa.string())

    return pa.table(
        {
            "patient_id": dict_col(cohort.patient_ids.tolist(), patient),
            "visit": pa.array(rank[visit], pa.int64()),
            "time": pa.array(vtime[visit], pa.timestamp("us")),
            "code": dict_col(table.names.tolist(), cohort.codes),
            "vocabulary": dict_col(table.vocabulary_names().tolist(), cohort.codes),
            "kind": dict_col(list(KINDS), table.kinds[cohort.codes]),
            "age": pa.array(cohort.age[patient], pa.float64()),
            "sex": dict_col(list(SEXES), cohort.sex[patient]),
        }
    )


def write_long(cohort: Cohort, path: str | os.PathLike[str]) -> Path:
    """Write :func:`long_table` as CSV (``.csv``) or Parquet (``.parquet``), atomically."""
    import pyarrow.csv as pacsv

    from lossbalance._atomic import atomic_path

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise LossbalanceError(f"{out}: the long table is .csv or .parquet")
    table = long_table(cohort)
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            pacsv.write_csv(table, tmp)
        else:
            pq.write_table(table, tmp)
    return out
