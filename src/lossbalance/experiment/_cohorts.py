"""The real data of a run: the spec's cohort, split into R (training pool) and H (held out).

Every run of an experiment (baseline, main run, fallback variants) that has the same
``data`` section and the same ``evaluation.heldout_fraction`` / ``evaluation.seed`` sees
exactly the same split, so their metrics are comparable:

- **H**, ``evaluation.heldout_fraction`` of the patients (seeded by ``evaluation.seed``),
  never reaches the trainer: it is the real-vs-real floor of every coherence metric;
- **R**, the rest, is what the trainer gets (it splits off its own validation share,
  ``training.val_fraction``) and what generated patients are compared with. R is the
  whole pool, not the trainer's training part, so that runs with different
  ``training.seed`` or ``val_fraction`` are still scored against the same R.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort

if TYPE_CHECKING:
    from lossbalance.spec import ExperimentSpec


@dataclass(frozen=True)
class RunData:
    """The real cohorts of a run.

    Attributes:
        real: R, the training pool (what the trainer gets and G is compared with).
        heldout: H, the held-out patients (the floor).
    """

    real: Cohort
    heldout: Cohort


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
    return json.dumps(
        [section, ev.heldout_fraction, ev.seed], sort_keys=True, separators=(",", ":")
    )


class CohortCache:
    """Loads and splits each distinct data section once per experiment."""

    def __init__(self) -> None:
        self._cache: dict[str, RunData] = {}

    def get(self, spec: ExperimentSpec) -> RunData:
        """R and H of ``spec`` (loaded, split by ``evaluation``, cached)."""
        key = data_key(spec)
        found = self._cache.get(key)
        if found is None:
            cohort = load_cohort(spec)
            ev = spec.evaluation
            try:
                real, heldout = cohort.split(ev.heldout_fraction, ev.seed)
            except LossbalanceError as exc:
                raise LossbalanceError(
                    f"{spec.source}: evaluation.heldout_fraction: {exc}"
                ) from None
            found = RunData(real=real, heldout=heldout)
            self._cache[key] = found
        return found
