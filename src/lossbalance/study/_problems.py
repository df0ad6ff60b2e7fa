"""Problems: a search space and the trial function that evaluates its points.

A study stores its problem's name and options, so that a worker joining it later
(``lossbalance study worker``) rebuilds the same problem. The real problem is
``experiment`` (train, generate, evaluate: :mod:`lossbalance.study._experiment_trial`,
the default of ``lossbalance study run``); ``toy`` is a synthetic stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lossbalance._errors import LossbalanceError
from lossbalance.study._space import SearchSpace
from lossbalance.study._trial_function import TrialFunction


@dataclass(frozen=True)
class Problem:
    """What a study searches (``space``) and how one point is evaluated (``function``)."""

    space: SearchSpace
    function: TrialFunction


ProblemFactory = Callable[[Mapping[str, Any]], Problem]

_PROBLEMS: dict[str, ProblemFactory] = {}


def register_problem(name: str, factory: ProblemFactory) -> None:
    """Make ``factory(options) -> Problem`` available to studies under ``name``."""
    _PROBLEMS[name] = factory


def available_problems() -> list[str]:
    """Names of the registered problems."""
    return sorted(_PROBLEMS)


def build_problem(name: str, options: Mapping[str, Any] | None = None) -> Problem:
    """Build the problem registered as ``name`` with ``options``."""
    factory = _PROBLEMS.get(name)
    if factory is None:
        raise LossbalanceError(
            f"problem: unknown {name!r} (known: {', '.join(available_problems())})"
        )
    return factory(dict(options or {}))


def _toy(options: Mapping[str, Any]) -> Problem:
    from lossbalance.study._toy import TOY_SPACE, ToyTrialFunction

    try:
        function = ToyTrialFunction(**options)
    except TypeError as exc:
        raise LossbalanceError(f"problem toy: bad options {dict(options)!r} ({exc})") from None
    return Problem(space=TOY_SPACE, function=function)


register_problem("toy", _toy)


def _experiment(options: Mapping[str, Any]) -> Problem:
    from lossbalance.study._experiment_trial import experiment_problem

    problem: Problem = experiment_problem(options)
    return problem


register_problem("experiment", _experiment)


def _command(options: Mapping[str, Any]) -> Problem:
    from lossbalance.study._command_trial import command_problem

    problem: Problem = command_problem(options)
    return problem


register_problem("command", _command)
