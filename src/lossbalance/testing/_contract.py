"""The scheduler contract as reusable checks and a pytest mixin.

Every registered family (and any plugin) must pass these; a plugin's own tests can
reuse them::

    import pytest
    from lossbalance.testing import SchedulerContract

    class TestMyScheduler(SchedulerContract):
        @pytest.fixture
        def family(self) -> str:
            return "my_family"

The checks are plain functions too (``check_*``), raising ``AssertionError``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import annotated_types
from pydantic import ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers import WeightScheduler, get_scheduler_class
from lossbalance.testing._driver import SyntheticRun, copy_state


def make(
    family: str, terms: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
) -> WeightScheduler:
    """A scheduler of ``family`` with its example terms and parameters (or the given ones)."""
    cls = get_scheduler_class(family)
    return cls(
        tuple(terms or cls.example_terms),
        dict(cls.example_params if params is None else params),
    )


def _terms(family: str) -> tuple[str, ...]:
    return tuple(get_scheduler_class(family).example_terms)


def check_weights_valid(family: str, steps: int = 24) -> None:
    """Weights cover exactly the owned terms and are finite and non-negative, each step."""
    sched = make(family)
    run = SyntheticRun(sched.terms)
    for i, w in enumerate(run.run(sched, steps)):
        assert set(w) == set(sched.terms), f"step {i}: weights for {sorted(w)}, owns {sched.terms}"
        for t, v in w.items():
            assert isinstance(v, float), f"step {i}: {t} weight is {type(v).__name__}, not float"
            assert math.isfinite(v) and v >= 0, f"step {i}: {t} weight {v}"


def check_state_round_trip(family: str, before: int = 10, after: int = 14) -> None:
    """Saving and loading ``state_dict`` mid-run continues identically (bit-for-bit)."""
    straight = make(family)
    run_a = SyntheticRun(straight.terms)
    run_a.run(straight, before)
    run_b = copy.deepcopy(run_a)
    saved = copy_state(straight.state_dict())
    expected = run_a.run(straight, after)
    resumed = make(family)
    resumed.load_state_dict(saved)
    got = run_b.run(resumed, after)
    assert got == expected, f"{family}: resumed weights differ from the straight run"
    assert copy_state(resumed.state_dict()) == copy_state(straight.state_dict())


def check_separate_state(family: str, steps: int = 16) -> None:
    """Two instances of one class never share state."""
    a, b = make(family), make(family)
    fresh = make(family)
    run_a = SyntheticRun(a.terms)
    before_b = copy_state(b.state_dict())
    run_a.run(a, steps)
    assert copy_state(b.state_dict()) == before_b, f"{family}: training one instance moved another"
    run_b, run_fresh = SyntheticRun(b.terms), SyntheticRun(fresh.terms)
    assert run_b.run(b, steps) == run_fresh.run(fresh, steps)


def out_of_range_values(cls: type[WeightScheduler]) -> Iterator[tuple[str, Any]]:
    """``(field, value)`` pairs just outside each numeric bound of ``cls.Params``."""
    for name, field in cls.Params.model_fields.items():
        for meta in field.metadata:
            if isinstance(meta, annotated_types.Ge):
                yield name, float(meta.ge) - max(1.0, abs(float(meta.ge)))  # type: ignore[arg-type]
            elif isinstance(meta, annotated_types.Gt):
                yield name, float(meta.gt)  # type: ignore[arg-type]
            elif isinstance(meta, annotated_types.Le):
                yield name, float(meta.le) + max(1.0, abs(float(meta.le)))  # type: ignore[arg-type]
            elif isinstance(meta, annotated_types.Lt):
                yield name, float(meta.lt)  # type: ignore[arg-type]


def check_params_reject_out_of_range(family: str) -> int:
    """Every numeric bound of the family's Params is enforced; returns how many were tried.

    Also checks that an unknown parameter and NaN are refused with one-line
    :class:`LossbalanceError` naming the field.
    """
    cls = get_scheduler_class(family)
    base = dict(cls.example_params)
    tried = 0
    for name, value in out_of_range_values(cls):
        bad = {**base, name: value}
        try:
            cls.Params(**bad)
        except ValidationError:
            pass
        else:
            raise AssertionError(f"{family}: params.{name}={value} accepted, out of range")
        try:
            cls(cls.example_terms, bad)
        except LossbalanceError as exc:
            assert f"params.{name}" in str(exc), f"{family}: message does not name {name}: {exc}"
            assert "\n" not in str(exc)
        else:
            raise AssertionError(f"{family}: constructing with {name}={value} did not fail")
        tried += 1
    try:
        cls(cls.example_terms, {**base, "no_such_param": 1})
    except LossbalanceError as exc:
        assert "params.no_such_param" in str(exc)
    else:
        raise AssertionError(f"{family}: an unknown parameter was accepted")
    return tried


class SchedulerContract:
    """pytest mixin: the test module (or subclass) provides a ``family`` fixture.

    Example:
        >>> import pytest
        >>> class TestMine(SchedulerContract):
        ...     @pytest.fixture
        ...     def family(self) -> str:
        ...         return "my_family"
    """

    def test_weights_valid(self, family: str) -> None:
        check_weights_valid(family)

    def test_state_round_trip(self, family: str) -> None:
        check_state_round_trip(family)

    def test_separate_state(self, family: str) -> None:
        check_separate_state(family)

    def test_params_reject_out_of_range(self, family: str) -> None:
        check_params_reject_out_of_range(family)
