"""The real data of a run: the spec's cohort as three splits, ``train`` / ``tuning`` / ``held_out``.

DESIGN.md "Evaluation protocol". Every run of an experiment (baseline, main run,
fallback variants) and every trial of a study that has the same ``data`` section and
the same split settings of ``evaluation`` sees exactly the same splits, so their
metrics are comparable:

- **train** is all the trainer gets (it takes its own early-stopping share,
  ``training.val_fraction``, out of it); the floor sample and the memorization
  metrics read it;
- **tuning** is the reference of study trials (objectives, constraints, pruning);
- **held_out** is the reference of ``lossbalance run`` and its reports (and of
  ``study confirm``).

The simulator source draws ``tuning`` and ``held_out`` as independent cohorts of
``evaluation.reference_patients`` patients from its world
(:func:`lossbalance.data.simulate_splits`; ``train`` is the simulated cohort itself).
Other sources keep the splits their cohort carries (a split column of the generic
table, MEDS ``subject_splits``, a cohort file written with splits) and otherwise
split by patient in ``evaluation.fractions()``, seeded by ``evaluation.split_seed``.
Nothing in training reads ``tuning`` or ``held_out``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort

if TYPE_CHECKING:
    from lossbalance.spec import ExperimentSpec


SplitOrigin = Literal["simulated", "carried", "drawn"]
"""How a run's splits were made: fresh simulator draws, the cohort's own, or drawn."""


@dataclass(frozen=True)
class RunData:
    """The real cohorts of a run.

    Attributes:
        train: what the trainer gets; the floor sample and memorization read it.
        tuning: the reference of study trials.
        held_out: the reference of ``lossbalance run`` and of confirmation.
        origin: how the splits were made (:data:`SplitOrigin`).
    """

    train: Cohort
    tuning: Cohort
    held_out: Cohort
    origin: SplitOrigin = "drawn"

    def reference(self, split: Literal["tuning", "held_out"]) -> Cohort:
        """The reference split ``split`` (``tuning`` or ``held_out``; never ``train``)."""
        if split == "tuning":
            return self.tuning
        if split == "held_out":
            return self.held_out
        raise LossbalanceError(f"reference split must be tuning or held_out, got {split!r}")

    def describe(self) -> str:
        """One line: the size of each split and where they come from."""
        sizes = ", ".join(
            f"{name} {getattr(self, name).n_patients:,}" for name in ("train", "tuning", "held_out")
        )
        how = {
            "simulated": "tuning and held_out drawn fresh from the simulator",
            "carried": "splits carried by the data",
            "drawn": "split by patient",
        }[self.origin]
        return f"{sizes} patients; {how}"


def load_cohort(spec: ExperimentSpec) -> Cohort:
    """The cohort the spec's ``data`` section names (simulator, MIMIC, table, file).

    Raises:
        LossbalanceError: the loader's one-line error, prefixed with ``data``.
    """
    from lossbalance.data import load_mimic3, load_mimic4, load_table, simulate
    from lossbalance.spec import (
        CohortData,
        MedsData,
        Mimic3Data,
        Mimic4Data,
        SimulatorData,
        TableData,
    )

    data = spec.data
    where = f"{spec.source}: data"
    try:
        if isinstance(data, SimulatorData):
            try:
                return simulate(data.patients, data.seed, data.system)
            except NotImplementedError:
                raise LossbalanceError(
                    f"{where}: the built-in simulator is not available in this build; "
                    "use data.source: cohort (a file written by Cohort.save)"
                ) from None
        if isinstance(data, Mimic3Data):
            return load_mimic3(data.path, data.options)
        if isinstance(data, Mimic4Data):
            return load_mimic4(data.path, data.options)
        if isinstance(data, TableData):
            from lossbalance.data import TableColumns

            try:
                columns = TableColumns.model_validate(data.columns) if data.columns else None
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(x) for x in err["loc"])
                raise LossbalanceError(f"columns.{field}: {err['msg']}") from None
            return load_table(data.codes_path, data.patients_path, columns, data.options)
        if isinstance(data, MedsData):
            from lossbalance.data import load_meds

            return load_meds(data.path, data.options, data.meds)
        if isinstance(data, CohortData):
            return Cohort.load(data.path)
    except LossbalanceError as exc:
        raise LossbalanceError(f"{where}: {exc}") from None
    raise LossbalanceError(f"{where}: unknown source {getattr(data, 'source', '?')!r}")


def data_key(spec: ExperimentSpec) -> str:
    """What decides a run's :class:`RunData` (equal keys, equal cohorts)."""
    section = spec.data.model_dump(mode="json")
    ev = spec.evaluation
    split = [ev.tuning_fraction, ev.held_out_fraction, ev.split_seed, ev.reference_patients]
    return json.dumps([section, split], sort_keys=True, separators=(",", ":"))


def split_data(spec: ExperimentSpec) -> RunData:
    """Load the spec's cohort and make its three splits (see the module docstring).

    Raises:
        LossbalanceError: the loader's error (prefixed ``data``) or a split that cannot
            be made (prefixed ``evaluation``), each one line naming the spec.
    """
    from lossbalance.data import simulate_splits
    from lossbalance.spec import SimulatorData

    ev = spec.evaluation
    data = spec.data
    if isinstance(data, SimulatorData):
        try:
            parts = simulate_splits(data.patients, ev.reference_patients, data.seed, data.system)
        except NotImplementedError:
            raise LossbalanceError(
                f"{spec.source}: data: the built-in simulator is not available in this build; "
                "use data.source: cohort (a file written by Cohort.save)"
            ) from None
        except LossbalanceError as exc:
            raise LossbalanceError(f"{spec.source}: data: {exc}") from None
        origin: SplitOrigin = "simulated"
    else:
        cohort = load_cohort(spec)
        origin = "carried" if cohort.splits is not None else "drawn"
        try:
            parts = cohort.split_by(ev.fractions(), ev.split_seed)
        except LossbalanceError as exc:
            raise LossbalanceError(f"{spec.source}: evaluation: {exc}") from None
    return RunData(
        train=parts["train"], tuning=parts["tuning"], held_out=parts["held_out"], origin=origin
    )


class CohortCache:
    """Loads and splits each distinct data section once per experiment."""

    def __init__(self) -> None:
        self._cache: dict[str, RunData] = {}

    def get(self, spec: ExperimentSpec) -> RunData:
        """The three splits of ``spec`` (loaded, split by ``evaluation``, cached)."""
        key = data_key(spec)
        found = self._cache.get(key)
        if found is None:
            found = split_data(spec)
            self._cache[key] = found
        return found
