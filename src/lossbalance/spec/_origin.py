"""Where an exported spec came from: the run it reproduces, its metrics and settings.

``lossbalance study export`` writes a trial's resolved spec with an ``origin``: the
trial, every final metric it recorded and the settings it computed with
(:func:`lossbalance.training.run_environment`: device, threads, determinism, CPU,
library versions). ``lossbalance run`` of such a spec says before training which of
those settings differ here, and after the main run whether its metrics equal the
recorded ones (:func:`metric_differences`). ``origin`` never changes what a run
computes: :func:`lossbalance.spec.spec_digest` leaves it out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from lossbalance.spec._sections import SpecModel


class SpecOrigin(SpecModel):
    """The run an exported spec reproduces (see the module docstring)."""

    run: str = Field(description="the run this spec was exported from, e.g. a study's trial")
    metrics: dict[str, float | None] = Field(
        default_factory=dict, description="its final metrics (null: NaN)"
    )
    environment: dict[str, str | int | bool | None] = Field(
        default_factory=dict, description="the settings it computed with (run_environment)"
    )
    reference: Literal["tuning", "held_out"] = Field(
        default="held_out",
        description="the split its metrics were scored against (a study trial: tuning); "
        "the rerun scores its own cohort against the same split to compare",
    )


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return a == b


def metric_differences(
    recorded: Mapping[str, float | None], current: Mapping[str, Any]
) -> list[tuple[str, float | None, float | None]]:
    """``(metric, now, recorded)`` for each recorded metric whose value differs (exactly).

    A metric the current run did not produce counts as different (``now`` None).
    """
    out = []
    for name, value in recorded.items():
        now = current.get(name)
        now_f = None if now is None else float(now)
        if not _same(now_f, None if value is None else float(value)):
            out.append((name, now_f, value))
    return out
