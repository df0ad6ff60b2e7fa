"""The generator's vocabulary: special tokens, demographic prompt tokens and codes.

Token ids are laid out as::

    0 <pad>   1 <bos>   2 <eos> (end of patient)   3 <unk>   4 </v> (end of visit)
    5 .. 5+G-1        age-group prompt tokens  <age:0-2>, <age:2-12>, ...
    5+G, 5+G+1        sex prompt tokens        <sex:F>, <sex:M>
    5+G+2 ..          code tokens, most frequent first (ties by code key)

A patient is written as ``<bos> c c c </v> c c </v> ... <eos>`` on the decoder side;
the encoder reads the prompt ``<age:g> <sex:s>``. Codes seen fewer than ``min_count``
times in the training cohort map to ``<unk>``. The vocabulary keeps the training
cohort's whole code table, so a generated cohort has the same code-table keys as the
data it learned from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lossbalance._errors import LossbalanceError
from lossbalance.data import SEXES, CodeTable, Cohort

PAD, BOS, EOS, UNK, SEP = 0, 1, 2, 3, 4
SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<bos>", "<eos>", "<unk>", "</v>")
DEFAULT_AGE_BOUNDS: tuple[float, ...] = (2.0, 12.0, 18.0, 40.0, 65.0)
"""Upper bounds (exclusive) of the default age groups 0-2, 2-12, 12-18, 18-40, 40-65, 65+."""


def age_group_labels(bounds: Sequence[float]) -> list[str]:
    """``["0-2", "2-12", ..., "65+"]`` for the given group bounds."""
    edges = [0.0, *bounds]
    fmt = [f"{e:g}" for e in edges]
    return [f"{fmt[i]}-{fmt[i + 1]}" for i in range(len(bounds))] + [f"{fmt[-1]}+"]


def age_groups(ages: npt.ArrayLike, bounds: Sequence[float]) -> npt.NDArray[np.int64]:
    """The age group of every age: ``searchsorted(bounds, age, side="right")``."""
    return np.searchsorted(
        np.asarray(bounds, dtype=np.float64), np.asarray(ages, dtype=np.float64), side="right"
    ).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Token ids of the specials, the demographic prompt and the codes.

    Attributes:
        code_table: the training cohort's code table (all its rows, rare ones included).
        code_rows: the code-table row of each code token, in token order.
        age_bounds: upper bounds of the age groups (the last group is open).
        min_count: the minimum training count a code needed to get its own token.
    """

    code_table: CodeTable
    code_rows: npt.NDArray[np.int64]
    age_bounds: tuple[float, ...] = DEFAULT_AGE_BOUNDS
    min_count: int = 1

    # ------------------------------------------------------------- build
    @classmethod
    def build(
        cls,
        cohort: Cohort,
        min_count: int = 1,
        age_bounds: Sequence[float] = DEFAULT_AGE_BOUNDS,
    ) -> Vocabulary:
        """The vocabulary of ``cohort``: one token per code seen ``min_count`` times or more."""
        if min_count < 1:
            raise LossbalanceError(f"min_count: must be at least 1, got {min_count}")
        bounds = tuple(float(b) for b in age_bounds)
        if not bounds or any(b <= 0 for b in bounds) or any(np.diff(bounds) <= 0):
            raise LossbalanceError(
                f"age_groups: bounds must be positive and strictly increasing, got {list(bounds)}"
            )
        counts = np.bincount(cohort.codes, minlength=len(cohort.code_table))
        keep = np.flatnonzero(counts >= min_count)
        if keep.size == 0:
            raise LossbalanceError(
                f"vocabulary: no code occurs {min_count} times or more in the training cohort"
            )
        keys = cohort.code_table.keys()[keep]
        order = np.lexsort((keys, -counts[keep]))
        return cls(cohort.code_table, keep[order].astype(np.int64), bounds, int(min_count))

    # ------------------------------------------------------------- sizes
    @property
    def n_age_groups(self) -> int:
        return len(self.age_bounds) + 1

    @property
    def age_offset(self) -> int:
        return len(SPECIAL_TOKENS)

    @property
    def sex_offset(self) -> int:
        return self.age_offset + self.n_age_groups

    @property
    def code_offset(self) -> int:
        return self.sex_offset + len(SEXES)

    @property
    def n_codes(self) -> int:
        return len(self.code_rows)

    def __len__(self) -> int:
        return self.code_offset + self.n_codes

    def tokens(self) -> list[str]:
        """The string of every token id."""
        ages = [f"<age:{g}>" for g in age_group_labels(self.age_bounds)]
        sexes = [f"<sex:{s}>" for s in SEXES]
        return [*SPECIAL_TOKENS, *ages, *sexes, *self.code_table.keys()[self.code_rows].tolist()]

    def fingerprint(self) -> str:
        """A SHA-256 of the token list: two vocabularies agree iff their fingerprints do."""
        return hashlib.sha256("\n".join(self.tokens()).encode("utf-8")).hexdigest()

    def age_group_labels(self) -> list[str]:
        return age_group_labels(self.age_bounds)

    # ------------------------------------------------------------ mapping
    def token_of_row(self, table: CodeTable | None = None) -> npt.NDArray[np.int64]:
        """The token of every row of ``table`` (default: the vocabulary's own); ``<unk>`` if none.

        Rows are matched by key (``system:kind:code``), so any cohort can be encoded.
        """
        own = np.full(len(self.code_table), UNK, dtype=np.int64)
        own[self.code_rows] = self.code_offset + np.arange(self.n_codes, dtype=np.int64)
        if table is None or table is self.code_table:
            return own
        mine = self.code_table.keys()
        other = table.keys()
        if len(mine) == 0:
            return np.full(len(other), UNK, dtype=np.int64)
        order = np.argsort(mine, kind="stable")
        pos = np.minimum(np.searchsorted(mine[order], other), len(mine) - 1)
        found = mine[order][pos] == other
        return np.where(found, own[order[pos]], UNK).astype(np.int64)

    def prompt(self, ages: npt.ArrayLike, sexes: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Encoder prompt ids ``[<age:g>, <sex:s>]``, one row per patient."""
        group = age_groups(ages, self.age_bounds)
        sex = np.asarray(sexes, dtype=np.int64)
        if sex.size and (sex.min() < 0 or sex.max() >= len(SEXES)):
            raise LossbalanceError("prompt: sex index out of range (0 = F, 1 = M)")
        return np.stack([self.age_offset + group, self.sex_offset + sex], axis=1)

    # ------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers (JSON- and ``torch.load(weights_only=True)``-safe)."""
        return {
            "code_names": self.code_table.names.tolist(),
            "code_systems": self.code_table.systems.tolist(),
            "code_vocabularies": self.code_table.vocabulary_names().tolist(),
            "code_kinds": self.code_table.kinds.tolist(),
            "code_rows": self.code_rows.tolist(),
            "age_bounds": list(self.age_bounds),
            "min_count": self.min_count,
            "fingerprint": self.fingerprint(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        try:
            if "code_vocabularies" in data:  # names: indices of open vocabularies vary
                table = CodeTable.from_names(
                    np.array(data["code_names"], dtype=np.str_),
                    np.array(data["code_vocabularies"], dtype=np.str_),
                    np.array(data["code_kinds"], dtype=np.uint8),
                )
            else:  # saved before open vocabularies: 0 = icd9, 1 = icd10
                table = CodeTable(
                    np.array(data["code_names"], dtype=np.str_),
                    np.array(data["code_systems"], dtype=np.uint8),
                    np.array(data["code_kinds"], dtype=np.uint8),
                )
            vocab = cls(
                table,
                np.array(data["code_rows"], dtype=np.int64),
                tuple(float(b) for b in data["age_bounds"]),
                int(data["min_count"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LossbalanceError(f"vocabulary: malformed saved vocabulary ({exc})") from None
        if "fingerprint" in data and data["fingerprint"] != vocab.fingerprint():
            raise LossbalanceError("vocabulary: saved fingerprint does not match its tokens")
        return vocab
