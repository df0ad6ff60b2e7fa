"""What ``lossbalance run`` says about a spec exported with an ``origin`` (a study trial).

Before the main run: which recorded settings differ here (threads, determinism, device,
CPU, library versions; :func:`lossbalance.training.environment_differences`), since
then the metrics cannot be expected to match exactly. After it: whether its metrics
equal the recorded ones, and the first few that do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lossbalance.spec import ExperimentSpec

#: Differing metrics named in the after-run message (the rest are counted).
SHOWN = 4


def settings_message(spec: ExperimentSpec) -> str | None:
    """One line on the settings of ``spec.origin`` that differ here (None: no origin)."""
    from lossbalance.training import environment_differences, run_environment

    origin = spec.origin
    if origin is None:
        return None
    if not origin.environment:
        return f"rerun of {origin.run}: its settings were not recorded"
    diffs = environment_differences(origin.environment, run_environment(spec.training))
    if not diffs:
        return f"rerun of {origin.run}: the same settings (threads, device, CPU, versions)"
    return f"rerun of {origin.run}: settings differ, so the metrics may too: " + "; ".join(diffs)


def metrics_message(spec: ExperimentSpec, metrics: Mapping[str, Any]) -> str | None:
    """One line: do ``metrics`` equal ``spec.origin``'s exactly (None: no origin)."""
    from lossbalance.spec import metric_differences

    origin = spec.origin
    if origin is None or not origin.metrics:
        return None
    diffs = metric_differences(origin.metrics, metrics)
    if not diffs:
        return f"reproduced {origin.run} exactly: all {len(origin.metrics)} metrics equal"
    shown = ", ".join(
        f"{name} {_fmt(now)} (recorded {_fmt(rec)})" for name, now, rec in diffs[:SHOWN]
    )
    more = f" and {len(diffs) - SHOWN} more" if len(diffs) > SHOWN else ""
    return (
        f"differs from {origin.run}: {len(diffs)} of {len(origin.metrics)} metrics: {shown}{more}"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
