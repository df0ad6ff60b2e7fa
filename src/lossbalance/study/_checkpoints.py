"""Which trials keep their best checkpoint, through Optuna's artifact store.

``study confirm`` re-evaluates trials on ``held_out`` from their best checkpoint, on
any machine: a checkpoint therefore goes to Optuna's artifact store
(:func:`optuna.artifacts.upload_artifact`; a :class:`~optuna.artifacts.FileSystemArtifactStore`
folder, by default ``<study folder>/<study>/artifacts`` next to the journal), not only
to the trial's local run folder. A study spec's ``checkpoints`` section says which:

* ``keep: pareto`` (default): a trial uploads its checkpoint when it completes on the
  current Pareto front of feasible completed trials, or while it is among the ``last``
  (default 3) completed trials; each upload then removes from the store the checkpoints
  of completed trials that are neither on the front nor among the last ``last``
  (a trial that left the front never returns to it);
* ``keep: all``: every completed trial keeps its checkpoint;
* ``keep: none``: nothing is uploaded (``study confirm`` then refuses the study).

Uploads happen while the trial is still RUNNING (Optuna refuses attributes on finished
trials): the trial records the artifact id as its user attribute
``checkpoint_artifact``. Only Optuna's public API is used; Optuna keeps no record of a
study's artifact store, so its folder is stored in the study's config.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import optuna
from optuna.trial import TrialState
from pydantic import BaseModel, ConfigDict, Field

from lossbalance.study._pruner import dominated_count, to_minimization

#: Trial user attribute: the local path of the trial's best checkpoint (trial function).
CHECKPOINT_ATTR = "checkpoint"
#: Trial user attribute: the checkpoint's artifact id in the study's artifact store.
ARTIFACT_ATTR = "checkpoint_artifact"
#: Trial user attribute: why a checkpoint could not be uploaded.
ARTIFACT_ERROR_ATTR = "checkpoint_error"

Keep = Literal["pareto", "all", "none"]


class CheckpointPolicy(BaseModel):
    """Which trials keep their best checkpoint in the artifact store (module docstring).

    Attributes:
        keep: ``pareto`` (the current Pareto set plus the last ``last``), ``all`` or
            ``none``.
        last: how many of the latest completed trials keep theirs too (``pareto``).
        store: the :class:`~optuna.artifacts.FileSystemArtifactStore` folder (absolute
            in a stored study config; relative paths are relative to the study spec).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    keep: Keep = "pareto"
    last: int = Field(default=3, ge=0)
    store: str | None = None

    def artifact_store(self) -> optuna.artifacts.FileSystemArtifactStore:
        """The artifact store (its folder is created)."""
        if self.store is None:
            raise ValueError("checkpoints.store: no artifact store folder set")
        os.makedirs(self.store, exist_ok=True)
        return optuna.artifacts.FileSystemArtifactStore(self.store)


def _on_front(
    study: optuna.Study, values: Sequence[float], signs: Sequence[float], feasible: bool
) -> bool:
    if not feasible:
        return False
    front = [t.values for t in study.best_trials]
    mine = to_minimization(np.asarray(values, dtype=np.float64), signs)
    ref = to_minimization(np.asarray(front, dtype=np.float64).reshape(-1, len(signs)), signs)
    return dominated_count(mine, ref) == 0


def _collect_garbage(
    study: optuna.Study, store: optuna.artifacts.FileSystemArtifactStore, last: int
) -> list[int]:
    """Remove kept checkpoints of completed trials neither on the front nor among the
    last ``last - 1`` completed ones (the trial uploading now is the latest)."""
    complete = sorted(
        study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number
    )
    front = {t.number for t in study.best_trials}
    recent = {t.number for t in complete[len(complete) - (last - 1) :]} if last > 1 else set()
    removed = []
    for t in complete:
        artifact = t.user_attrs.get(ARTIFACT_ATTR)
        if artifact is None or t.number in front or t.number in recent:
            continue
        with contextlib.suppress(OSError, optuna.artifacts.exceptions.ArtifactNotFound):
            store.remove(str(artifact))
            removed.append(t.number)
    return removed


def keep_checkpoint(
    trial: optuna.Trial,
    values: Sequence[float],
    *,
    feasible: bool,
    policy: CheckpointPolicy,
    signs: Sequence[float],
) -> str | None:
    """Upload the running ``trial``'s checkpoint when ``policy`` keeps it; its artifact id.

    Called by the study objective after the final evaluation, before the trial is told
    COMPLETE; with ``keep: pareto`` it then removes the checkpoints the policy no longer
    keeps. The checkpoint path is the trial's ``checkpoint`` user attribute (trial
    functions without one keep nothing). A failed upload does not fail the trial: the
    reason goes to ``checkpoint_error``.
    """
    path = trial.user_attrs.get(CHECKPOINT_ATTR)
    if policy.keep == "none" or not isinstance(path, str) or not Path(path).is_file():
        return None
    study = trial.study
    artifact = None
    on_front = policy.keep != "pareto" or policy.last > 0
    if on_front or _on_front(study, values, signs, feasible):
        try:
            artifact = optuna.artifacts.upload_artifact(
                artifact_store=policy.artifact_store(), file_path=path, study_or_trial=trial
            )
        except (OSError, ValueError) as exc:
            trial.set_user_attr(ARTIFACT_ERROR_ATTR, f"{type(exc).__name__}: {exc}"[:300])
        else:
            trial.set_user_attr(ARTIFACT_ATTR, artifact)
    if policy.keep == "pareto":
        with contextlib.suppress(OSError, ValueError):
            _collect_garbage(study, policy.artifact_store(), policy.last)
    return artifact
