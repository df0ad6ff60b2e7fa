"""A cheap synthetic trial function with a real validity/coherence trade-off.

It stands in for train + generate + evaluate so that studies, workers, the pruner
and the plots run end to end in seconds (``lossbalance study run --toy``). Its
metrics follow closed forms (below) plus small seeded noise, converging over the
epochs like a training run does.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossbalance.study._space import Choice, FloatRange, SearchSpace
from lossbalance.study._trial_function import ReportFn

#: The toy's search space: schedule family and auxiliary weights, plus sampling.
TOY_SPACE = SearchSpace(
    params={
        "family": Choice(choices=["fixed", "linear"]),
        "w_age": FloatRange(low=1e-4, high=1.0, log=True),
        "w_sex": FloatRange(low=1e-4, high=1.0, log=True),
        "decay_to": FloatRange(low=0.05, high=1.0, when={"family": ["linear"]}),
        "temperature": FloatRange(low=0.6, high=1.4),
        "top_p": FloatRange(low=0.7, high=1.0),
    }
)

_SQRT_LN2 = math.sqrt(math.log(2.0))


def toy_final_metrics(params: Mapping[str, Any]) -> dict[str, float]:
    """The noiseless metrics the toy converges to.

    With ``s = w_age + w_sex``, ``d = decay_to`` (1 for ``fixed``), ``t = temperature``
    and ``p = top_p``: validity ``= 0.995 - 0.15 exp(-8 s (1+d)/2) - 0.1 (t-0.6) p``
    and coherence ``= 0.55 - 0.3 (1 - exp(-3 s d)) + 0.3 (t-0.6) p``: auxiliary
    weight buys validity and costs coherence (less when it decays), temperature the
    other way round.
    """
    s = float(params["w_age"]) + float(params["w_sex"])
    d = float(params.get("decay_to", 1.0)) if params.get("family") == "linear" else 1.0
    heat = (float(params["temperature"]) - 0.6) * float(params["top_p"])
    validity = 0.995 - 0.15 * math.exp(-8.0 * s * (1.0 + d) / 2.0) - 0.1 * heat
    coherence = 0.55 - 0.3 * (1.0 - math.exp(-3.0 * s * d)) + 0.3 * heat
    return {"validity": validity, "coherence": coherence}


@dataclass(frozen=True)
class ToyTrialFunction:
    """Synthetic trial: ``epochs`` evaluations converging to :func:`toy_final_metrics`.

    Args:
        epochs: number of evaluation epochs reported.
        epoch_seconds: cost of one epoch.
        busy: spend ``epoch_seconds`` of CPU (numpy work) instead of sleeping, so
            CPU-time benchmarks see the cost.
        noise: standard deviation of the seeded noise added to each metric.
        seed: noise seed (the noise also depends on the parameters and the epoch).
        nan_below: when set, a trial with ``w_age`` below it fails as a NaN loss would.
    """

    epochs: int = 6
    epoch_seconds: float = 0.0
    busy: bool = False
    noise: float = 0.005
    seed: int = 0
    nan_below: float | None = None

    def _spend(self) -> None:
        if self.epoch_seconds <= 0:
            return
        if not self.busy:
            time.sleep(self.epoch_seconds)
            return
        # element-wise numpy work runs on this thread only (no BLAS threads), and
        # thread_time counts this thread's CPU: one epoch costs the same anywhere
        a = np.full(20_000, 0.5)
        start = time.thread_time()
        while time.thread_time() - start < self.epoch_seconds:
            a = np.tanh(a * 1.0001 + 0.01)

    def __call__(self, params: Mapping[str, Any], report: ReportFn) -> dict[str, float]:
        """Run the synthetic epochs, reporting each one, and return the final metrics."""
        final = toy_final_metrics(params)
        key = repr(
            sorted(
                (k, round(float(v), 12) if isinstance(v, float) else v) for k, v in params.items()
            )
        )
        rng = np.random.default_rng([self.seed, zlib.crc32(key.encode())])
        tau = max(self.epochs, 1) / 3.0
        metrics: dict[str, float] = {}
        for epoch in range(1, self.epochs + 1):
            self._spend()
            if self.nan_below is not None and float(params["w_age"]) < self.nan_below:
                raise FloatingPointError(f"loss is NaN at epoch {epoch}")
            ramp = math.exp(-epoch / tau)
            validity = final["validity"] - (final["validity"] - 0.6) * ramp
            coherence = final["coherence"] - (final["coherence"] - 0.15) * ramp
            validity = float(np.clip(validity + rng.normal(0.0, self.noise), 0.0, 1.0))
            coherence = float(np.clip(coherence + rng.normal(0.0, self.noise), 0.0, 1.0))
            metrics = {
                "validity": validity,
                "age_valid": min(1.0, validity + 0.01),
                "sex_valid": min(1.0, validity + 0.005),
                "duplicate_rate": 0.0,
                "coherence": coherence,
                "js": _SQRT_LN2 * (1.0 - coherence) * 0.8,
                "top100": coherence,
                "coverage": min(1.0, 0.3 + coherence),
                "floor_validity": 1.0,
                "floor_coherence": 0.9,
                "floor_js": 0.05,
            }
            report(epoch, metrics)
        return metrics
