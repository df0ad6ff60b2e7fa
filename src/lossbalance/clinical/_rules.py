"""Age and sex rule sets: the package's own compact tables and MCE-format files."""

from __future__ import annotations

import os

from lossbalance.clinical._edits import CodeEdits
from lossbalance.data import CodeTable


class RuleSet:
    """Age and sex edits for ICD-9-CM and ICD-10-CM diagnoses and procedures.

    (Placeholder: the built-in tables and the MCE loader are being written.)
    """

    def edits_for(self, table: CodeTable) -> CodeEdits:
        """The edits of every row of ``table``."""
        raise NotImplementedError


def default_rules() -> RuleSet:
    """The package's own rule tables."""
    raise NotImplementedError


def load_mce_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Rules from an MCE-format TSV (replaces the package's tables)."""
    raise NotImplementedError


def code_descriptions(table: CodeTable) -> list[str]:
    """A short description of every row of ``table`` where the package knows one ("" else).

    (Placeholder: returns no descriptions until the built-in dictionary lands.)
    """
    return [""] * len(table)
