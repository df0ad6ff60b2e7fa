"""Age and sex rule sets: the package's own compact tables and MCE-format files.

A :class:`RuleSet` maps ``(code system, code kind, edit type)`` to a set of code
patterns and turns a :class:`~lossbalance.data.CodeTable` into per-row
:class:`~lossbalance.clinical.CodeEdits` with a handful of vectorised numpy passes
(one ``isin`` per prefix length, one comparison per range, one character-matrix test
per wildcard pattern), never a Python loop per code.

Edit types and the ages they allow follow the CMS Medicare Code Editor (MCE),
*Definitions of Medicare Code Edits* v32 (ICD-9-CM) and v37 (ICD-10-CM/PCS), sections
4 (age conflicts) and 5 (sex conflicts).

Truncated (category-level) codes: a pattern applies to a code only when the code starts
with it (or, for a range, when the code's first characters fall in the range). A code
shorter than a pattern is a category that holds codes the pattern does not cover, so the
pattern does not apply to it. The built-in tables state every edit at the level of the
whole family that carries it, so a category gets an edit exactly when the whole category
carries it. MCE files list complete codes only; :func:`load_mce_rules` can fold them into
whole-category patterns when given a code dictionary (see ``docs/clinical-rules.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lossbalance._errors import LossbalanceError
from lossbalance.clinical._edits import AGE_MAX, AGE_MIN, SEX_ANY, CodeEdits
from lossbalance.data import CodeTable, kind_index, system_index
from lossbalance.data._cohort import procedure_vocabularies

if TYPE_CHECKING:
    from lossbalance.clinical._user_rules import UserRule

AGE_EDITS: dict[str, tuple[int, int]] = {
    "Newborn_Only": (0, 0),
    "Pediatric_Only": (0, 17),
    "Maternity_Only": (12, 55),
    "Adult_Only": (15, 124),
}
"""MCE age edits and the inclusive range of whole years each allows."""
SEX_EDITS: dict[str, int] = {"Female_Only": 0, "Male_Only": 1}
"""MCE sex edits and the sex index (:data:`lossbalance.data.SEXES`) each allows."""
EDIT_TYPES: tuple[str, ...] = (*AGE_EDITS, *SEX_EDITS)

MCE_COLUMNS: tuple[str, ...] = (
    "MCE_Version",
    "ICD_Version",
    "MCE_Section",
    "MCE_Subsection",
    "MCE_Edit_Type",
    "ICD_Code_Type",
    "ICD_Code",
    "ICD_Desc",
)

RuleKey = tuple[int, int, str]
"""``(system index, kind index, edit type)``."""


def normalize_codes(names: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Codes as the rules compare them: dots and surrounding blanks removed, upper case."""
    arr = np.asarray(names, dtype=np.str_)
    if arr.size == 0:
        return arr.astype(np.str_)
    return np.char.upper(np.char.strip(np.char.replace(arr, ".", "")))


@dataclass
class CodePatterns:
    """A set of code patterns: prefixes, inclusive prefix ranges, ``?`` wildcards."""

    prefixes: dict[int, npt.NDArray[np.str_]] = field(default_factory=dict)
    ranges: list[tuple[str, str]] = field(default_factory=list)
    wildcards: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, tokens: Iterable[str], where: str = "rules") -> CodePatterns:
        """Patterns from tokens such as ``O80``, ``O00-O9A``, ``Z03.7``, ``0W?N``."""
        by_len: dict[int, list[str]] = {}
        out = cls()
        for raw in tokens:
            tok = raw.replace(".", "").strip().upper()
            if not tok:
                continue
            if "-" in tok:
                lo, _, hi = tok.partition("-")
                if not lo or len(lo) != len(hi) or "?" in tok:
                    raise LossbalanceError(
                        f"{where}: range {raw!r} needs two bounds of equal length"
                    )
                if lo > hi:
                    raise LossbalanceError(f"{where}: range {raw!r} runs backwards")
                out.ranges.append((lo, hi))
            elif "?" in tok:
                out.wildcards.append(tok)
            else:
                by_len.setdefault(len(tok), []).append(tok)
        out.prefixes = {n: np.unique(np.array(v, dtype=np.str_)) for n, v in by_len.items()}
        return out

    def __len__(self) -> int:
        return sum(len(v) for v in self.prefixes.values()) + len(self.ranges) + len(self.wildcards)

    def match(self, names: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
        """Whether each (normalised) code starts with / falls in one of the patterns."""
        n = len(names)
        hit = np.zeros(n, dtype=bool)
        if n == 0:
            return hit
        lengths = np.char.str_len(names)
        for length, pats in self.prefixes.items():
            head = names.astype(f"<U{length}")
            hit |= (lengths >= length) & np.isin(head, pats)
        for lo, hi in self.ranges:
            head = names.astype(f"<U{len(lo)}")
            hit |= (lengths >= len(lo)) & (head >= lo) & (head <= hi)
        if self.wildcards:
            width = max(max(len(w) for w in self.wildcards), 1)
            chars = names.astype(f"<U{width}").view("<U1").reshape(n, width)
            for pat in self.wildcards:
                ok = lengths >= len(pat)
                for i, ch in enumerate(pat):
                    if ch != "?":
                        ok &= chars[:, i] == ch
                hit |= ok
        return hit


class RuleSet:
    """Age and sex edits for ICD-9-CM and ICD-10-CM diagnoses and procedures.

    Build one with :func:`default_rules` (the package's tables), :func:`load_mce_rules`
    (an MCE-format TSV) or :meth:`from_text` (the table grammar of
    :mod:`lossbalance.clinical._tables`).

    Args:
        rules: patterns per ``(system index, kind index, edit type)``.
        source: where the rules came from (shown in messages and reports).
    """

    def __init__(
        self,
        rules: Mapping[RuleKey, CodePatterns],
        source: str = "rules",
        user_rules: Sequence[UserRule] = (),
    ) -> None:
        for _, _, edit in rules:
            if edit not in EDIT_TYPES:
                raise LossbalanceError(f"{source}: unknown edit type {edit!r}")
        self.rules: dict[RuleKey, CodePatterns] = dict(rules)
        self.user_rules: list[UserRule] = list(user_rules)
        self.source = source

    def __repr__(self) -> str:
        rules = getattr(self, "rules", None)
        if rules is None:  # a subclass that keeps its edits its own way (HandRules)
            return f"{type(self).__name__}(source={getattr(self, 'source', '?')!r})"
        n = sum(len(p) for p in rules.values())
        return (
            f"{type(self).__name__}(source={self.source!r}, rules={len(rules)}, patterns={n}, "
            f"user_rules={len(self.user_rules)})"
        )

    def with_user_rules(self, rules: Sequence[UserRule], source: str) -> RuleSet:
        """These rules plus user ``rules`` (both apply; a code gets the narrowest range)."""
        return RuleSet(self.rules, f"{self.source} + {source}", [*self.user_rules, *rules])

    @classmethod
    def from_text(cls, text: str, source: str = "rules") -> RuleSet:
        """Parse the table grammar (``icd10 dx Maternity_Only: O00-O9A Z33-Z37 ...``)."""
        rules: dict[RuleKey, list[str]] = {}
        logical: list[tuple[int, str]] = []
        buf, start = "", 0
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].rstrip()
            if not buf:
                start = lineno
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            if buf.strip():
                logical.append((start, buf))
            buf = ""
        if buf.strip():
            logical.append((start, buf))
        for lineno, line in logical:
            head, sep, body = line.partition(":")
            parts = head.split()
            if not sep or len(parts) != 3:
                raise LossbalanceError(
                    f"{source}: line {lineno}: expected '<system> <kind> <edit>: <patterns>'"
                )
            kind = kind_index(parts[1])
            key = (system_index(parts[0], kind), kind, parts[2])
            if key[2] not in EDIT_TYPES:
                raise LossbalanceError(f"{source}: line {lineno}: unknown edit type {parts[2]!r}")
            rules.setdefault(key, []).extend(body.split())
        return cls(
            {k: CodePatterns.parse(v, f"{source}: {k[2]}") for k, v in rules.items()},
            source=source,
        )

    def edit_masks(self, table: CodeTable) -> dict[str, npt.NDArray[np.bool_]]:
        """For every edit type, which rows of ``table`` carry it."""
        names = normalize_codes(table.names)
        masks = {edit: np.zeros(len(table), dtype=bool) for edit in EDIT_TYPES}
        for (system, kind, edit), pats in self.rules.items():
            rows = np.flatnonzero((table.systems == system) & (table.kinds == kind))
            if rows.size:
                masks[edit][rows] |= pats.match(names[rows])
        return masks

    def edits_for(self, table: CodeTable) -> CodeEdits:
        """The edits of every row of ``table``.

        A code with several age edits gets the intersection of their ranges (ICD-9-CM
        V23.85 is both Maternity and Adult: ages 15-55); a code may carry an age and a
        sex edit at once (maternity codes are also female-only). ``edit_type`` names
        every edit a row carries, joined by ``+`` in :data:`EDIT_TYPES` order.
        """
        n = len(table)
        masks = self.edit_masks(table)
        min_age = np.full(n, AGE_MIN, dtype=np.int16)
        max_age = np.full(n, AGE_MAX, dtype=np.int16)
        sex_only = np.full(n, SEX_ANY, dtype=np.int8)
        for edit, (lo, hi) in AGE_EDITS.items():
            m = masks[edit]
            min_age[m] = np.maximum(min_age[m], lo)
            max_age[m] = np.minimum(max_age[m], hi)
        for edit, sex in SEX_EDITS.items():
            sex_only[masks[edit]] = sex
        user_hit = np.zeros(n, dtype=bool)
        if self.user_rules:
            names = normalize_codes(table.names)
            for rule in self.user_rules:
                m = rule.match(table, names)
                min_age[m] = np.maximum(min_age[m], rule.min_age)
                max_age[m] = np.minimum(max_age[m], rule.max_age)
                if rule.sex is not None:
                    sex_only[m] = rule.sex
                user_hit |= m
        # Name the edits: one bit per edit type, then one string per distinct bit pattern.
        bits = np.zeros(n, dtype=np.int64)
        for i, edit in enumerate(EDIT_TYPES):
            bits |= masks[edit].astype(np.int64) << i
        uniq, inverse = np.unique(bits, return_inverse=True)
        labels = np.array(
            ["+".join(e for i, e in enumerate(EDIT_TYPES) if (int(b) >> i) & 1) for b in uniq]
            or [""],
            dtype=np.str_,
        )
        edit_type = labels[inverse] if n else np.array([], dtype=np.str_)
        if user_hit.any():
            plus = np.where(edit_type[user_hit] == "", "", np.char.add(edit_type[user_hit], "+"))
            edit_type = edit_type.astype(object)
            edit_type[user_hit] = np.char.add(plus, "User_Rule")
            edit_type = edit_type.astype(np.str_)
        return CodeEdits(min_age=min_age, max_age=max_age, sex_only=sex_only, edit_type=edit_type)


_DEFAULT: RuleSet | None = None


def default_rules() -> RuleSet:
    """The package's own rule tables (:mod:`lossbalance.clinical._tables`), cached."""
    global _DEFAULT
    if _DEFAULT is None:
        from lossbalance.clinical._tables import BUILTIN_TABLE

        _DEFAULT = RuleSet.from_text(BUILTIN_TABLE, source="lossbalance built-in tables")
    return _DEFAULT


def load_mce_rules(path: str | os.PathLike[str], dictionary: CodeTable | None = None) -> RuleSet:
    """Rules from an MCE-format TSV; they replace the package's tables.

    The file has the columns of :data:`MCE_COLUMNS` (``ICD_Version`` 9 or 10,
    ``ICD_Code_Type`` D or P, ``ICD_Code`` without dot; dotted codes are accepted).
    Only sections 4 (age) and 5 (sex) matter; rows of other edit types are ignored.

    MCE files list complete codes, so without ``dictionary`` a truncated category code
    gets an edit only when the file lists it. Given ``dictionary`` (every valid code of
    a code system, e.g. a CodeTable of MIMIC's ``D_ICD_DIAGNOSES``), the listed codes are
    folded into whole-category prefixes: a prefix carries an edit when every dictionary
    code under it (headers excluded) is listed with that edit.

    Raises:
        LossbalanceError: missing file or column, or a value that names no code system,
            code type or edit type (one line naming the file and column).
    """
    import pandas as pd

    src = Path(path)
    if not src.is_file():
        raise LossbalanceError(f"{src}: MCE rules file not found")
    try:
        frame = pd.read_csv(src, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise LossbalanceError(f"{src}: not a readable tab-separated file ({exc})") from None
    for col in MCE_COLUMNS:
        if col not in frame.columns:
            raise LossbalanceError(f"{src}: missing column {col}")
    frame = frame[frame["MCE_Edit_Type"].str.strip().isin(EDIT_TYPES)]
    versions = frame["ICD_Version"].str.strip()
    bad = ~versions.isin(["9", "10"])
    if bad.any():
        raise LossbalanceError(
            f"{src}: column ICD_Version: expected 9 or 10, got {versions[bad].iloc[0]!r}"
        )
    types = frame["ICD_Code_Type"].str.strip().str.upper()
    bad = ~types.isin(["D", "P"])
    if bad.any():
        raise LossbalanceError(
            f"{src}: column ICD_Code_Type: expected D or P, got {types[bad].iloc[0]!r}"
        )
    codes = normalize_codes(frame["ICD_Code"].to_numpy(dtype=str))
    if np.any(np.char.str_len(codes) == 0):
        raise LossbalanceError(f"{src}: column ICD_Code: empty code")
    kind = np.where(types.to_numpy() == "D", 0, 1).astype(np.uint8)
    system = procedure_vocabularies(
        np.where(versions.to_numpy() == "9", 0, 1).astype(np.uint8), kind
    )
    edits = frame["MCE_Edit_Type"].str.strip().to_numpy(dtype=str)
    rules: dict[RuleKey, CodePatterns] = {}
    for s, k, e in sorted(set(zip(system.tolist(), kind.tolist(), edits.tolist(), strict=True))):
        sel = (system == s) & (kind == k) & (edits == e)
        listed = np.unique(codes[sel])
        tokens = listed
        if dictionary is not None:
            tokens = np.union1d(listed, _whole_prefixes(listed, dictionary, s, k))
        rules[(s, k, e)] = CodePatterns.parse(tokens.tolist(), f"{src}: {e}")
    return RuleSet(rules, source=str(src))


def _leaves(names: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """Codes that are no proper prefix of another code (drops category headers)."""
    s = np.unique(names)
    if s.size < 2:
        return s
    header = np.zeros(s.size, dtype=bool)
    header[:-1] = np.char.startswith(s[1:], s[:-1]) & (s[1:] != s[:-1])
    return s[~header]


def _whole_prefixes(
    listed: npt.NDArray[np.str_], dictionary: CodeTable, system: int, kind: int
) -> npt.NDArray[np.str_]:
    """Proper prefixes (>= 2 characters) all of whose dictionary leaves are listed."""
    sel = (dictionary.systems == system) & (dictionary.kinds == kind)
    if not sel.any():
        return np.array([], dtype=np.str_)
    universe = _leaves(np.union1d(normalize_codes(dictionary.names[sel]), listed))
    is_listed = np.isin(universe, listed)
    lengths = np.char.str_len(universe)
    found: list[npt.NDArray[np.str_]] = []
    for k in range(2, int(lengths.max()) if universe.size else 0):
        rows = lengths > k
        heads, inverse = np.unique(universe[rows].astype(f"<U{k}"), return_inverse=True)
        total = np.bincount(inverse, minlength=heads.size)
        hits = np.bincount(inverse, weights=is_listed[rows], minlength=heads.size)
        found.append(heads[(hits == total) & (total > 0)])
    return np.concatenate(found) if found else np.array([], dtype=np.str_)


def code_descriptions(table: CodeTable) -> list[str]:
    """A short description of every row of ``table`` where the package knows one ("" else).

    The package knows the diagnosis codes of its reference simulator's catalogue
    (ICD-10-CM codes and their ICD-9-CM equivalents); dotted codes match too.
    """
    from lossbalance.data._sim_catalogue import catalogue_descriptions

    known = catalogue_descriptions()
    names = normalize_codes(table.names).tolist()
    return [
        known.get((int(s), int(k), c), "")
        for s, k, c in zip(table.systems.tolist(), table.kinds.tolist(), names, strict=True)
    ]
