"""Reading one YAML file (a schedule, a run config): every failure is one line naming it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from lossbalance._errors import LossbalanceError


def read_yaml_file(path: str | os.PathLike[str], what: str) -> Any:
    """The YAML document in ``path`` (``yaml.safe_load``), never None.

    Args:
        path: the file.
        what: what the file is, for the not-found message (``"schedule"`` gives
            ``"<path>: schedule file not found"``).

    Raises:
        LossbalanceError: the file is missing, is not valid YAML (with the line and the
            parser's problem), or holds no document.
    """
    p = Path(path)
    if not p.is_file():
        raise LossbalanceError(f"{p}: {what} file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise LossbalanceError(f"{p}: not valid YAML{where}: {problem}") from None
    if data is None:
        raise LossbalanceError(f"{p}: the file is empty")
    return data
