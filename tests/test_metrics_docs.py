"""The examples of docs/metrics.md run as written (issue 19 item 5: the ``HandRules``
example named an ``Edit`` it did not import, and ``repr()`` of a ``HandRules`` raised)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def example(marker: str) -> str:
    """The fenced python block right after ``<!-- docs-example:MARKER -->``."""
    found = re.search(
        rf"<!-- docs-example:{re.escape(marker)} -->\s*```python\n(.*?)```", DOC.read_text(), re.S
    )
    assert found, f"docs/metrics.md has no example {marker!r}"
    return found.group(1)


def test_hand_rules_example_runs_and_prints_what_it_says() -> None:
    code = example("hand-rules")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/metrics.md", "exec"), {"__name__": "docs_example"})
    # each print's comment is the line it prints (up to an explanation after ": ")
    expected = [
        line.split("# ", 1)[1].split(": ", 1)[0]
        for line in code.splitlines()
        if line.startswith("print(")
    ]
    assert out.getvalue().splitlines() == expected


def test_rule_set_reprs() -> None:
    from lossbalance.clinical import default_rules
    from lossbalance.metrics.testing import Edit, HandRules

    assert repr(HandRules({"X": Edit()})) == "HandRules(source='hand-written test rules')"
    assert repr(default_rules()).startswith("RuleSet(source=")
