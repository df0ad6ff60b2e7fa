"""The user docs stand on their own (issue 19 item 6): no design file outside the
repository, no internal issue numbers, no notes on parts that have since landed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

STALE = {
    r"DESIGN\.md": "a design file that is not in the repository",
    r"\bissues? #?\d+": "an internal issue number",
    r"simulator is a stub|until `data\.simulate` lands": "a note on the simulator before it landed",
    r"coverage[^.\n]*\[0, inf\)": "coverage's range is [0, 1]",
}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_hold_no_stale_text(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for pattern, why in STALE.items():
        found = re.search(pattern, text, re.IGNORECASE)
        assert found is None, f"{doc.name}: {found.group(0)!r}: {why}"
