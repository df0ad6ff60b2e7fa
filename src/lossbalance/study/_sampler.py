"""Sampler choice: ``auto`` by budget and space, or a named Optuna sampler, seeded.

``auto`` follows the rule of Optuna's own AutoSampler (optunahub package
``samplers/auto_sampler``, which we do not depend on), made static: the choice
is fixed when the study starts, from the budget and the search space.

=========================================================  ==========
situation                                                  sampler
=========================================================  ==========
space has conditional parameters                            ``tpe``
budget >= 250 trials, 2 or 3 objectives                     ``nsga2``
budget < 250, categorical parameters or >= 4 objectives     ``tpe``
budget < 250, numeric space, 1 to 3 objectives              ``gp``
budget >= 250, one objective                                ``tpe``
=========================================================  ==========

GP-based Bayesian optimisation (Optuna's GPSampler; log-EHVI for several
objectives, Daulton et al. 2020) is the most sample-efficient on small numeric
spaces; TPE (Bergstra et al. 2011; MOTPE, Ozaki et al. 2020) handles categorical
and conditional spaces; NSGA-II (Deb et al. 2002) scales to many trials. The
AutoSampler switches from GP/TPE to NSGA-II after 250 *completed* trials; a static
choice keeps every worker of a study on the same sampler.

Constraints reach every sampler through :meth:`optuna.trial.Trial.set_constraint`
(Optuna 5.0 deprecated the samplers' ``constraints_func`` in its favour).
"""

from __future__ import annotations

from typing import Literal

import optuna

from lossbalance._errors import LossbalanceError
from lossbalance.study._space import SearchSpace

SamplerName = Literal["auto", "tpe", "nsga2", "gp", "random"]
SAMPLERS: tuple[str, ...] = ("auto", "tpe", "nsga2", "gp", "random")

#: Budget from which ``auto`` prefers NSGA-II (Optuna's AutoSampler threshold).
LARGE_BUDGET = 250


def choose_sampler(n_trials: int, n_objectives: int, space: SearchSpace) -> tuple[str, str]:
    """The concrete sampler ``auto`` picks, and why (one short sentence)."""
    if space.has_conditional:
        return "tpe", "conditional search space"
    if n_trials >= LARGE_BUDGET:
        if 2 <= n_objectives <= 3:
            return "nsga2", f"budget {n_trials} >= {LARGE_BUDGET} with {n_objectives} objectives"
        return "tpe", f"budget {n_trials} >= {LARGE_BUDGET}"
    if space.has_categorical:
        return "tpe", "categorical parameters"
    if n_objectives >= 4:
        return "tpe", f"{n_objectives} objectives"
    return "gp", f"small budget ({n_trials} < {LARGE_BUDGET}) on a numeric space"


def make_sampler(
    name: str, *, seed: int | None, n_trials: int, n_objectives: int, space: SearchSpace
) -> optuna.samplers.BaseSampler:
    """Build the named sampler (``auto`` resolved by :func:`choose_sampler`), seeded."""
    if name not in SAMPLERS:
        raise LossbalanceError(f"--sampler: unknown {name!r} (known: {', '.join(SAMPLERS)})")
    if name == "auto":
        name = choose_sampler(n_trials, n_objectives, space)[0]
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    if name == "nsga2":
        population = max(4, min(50, n_trials // 5))
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)
