"""``lossbalance.report``: intermediate results of a user's training command.

A study that runs a user's own training command per trial (the ``trial:`` section
of a study spec, :mod:`lossbalance.study._command_trial`) sets the environment
variable ``LOSSBALANCE_REPORT`` to a JSON-lines file in the trial's folder. The
command calls :func:`report` after an epoch with its metrics or with a generated
cohort; lossbalance watches the file, evaluates cohorts, hands the values to the
study's pruner, and stops the command when the trial is pruned. Outside a study
(the variable unset) :func:`report` does nothing, so the same script runs alone.

This module imports neither torch nor the study machinery.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort

#: Environment variable naming the JSON-lines file :func:`report` appends to.
REPORT_ENV = "LOSSBALANCE_REPORT"


def report(
    epoch: int,
    cohort_or_metrics: Cohort | Mapping[str, float],
    *,
    path: str | os.PathLike[str] | None = None,
) -> bool:
    """Report an epoch's result to the lossbalance study running this process.

    Args:
        epoch: the epoch just finished (1 for the first), what the pruner compares.
        cohort_or_metrics: patients generated at this epoch (lossbalance evaluates
            them against the study's reference), or metrics already computed by name
            (they must hold the study's objectives).
        path: the file to append to (default: ``$LOSSBALANCE_REPORT``).

    Returns:
        True when a study listens (the line was written), False otherwise.

    Raises:
        LossbalanceError: a metric value that is not a number.
    """
    target = path if path is not None else os.environ.get(REPORT_ENV)
    if not target:
        return False
    out = Path(target)
    record: dict[str, object] = {"epoch": int(epoch)}
    if isinstance(cohort_or_metrics, Cohort):
        cohort_file = out.with_name(f"report-epoch-{int(epoch):04d}.npz")
        cohort_or_metrics.save(cohort_file)
        record["cohort"] = str(cohort_file)
    else:
        metrics: dict[str, float | None] = {}
        for k, v in cohort_or_metrics.items():
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise LossbalanceError(f"report: metric {k!r} is not a number ({v!r})") from None
            metrics[str(k)] = x if math.isfinite(x) else None
        record["metrics"] = metrics
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    # one write on an O_APPEND descriptor: the watcher never sees half a line
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return True
