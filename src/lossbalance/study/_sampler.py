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

TPE runs multivariate (a joint density over the parameters, as in BOHB, Falkner et al.
2018), with ``group=True`` on conditional spaces, so that each family's parameters get
a joint model of their own instead of falling back to independent sampling (Optuna's
guidance for conditional spaces), and with ``n_startup_trials`` scaled to the budget:
a fifth of the trials, 5 to 10 (Optuna's default, 10 random trials, spends almost
half of the built-in study's 24 before the model is used).

Constraints reach every sampler through :meth:`optuna.trial.Trial.set_constraint`
(Optuna 5.0 deprecated the samplers' ``constraints_func`` in its favour).
"""

from __future__ import annotations

import warnings
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


def tpe_startup_trials(n_trials: int) -> int:
    """Random trials before TPE's model is used: ``n_trials // 5``, clamped to 5..10."""
    return min(10, max(5, n_trials // 5))


def make_sampler(
    name: str, *, seed: int | None, n_trials: int, n_objectives: int, space: SearchSpace
) -> optuna.samplers.BaseSampler:
    """Build the named sampler (``auto`` resolved by :func:`choose_sampler`), seeded."""
    if name not in SAMPLERS:
        raise LossbalanceError(f"--sampler: unknown {name!r} (known: {', '.join(SAMPLERS)})")
    if name == "auto":
        name = choose_sampler(n_trials, n_objectives, space)[0]
    if name == "tpe":
        with warnings.catch_warnings():  # group and constant_liar are "experimental"
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(
                seed=seed,
                multivariate=True,
                group=space.has_conditional,
                constant_liar=True,
                n_startup_trials=tpe_startup_trials(n_trials),
            )
    if name == "nsga2":
        population = max(4, min(50, n_trials // 5))
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)
