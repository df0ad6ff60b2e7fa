"""The columnar cohort: patients -> visits -> codes as numpy arrays with CSR offsets.

Every loader, the simulator and the generator produce a :class:`Cohort`; every metric
is vectorised over it. Codes are stored as ``int32`` indices into a :class:`CodeTable`
whose rows are distinct (code string, code system, code kind) triples, so an ICD-9
``"4019"`` and an ICD-10 ``"4019"`` (or a diagnosis and a procedure with the same
digits) never collide.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lossbalance._atomic import atomic_path
from lossbalance._errors import LossbalanceError

SYSTEMS: tuple[str, ...] = ("ICD9CM", "ICD10CM", "ICD9PROC", "ICD10PCS")
"""The built-in vocabularies (their MEDS/OMOP names), always indices 0-3 of
:attr:`CodeTable.systems`. Vocabularies are open: any other name (``SNOMED``, ``LOINC``,
``RxNorm``, ``ATC``, ``OMOP``...) is registered on first use by :func:`system_index` and
gets the next index of this process (see :func:`vocabularies`); files store names."""
KINDS: tuple[str, ...] = ("dx", "px", "rx", "lab", "other")
"""Code kinds (diagnosis, procedure, drug, lab test, other), indexed by :attr:`CodeTable.kinds`."""
SEXES: tuple[str, ...] = ("F", "M")
"""Sexes, indexed by the values of :attr:`Cohort.sex`."""
SPLITS: tuple[str, ...] = ("train", "tuning", "held_out")
"""Evaluation splits (the names MEDS uses), indexed by the values of :attr:`Cohort.splits`."""
DEFAULT_FRACTIONS: tuple[float, float, float] = (0.6, 0.2, 0.2)
"""Default ``train`` / ``tuning`` / ``held_out`` shares of the patients."""

FORMAT_VERSION = 2
"""Version 2 stores vocabulary names (``code_vocabularies``); version 1 (``icd9``/``icd10``
indices) still loads."""

_LEGACY_SYSTEMS: tuple[str, ...] = ("icd9", "icd10")
"""Version-1 files' code systems, by index."""
_ALIASES: dict[str, tuple[str, str]] = {
    "icd9": ("ICD9CM", "ICD9PROC"),
    "icd10": ("ICD10CM", "ICD10PCS"),
}
"""Aliases: the diagnosis and the procedure vocabulary each stands for."""
_KEY_PREFIXES: list[str] = ["icd9", "icd10", "icd9", "icd10"]
"""Key prefixes of the built-in vocabularies (see :meth:`CodeTable.keys`)."""
_VOCAB_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_MAX_VOCABULARIES = 256
_registry: list[str] = list(SYSTEMS)
_by_name: dict[str, int] = {name: i for i, name in enumerate(SYSTEMS)}
_registry_lock = threading.Lock()


def vocabulary_name(name: str, kind: str | int | None = None) -> str:
    """The canonical name of vocabulary ``name``.

    ``icd9``/``icd10`` (any case) are aliases of ``ICD9CM``/``ICD10CM``, or of
    ``ICD9PROC``/``ICD10PCS`` for kind ``px``; the built-in names match in any letter case
    (``icd10cm`` is ``ICD10CM``); any other name of letters, digits, ``_`` and ``-`` is a
    vocabulary of its own, kept as written.
    """
    text = str(name).strip()
    low = text.lower()
    if low in _ALIASES:
        k = kind if isinstance(kind, int) or kind is None else kind_index(kind)
        return _ALIASES[low][1 if k == 1 else 0]
    for known in SYSTEMS:
        if low == known.lower():
            return known
    if not _VOCAB_NAME.match(text):
        raise LossbalanceError(
            f"unknown code system {name!r}: a vocabulary name is letters, digits, _ and - "
            f"(e.g. {', '.join(SYSTEMS)}, SNOMED, LOINC, RxNorm)"
        )
    return text


def system_index(name: str, kind: str | int | None = None) -> int:
    """The index of vocabulary ``name`` (canonical name, alias or new name) in this process.

    ``kind`` only matters for the ``icd9``/``icd10`` aliases (``px``: the procedure
    vocabulary). A new name is registered; indices are stable for the life of the
    process (files store names, never indices).
    """
    canon = vocabulary_name(name, kind)
    found = _by_name.get(canon)
    if found is not None:
        return found
    with _registry_lock:
        if canon not in _by_name:
            if len(_registry) >= _MAX_VOCABULARIES:
                raise LossbalanceError(
                    f"vocabulary {canon!r}: more than {_MAX_VOCABULARIES} vocabularies in use"
                )
            _by_name[canon] = len(_registry)
            _registry.append(canon)
        return _by_name[canon]


def system_indices(names: Sequence[str]) -> npt.NDArray[np.uint8]:
    """:func:`system_index` of each of a few names (e.g. a file's distinct vocabularies)."""
    return np.array([system_index(n) for n in names], dtype=np.uint8)


def system_name(index: int) -> str:
    """The vocabulary name behind index ``index`` (:attr:`CodeTable.systems`)."""
    return _registry[int(index)]


def vocabularies() -> tuple[str, ...]:
    """Every vocabulary name of this process, by index (the built-in ones first)."""
    return tuple(_registry)


def _names_of(systems: npt.NDArray[np.uint8]) -> npt.NDArray[np.str_]:
    return np.array(_registry, dtype=np.str_)[systems]


def procedure_vocabularies(
    systems: npt.NDArray[np.uint8], kinds: npt.NDArray[np.uint8]
) -> npt.NDArray[np.uint8]:
    """ICD-9-CM / ICD-10-CM rows of kind ``px`` belong to ICD9PROC / ICD10PCS."""
    px = kinds == 1
    if not px.any():
        return systems
    out = systems.copy()
    out[px & (systems == 0)] = 2
    out[px & (systems == 1)] = 3
    return out


def kind_index(name: str) -> int:
    """Return the index of code kind ``name`` (``dx``/``px``/``rx``/``lab``/``other``) or raise."""
    try:
        return KINDS.index(name.lower())
    except ValueError:
        raise LossbalanceError(
            f"unknown code kind {name!r}: expected one of {', '.join(KINDS)}"
        ) from None


@dataclass(frozen=True, eq=False)
class CodeTable:
    """Distinct codes: ``names[i]`` in vocabulary ``system_name(systems[i])``, kind
    ``KINDS[kinds[i]]``.

    ``systems`` index this process's vocabularies (:func:`vocabularies`; the built-in
    ICD ones are 0-3). ICD-9-CM / ICD-10-CM rows of kind ``px`` are stored as ICD9PROC /
    ICD10PCS (what the ``icd9``/``icd10`` aliases mean for procedures).
    """

    names: npt.NDArray[np.str_]
    systems: npt.NDArray[np.uint8]
    kinds: npt.NDArray[np.uint8]

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", np.asarray(self.names, dtype=np.str_))
        systems = np.asarray(self.systems, dtype=np.uint8)
        kinds = np.asarray(self.kinds, dtype=np.uint8)
        n = len(self.names)
        if len(systems) != n or len(kinds) != n:
            raise LossbalanceError("code table: names, systems and kinds differ in length")
        if n and (systems.max() >= len(_registry) or kinds.max() >= len(KINDS)):
            raise LossbalanceError("code table: system or kind index out of range")
        object.__setattr__(self, "systems", procedure_vocabularies(systems, kinds))
        object.__setattr__(self, "kinds", kinds)

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def empty(cls) -> CodeTable:
        return cls(np.array([], dtype=np.str_), np.array([], np.uint8), np.array([], np.uint8))

    @classmethod
    def from_names(
        cls, names: npt.ArrayLike, vocabularies: npt.ArrayLike, kinds: npt.ArrayLike
    ) -> CodeTable:
        """A table from per-row vocabulary names (any alias) and kind names or indices."""
        vocab = np.asarray(vocabularies, dtype=np.str_)
        kind_arr = np.asarray(kinds)
        if kind_arr.dtype.kind in "US":
            uk, kinv = np.unique(kind_arr, return_inverse=True)
            kind_arr = np.array([kind_index(str(k)) for k in uk], dtype=np.uint8)[kinv]
        kind_arr = kind_arr.astype(np.uint8).reshape(-1)
        pairs, inverse = np.unique(
            np.char.add(np.char.add(vocab, "|"), kind_arr.astype(np.str_)), return_inverse=True
        )
        index = np.array(
            [system_index(v, int(k)) for v, _, k in (p.rpartition("|") for p in pairs.tolist())],
            dtype=np.uint8,
        )
        return cls(np.asarray(names, dtype=np.str_), index[inverse].reshape(-1), kind_arr)

    def key_prefixes(self) -> npt.NDArray[np.str_]:
        """The vocabulary part of every row's key (``icd10``, ``SNOMED``...)."""
        return np.array(_KEY_PREFIXES + _registry[len(SYSTEMS) :], dtype=np.str_)[self.systems]

    def vocabulary_names(self) -> npt.NDArray[np.str_]:
        """The vocabulary name of every row."""
        return _names_of(self.systems)

    def keys(self) -> npt.NDArray[np.str_]:
        """One string per row, ``"icd10:dx:E119"``, ``"SNOMED:dx:44054006"``: the identity
        used to compare cohorts.

        The ICD vocabularies keep their short names in keys (``icd9`` for ICD9CM and
        ICD9PROC, ``icd10`` for ICD10CM and ICD10PCS; the kind tells them apart), so keys,
        tokens and saved model vocabularies of earlier versions stay the same.
        """
        sys_names = self.key_prefixes()
        kind_names = np.array(KINDS, dtype=np.str_)[self.kinds]
        return np.char.add(
            np.char.add(np.char.add(sys_names, ":"), np.char.add(kind_names, ":")), self.names
        )

    def take(self, index: npt.ArrayLike) -> CodeTable:
        """Rows ``index`` of this table, as a new table."""
        idx = np.asarray(index, dtype=np.int64)
        return CodeTable(self.names[idx], self.systems[idx], self.kinds[idx])


@dataclass(frozen=True, eq=False)
class Cohort:
    """A set of patients, each an age, a sex and time-ordered visits of codes.

    Attributes:
        age: years at first visit, ``float64``, one per patient.
        sex: ``uint8`` index into :data:`SEXES` (0 = F, 1 = M), one per patient.
        visit_offsets: ``int64``, length ``n_patients + 1``; patient ``p`` owns visits
            ``visit_offsets[p]:visit_offsets[p + 1]``, in time order.
        code_offsets: ``int64``, length ``n_visits + 1``; visit ``v`` owns code
            occurrences ``code_offsets[v]:code_offsets[v + 1]``.
        codes: ``int32`` rows of :attr:`code_table`, one per code occurrence.
        code_table: the distinct codes this cohort may refer to.
        patient_ids: ``str``, one per patient (source ids, or ``"0"``.. for synthetic data).
        splits: ``uint8`` index into :data:`SPLITS`, one per patient, or ``None`` when the
            cohort carries no split of its own (then :meth:`split_by` draws one).
    """

    age: npt.NDArray[np.float64]
    sex: npt.NDArray[np.uint8]
    visit_offsets: npt.NDArray[np.int64]
    code_offsets: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int32]
    code_table: CodeTable
    patient_ids: npt.NDArray[np.str_] = field(default=None)  # type: ignore[arg-type]
    splits: npt.NDArray[np.uint8] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "age", np.asarray(self.age, dtype=np.float64))
        set_(self, "sex", np.asarray(self.sex, dtype=np.uint8))
        set_(self, "visit_offsets", np.asarray(self.visit_offsets, dtype=np.int64))
        set_(self, "code_offsets", np.asarray(self.code_offsets, dtype=np.int64))
        set_(self, "codes", np.asarray(self.codes, dtype=np.int32))
        if self.patient_ids is None:
            set_(self, "patient_ids", np.arange(len(self.age)).astype(np.str_))
        else:
            set_(self, "patient_ids", np.asarray(self.patient_ids, dtype=np.str_))
        if self.splits is not None:
            set_(self, "splits", _split_indices(self.splits, len(self.age)))
        self._validate()

    def _validate(self) -> None:
        p = len(self.age)
        if len(self.sex) != p or len(self.patient_ids) != p:
            raise LossbalanceError("cohort: age, sex and patient_ids differ in length")
        if len(self.visit_offsets) != p + 1 or self.visit_offsets[0] != 0:
            raise LossbalanceError("cohort: visit_offsets must have n_patients + 1 entries from 0")
        if len(self.code_offsets) != self.visit_offsets[-1] + 1 or self.code_offsets[0] != 0:
            raise LossbalanceError("cohort: code_offsets must have n_visits + 1 entries from 0")
        if self.code_offsets[-1] != len(self.codes):
            raise LossbalanceError("cohort: code_offsets do not end at the number of codes")
        if np.any(np.diff(self.visit_offsets) < 0) or np.any(np.diff(self.code_offsets) < 0):
            raise LossbalanceError("cohort: offsets must be non-decreasing")
        if len(self.codes) and (self.codes.min() < 0 or self.codes.max() >= len(self.code_table)):
            raise LossbalanceError("cohort: a code index falls outside the code table")
        if p and (self.sex.max() >= len(SEXES)):
            raise LossbalanceError("cohort: sex index out of range")
        if p and not np.all(np.isfinite(self.age)):
            raise LossbalanceError("cohort: ages must be finite")

    # ------------------------------------------------------------------ sizes
    @property
    def n_patients(self) -> int:
        return len(self.age)

    @property
    def n_visits(self) -> int:
        return len(self.code_offsets) - 1

    @property
    def n_codes(self) -> int:
        """Number of code occurrences (not distinct codes)."""
        return len(self.codes)

    def visits_per_patient(self) -> npt.NDArray[np.int64]:
        return np.diff(self.visit_offsets)

    def codes_per_visit(self) -> npt.NDArray[np.int64]:
        return np.diff(self.code_offsets)

    def visit_patient(self) -> npt.NDArray[np.int64]:
        """The patient of every visit."""
        return np.repeat(np.arange(self.n_patients, dtype=np.int64), self.visits_per_patient())

    def code_visit(self) -> npt.NDArray[np.int64]:
        """The visit of every code occurrence."""
        return np.repeat(np.arange(self.n_visits, dtype=np.int64), self.codes_per_visit())

    def code_patient(self) -> npt.NDArray[np.int64]:
        """The patient of every code occurrence."""
        return self.visit_patient()[self.code_visit()]

    def code_keys(self) -> npt.NDArray[np.str_]:
        """The key (``system:kind:code``) of every code occurrence."""
        return self.code_table.keys()[self.codes]

    def distinct_codes(self) -> int:
        return int(np.unique(self.codes).size)

    # ------------------------------------------------------------ reshaping
    def select(self, patients: npt.ArrayLike) -> Cohort:
        """The sub-cohort of ``patients`` (indices or a boolean mask), in the given order."""
        idx = np.asarray(patients)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64, copy=False)
        vpp = self.visits_per_patient()[idx]
        visits = _ranges(self.visit_offsets[idx], vpp)
        cpv = self.codes_per_visit()[visits]
        code_rows = _ranges(self.code_offsets[visits], cpv)
        return Cohort(
            age=self.age[idx],
            sex=self.sex[idx],
            visit_offsets=_offsets(vpp),
            code_offsets=_offsets(cpv),
            codes=self.codes[code_rows],
            code_table=self.code_table,
            patient_ids=self.patient_ids[idx],
            splits=None if self.splits is None else self.splits[idx],
        )

    def split(self, heldout_fraction: float, seed: int) -> tuple[Cohort, Cohort]:
        """Split by patient into (train, held-out), seeded and deterministic."""
        if not 0.0 < heldout_fraction < 1.0:
            raise LossbalanceError(
                f"heldout_fraction: must lie strictly between 0 and 1, got {heldout_fraction}"
            )
        n_held = round(self.n_patients * heldout_fraction)
        if n_held == 0 or n_held == self.n_patients:
            raise LossbalanceError(
                f"cohort of {self.n_patients} patients is too small to split "
                f"with heldout_fraction={heldout_fraction}"
            )
        perm = np.random.default_rng(seed).permutation(self.n_patients)
        held = np.sort(perm[:n_held])
        train = np.sort(perm[n_held:])
        return self.select(train), self.select(held)

    # ------------------------------------------------------------- splits
    def with_splits(self, splits: npt.ArrayLike | None) -> Cohort:
        """This cohort carrying ``splits``: one split per patient, as names or indices.

        Args:
            splits: split names (``"train"``, ``"tuning"``, ``"held_out"``) or their
                indices into :data:`SPLITS`, one per patient; ``None`` drops the splits.
        """
        return Cohort(
            self.age,
            self.sex,
            self.visit_offsets,
            self.code_offsets,
            self.codes,
            self.code_table,
            self.patient_ids,
            None if splits is None else _split_indices(splits, self.n_patients),
        )

    def assign_splits(
        self, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0
    ) -> Cohort:
        """This cohort with a seeded split by patient in ``fractions`` (train, tuning, held_out).

        The split is drawn even when the cohort carries one (that one is replaced); the
        number of patients of each split is ``fraction x n`` rounded, train taking the rest.
        """
        counts = split_counts(self.n_patients, fractions)
        perm = np.random.default_rng(seed).permutation(self.n_patients)
        labels = np.empty(self.n_patients, dtype=np.uint8)
        labels[perm] = np.repeat(np.arange(len(SPLITS), dtype=np.uint8), counts)
        return self.with_splits(labels)

    def splits_of(self) -> dict[str, Cohort]:
        """The cohort's own splits, ``{name: sub-cohort}`` in :data:`SPLITS` order.

        Patients keep their order within a split. Raises when the cohort carries no
        splits or one of them has no patient.
        """
        if self.splits is None:
            raise LossbalanceError("cohort carries no splits (train/tuning/held_out)")
        counts = np.bincount(self.splits, minlength=len(SPLITS))
        empty = [name for name, n in zip(SPLITS, counts, strict=True) if n == 0]
        if empty:
            raise LossbalanceError(
                f"splits: the cohort's split {empty[0]!r} has no patient "
                f"({', '.join(f'{s} {n}' for s, n in zip(SPLITS, counts, strict=True))})"
            )
        return {name: self.select(self.splits == i) for i, name in enumerate(SPLITS)}

    def split_by(
        self, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0
    ) -> dict[str, Cohort]:
        """``{"train", "tuning", "held_out"}`` -> sub-cohort.

        The splits the cohort carries (from its file, a MEDS ``subject_splits`` table, a
        split column) are kept as they are; otherwise a seeded split by patient in
        ``fractions`` is drawn (:meth:`assign_splits`). Each sub-cohort carries its splits.
        """
        if self.splits is not None:
            return self.splits_of()
        return self.assign_splits(fractions, seed).splits_of()

    def compact(self) -> Cohort:
        """Drop code-table rows no code refers to (and renumber codes)."""
        counts = np.bincount(self.codes, minlength=len(self.code_table))
        used = np.flatnonzero(counts)
        remap = np.cumsum(counts > 0, dtype=np.int64).astype(np.int32) - 1
        return Cohort(
            self.age,
            self.sex,
            self.visit_offsets,
            self.code_offsets,
            remap[self.codes] if len(self.codes) else self.codes,
            self.code_table.take(used),
            self.patient_ids,
            self.splits,
        )

    def recode(self, table: CodeTable) -> Cohort:
        """This cohort with codes renumbered as rows of ``table`` (which must hold them all)."""
        keys = table.keys()
        order = np.argsort(keys, kind="stable")
        mine = self.code_table.keys()
        pos = np.searchsorted(keys[order], mine)
        pos = np.minimum(pos, max(len(keys) - 1, 0))
        if len(mine) and (len(keys) == 0 or np.any(keys[order][pos] != mine)):
            raise LossbalanceError("recode: the target code table lacks codes of this cohort")
        mapping = order[pos].astype(np.int32) if len(mine) else np.array([], np.int32)
        return Cohort(
            self.age,
            self.sex,
            self.visit_offsets,
            self.code_offsets,
            mapping[self.codes],
            table,
            self.patient_ids,
            self.splits,
        )

    # ------------------------------------------------------- construction
    @classmethod
    def from_records(
        cls,
        records: Iterable[dict[str, Any]],
        system: str = "ICD10CM",
        kind: str = "dx",
    ) -> Cohort:
        """Build a cohort from plain records (tests, notebooks).

        Each record is ``{"age": float, "sex": "F"|"M", "visits": [[code, ...], ...]}``
        with an optional ``"id"``. A code is a string (in ``system``/``kind``) or a
        ``(code, system, kind)`` tuple.
        """
        ages: list[float] = []
        sexes: list[int] = []
        ids: list[str] = []
        vpp: list[int] = []
        cpv: list[int] = []
        flat: list[tuple[str, int, int]] = []
        default_kind = kind_index(kind)
        default_sys = system_index(system, default_kind)
        for i, rec in enumerate(records):
            ages.append(float(rec["age"]))
            sex = str(rec["sex"]).upper()
            if sex not in SEXES:
                raise LossbalanceError(f"record {i}: sex must be F or M, got {rec['sex']!r}")
            sexes.append(SEXES.index(sex))
            ids.append(str(rec.get("id", i)))
            visits = rec["visits"]
            vpp.append(len(visits))
            for visit in visits:
                cpv.append(len(visit))
                for code in visit:
                    if isinstance(code, tuple):
                        k = kind_index(code[2])
                        flat.append((str(code[0]), system_index(code[1], k), k))
                    else:
                        flat.append((str(code), default_sys, default_kind))
        table, codes = _intern(flat)
        return cls(
            age=np.array(ages, dtype=np.float64),
            sex=np.array(sexes, dtype=np.uint8),
            visit_offsets=_offsets(np.array(vpp, dtype=np.int64)),
            code_offsets=_offsets(np.array(cpv, dtype=np.int64)),
            codes=codes,
            code_table=table,
            patient_ids=np.array(ids, dtype=np.str_),
        )

    def to_records(self) -> list[dict[str, Any]]:
        """The inverse of :meth:`from_records` (codes as ``(code, system, kind)`` tuples).

        ``system`` is the vocabulary as keys write it: ``icd9``/``icd10`` for the ICD
        vocabularies (aliases that the kind resolves), the name for any other.
        """
        names = self.code_table.names.tolist()
        systems = self.code_table.key_prefixes().tolist()
        kinds = [KINDS[k] for k in self.code_table.kinds.tolist()]
        codes = self.codes.tolist()
        co = self.code_offsets.tolist()
        vo = self.visit_offsets.tolist()
        out = []
        for p in range(self.n_patients):
            visits = [
                [(names[c], systems[c], kinds[c]) for c in codes[co[v] : co[v + 1]]]
                for v in range(vo[p], vo[p + 1])
            ]
            out.append(
                {
                    "id": str(self.patient_ids[p]),
                    "age": float(self.age[p]),
                    "sex": SEXES[int(self.sex[p])],
                    "visits": visits,
                }
            )
        return out

    def equals(self, other: Cohort) -> bool:
        """Same patients, visits and codes (by key), in the same order."""
        return (
            np.array_equal(self.age, other.age)
            and np.array_equal(self.sex, other.sex)
            and np.array_equal(self.patient_ids, other.patient_ids)
            and np.array_equal(self.visit_offsets, other.visit_offsets)
            and np.array_equal(self.code_offsets, other.code_offsets)
            and np.array_equal(self.code_keys(), other.code_keys())
            and _same_splits(self.splits, other.splits)
        )

    # ------------------------------------------------------------ storage
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the cohort to an ``.npz`` file atomically (no pickles)."""
        out = Path(path)
        arrays: dict[str, npt.NDArray[Any]] = {
            "format_version": np.array(FORMAT_VERSION),
            "age": self.age,
            "sex": self.sex,
            "visit_offsets": self.visit_offsets,
            "code_offsets": self.code_offsets,
            "codes": self.codes,
            "patient_ids": self.patient_ids,
            "code_names": self.code_table.names,
            "code_vocabularies": self.code_table.vocabulary_names(),
            "code_kinds": self.code_table.kinds,
        }
        if self.splits is not None:
            arrays["splits"] = self.splits
        with atomic_path(out, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cohort:
        """Read a cohort written by :meth:`save` (files without a split array load too)."""
        src = Path(path)
        if not src.is_file():
            raise LossbalanceError(f"{src}: cohort file not found")
        try:
            with np.load(src, allow_pickle=False) as z:
                version = int(z["format_version"])
                if version == 1:  # icd9/icd10 indices, procedures under the same index
                    legacy = np.array(_LEGACY_SYSTEMS, dtype=np.str_)
                    vocab = legacy[np.asarray(z["code_systems"], dtype=np.int64)]
                elif version == FORMAT_VERSION:
                    vocab = z["code_vocabularies"]
                else:
                    raise LossbalanceError(
                        f"{src}: cohort format version {version}, expected {FORMAT_VERSION} (or 1)"
                    )
                table = CodeTable.from_names(z["code_names"], vocab, z["code_kinds"])
                return cls(
                    z["age"],
                    z["sex"],
                    z["visit_offsets"],
                    z["code_offsets"],
                    z["codes"],
                    table,
                    z["patient_ids"],
                    z["splits"] if "splits" in z.files else None,
                )
        except LossbalanceError as exc:
            if str(exc).startswith(str(src)):
                raise
            raise LossbalanceError(f"{src}: {exc}") from None
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise LossbalanceError(f"{src}: not a lossbalance cohort file ({exc})") from None


def split_counts(n_patients: int, fractions: Sequence[float]) -> npt.NDArray[np.int64]:
    """Patients per split (train, tuning, held_out) for ``fractions`` of ``n_patients``.

    Tuning and held-out get ``round(fraction x n)`` patients, train the rest. Raises
    with one line naming the fraction when one is out of range, they do not sum to 1, or
    a split would be left empty.
    """
    fr = [float(f) for f in fractions]
    if len(fr) != len(SPLITS):
        raise LossbalanceError(
            f"split fractions: expected {len(SPLITS)} (train, tuning, held_out), got {len(fr)}"
        )
    for name, f in zip(SPLITS, fr, strict=True):
        if not (np.isfinite(f) and 0.0 < f < 1.0):
            raise LossbalanceError(
                f"split fraction {name}={f:g}: must lie strictly between 0 and 1"
            )
    if abs(sum(fr) - 1.0) > 1e-6:
        raise LossbalanceError(
            f"split fractions {','.join(f'{f:g}' for f in fr)}: must sum to 1 (they sum to "
            f"{sum(fr):g})"
        )
    tuning = round(n_patients * fr[1])
    held = round(n_patients * fr[2])
    counts = np.array([n_patients - tuning - held, tuning, held], dtype=np.int64)
    for name, f, n in zip(SPLITS, fr, counts.tolist(), strict=True):
        if n <= 0:
            raise LossbalanceError(
                f"split fraction {name}={f:g} leaves split {name!r} empty "
                f"in a cohort of {n_patients} patients"
            )
    return counts


def _split_indices(splits: npt.ArrayLike, n_patients: int) -> npt.NDArray[np.uint8]:
    """Split names or indices, one per patient, as ``uint8`` indices into :data:`SPLITS`."""
    arr = np.asarray(splits)
    if arr.ndim != 1 or len(arr) != n_patients:
        raise LossbalanceError(
            f"cohort: splits must hold one entry per patient ({n_patients}), got shape {arr.shape}"
        )
    if arr.dtype.kind in "USO":
        text = arr.astype(np.str_)
        uniq, inverse = np.unique(text, return_inverse=True)
        unknown = [u for u in uniq.tolist() if u not in SPLITS]
        if unknown:
            raise LossbalanceError(
                f"cohort: unknown split {unknown[0]!r}: expected one of {', '.join(SPLITS)}"
            )
        lookup = np.array([SPLITS.index(u) for u in uniq.tolist()], dtype=np.uint8)
        return lookup[inverse.reshape(-1)]
    if len(arr) == 0:
        return np.zeros(0, dtype=np.uint8)
    if arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= len(SPLITS):
        raise LossbalanceError(
            f"cohort: split indices must be integers 0..{len(SPLITS) - 1} ({', '.join(SPLITS)})"
        )
    return arr.astype(np.uint8)


def _same_splits(a: npt.NDArray[np.uint8] | None, b: npt.NDArray[np.uint8] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(np.array_equal(a, b))


def _offsets(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Concatenate ``arange(s, s + n)`` for each (s, n), vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(starts - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift


def _intern(flat: Sequence[tuple[str, int, int]]) -> tuple[CodeTable, npt.NDArray[np.int32]]:
    if not flat:
        return CodeTable.empty(), np.zeros(0, dtype=np.int32)
    table_index: dict[tuple[str, int, int], int] = {}
    codes = np.fromiter(
        (table_index.setdefault(t, len(table_index)) for t in flat), dtype=np.int32, count=len(flat)
    )
    rows = list(table_index)
    table = CodeTable(
        np.array([r[0] for r in rows], dtype=np.str_),
        np.array([r[1] for r in rows], dtype=np.uint8),
        np.array([r[2] for r in rows], dtype=np.uint8),
    )
    return table, codes


def offsets_from_lengths(lengths: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """CSR offsets (leading 0, cumulative sum) from per-row lengths."""
    return _offsets(np.asarray(lengths, dtype=np.int64))


def concat_ranges(starts: npt.ArrayLike, lengths: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Concatenated ``arange(s, s + n)`` for each (start, length), vectorised."""
    return _ranges(np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64))
