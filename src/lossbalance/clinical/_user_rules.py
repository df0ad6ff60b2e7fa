"""User rule tables: age and sex rules for any vocabulary (CSV or YAML).

The CMS Medicare Code Editor edits cover ICD only. A user rule table adds rules for any
vocabulary (SNOMED, LOINC, RxNorm, ATC, OMOP concept ids...), one rule a row:

======== ====================================================================
column   meaning
======== ====================================================================
vocabulary  the vocabulary (``SNOMED``, ``ICD10CM``; aliases ``icd9``/``icd10``)
code        a code, or a code prefix ending in ``*`` (``O*``, ``7282*``)
min_age     youngest allowed age in whole years (empty: 0)
max_age     oldest allowed age in whole years (empty: 124)
sex         ``F`` or ``M`` when only that sex may carry the code (empty: either)
kind        optional: ``dx``, ``px``, ``rx``, ``lab`` or ``other`` (empty: any kind)
======== ====================================================================

A YAML table is a list of such mappings (or a mapping with a ``rules`` list). A code
matches a rule when its vocabulary is the rule's and its text (dots removed, upper case)
equals the rule's code, or starts with it when the rule ends in ``*``. A code under
several rules gets the narrowest age range; ages compare as whole years (floored),
as the MCE does. Every bad row is one :class:`LossbalanceError` naming the file and row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lossbalance._errors import LossbalanceError
from lossbalance._yaml import read_yaml_file
from lossbalance.clinical._edits import AGE_MAX, AGE_MIN
from lossbalance.clinical._rules import RuleSet
from lossbalance.data import KINDS, SEXES, CodeTable, kind_index, system_index

USER_RULE_COLUMNS: tuple[str, ...] = ("vocabulary", "code", "min_age", "max_age", "sex", "kind")
"""Columns of a user rule table (``kind`` is optional)."""


@dataclass(frozen=True)
class UserRule:
    """One rule of a user table: codes of ``vocabularies`` (and ``kind``) that are
    ``code`` or start with it (``prefix``) allow ages ``min_age..max_age`` and sex ``sex``."""

    vocabularies: tuple[int, ...]
    code: str
    prefix: bool
    min_age: int
    max_age: int
    sex: int | None
    kind: int | None
    where: str

    def match(self, table: CodeTable, names: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
        """Which rows of ``table`` (with normalised ``names``) the rule covers."""
        hit = np.isin(table.systems, np.array(self.vocabularies, dtype=np.uint8))
        if self.kind is not None:
            hit &= table.kinds == self.kind
        if not hit.any():
            return hit
        if self.prefix:
            hit &= np.char.startswith(names, self.code)
        else:
            hit &= names == self.code
        return hit


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _age(value: Any, default: int, where: str, column: str) -> int:
    text = _text(value)
    if not text:
        return default
    try:
        number = float(text)
    except ValueError:
        raise LossbalanceError(f"{where}: {column} {text!r} is not a number") from None
    if not number.is_integer() or not AGE_MIN <= number <= AGE_MAX:
        raise LossbalanceError(
            f"{where}: {column} {text!r} must be a whole number of years from {AGE_MIN} "
            f"to {AGE_MAX}"
        )
    return int(number)


def _rule(row: dict[str, Any], where: str) -> UserRule:
    vocab = _text(row.get("vocabulary"))
    if not vocab:
        raise LossbalanceError(f"{where}: vocabulary is empty")
    kind_text = _text(row.get("kind"))
    kind = None
    if kind_text:
        try:
            kind = kind_index(kind_text)
        except LossbalanceError:
            raise LossbalanceError(
                f"{where}: kind {kind_text!r} is not one of {', '.join(KINDS)}"
            ) from None
    try:
        if kind is None:
            vocabs = tuple(sorted({system_index(vocab, "dx"), system_index(vocab, "px")}))
        else:
            vocabs = (system_index(vocab, kind),)
    except LossbalanceError as exc:
        raise LossbalanceError(f"{where}: {exc}") from None
    code = _text(row.get("code")).replace(".", "").replace(" ", "").upper()
    prefix = code.endswith("*")
    code = code.rstrip("*")
    if not code:
        raise LossbalanceError(f"{where}: code is empty (a code, or a prefix ending in *)")
    lo = _age(row.get("min_age"), AGE_MIN, where, "min_age")
    hi = _age(row.get("max_age"), AGE_MAX, where, "max_age")
    if lo > hi:
        raise LossbalanceError(f"{where}: bad age range: min_age {lo} is above max_age {hi}")
    sex_text = _text(row.get("sex")).upper()[:1]
    if sex_text and sex_text not in SEXES:
        raise LossbalanceError(f"{where}: sex {_text(row.get('sex'))!r} must be F, M or empty")
    sex = SEXES.index(sex_text) if sex_text else None
    if lo == AGE_MIN and hi == AGE_MAX and sex is None:
        raise LossbalanceError(f"{where}: the rule restricts nothing (give an age or a sex)")
    return UserRule(vocabs, code, prefix, lo, hi, sex, kind, where)


def load_user_rules(path: str | os.PathLike[str]) -> list[UserRule]:
    """Rules from a user rule table (``.csv``, ``.yaml`` or ``.yml``).

    Raises:
        LossbalanceError: a missing file or column, or a bad row (unknown vocabulary or
            kind, empty code, an age that is not a whole number of years in 0..124, a
            range whose min is above its max, a sex other than F/M), naming the file and
            the row (data row 1 is the first row under the header).
    """
    src = Path(path)
    if not src.is_file():
        raise LossbalanceError(f"{src}: rule table not found")
    rows: list[dict[str, Any]]
    if src.suffix.lower() in {".yaml", ".yml"}:
        data = read_yaml_file(src, "rule table")
        if isinstance(data, dict):
            data = data.get("rules")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise LossbalanceError(f"{src}: expected a list of rules (mappings) or 'rules:'")
        rows = [{str(k).lower(): v for k, v in r.items()} for r in data]
        label = "rule"
    else:
        try:
            frame = pd.read_csv(src, dtype=str, keep_default_na=False, sep=None, engine="python")
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise LossbalanceError(f"{src}: not a readable CSV file ({exc})") from None
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
        label = "data row"
    for i, row in enumerate(rows, 1):
        unknown = sorted(set(row) - set(USER_RULE_COLUMNS))
        if unknown:
            raise LossbalanceError(
                f"{src}: {label} {i}: unknown column {unknown[0]!r} "
                f"(columns: {', '.join(USER_RULE_COLUMNS)})"
            )
        for col in ("vocabulary", "code"):
            if col not in row:
                raise LossbalanceError(f"{src}: {label} {i}: missing column {col!r}")
    if not rows:
        raise LossbalanceError(f"{src}: the rule table has no rules")
    return [_rule(row, f"{src}: {label} {i}") for i, row in enumerate(rows, 1)]


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """The rule set a ``--rules`` file (or a spec's ``rules``) stands for.

    An MCE-format TSV (its header has the MCE columns) replaces the package's ICD
    tables; a user rule table (``.csv``, ``.yaml``, ``.yml``) adds its rules to them.
    """
    from lossbalance.clinical._rules import MCE_COLUMNS, default_rules, load_mce_rules

    src = Path(path)
    if not src.is_file():
        raise LossbalanceError(f"{src}: rules file not found")
    if src.suffix.lower() not in {".yaml", ".yml", ".csv"}:
        with open(src, encoding="utf-8", errors="replace") as fh:
            head = fh.readline()
        if all(col in head.split("\t") or col in head for col in MCE_COLUMNS[:2]):
            return load_mce_rules(src)
    return default_rules().with_user_rules(load_user_rules(src), str(src))
