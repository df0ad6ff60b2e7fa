"""Writing a cohort's three evaluation splits as ``train.npz``, ``tuning.npz``, ``held_out.npz``.

DESIGN.md "Evaluation protocol": every cohort splits by patient (seeded) into ``train``
(the trainer's data), ``tuning`` (what studies select on) and ``held_out`` (confirmation
and final reports); splits that come with the data are kept.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from lossbalance._atomic import atomic_path, check_output_path
from lossbalance._errors import LossbalanceError
from lossbalance.data._cohort import DEFAULT_FRACTIONS, SPLITS, Cohort


def parse_fractions(text: str, where: str = "--fractions") -> tuple[float, float, float]:
    """``"0.6,0.2,0.2"`` -> ``(0.6, 0.2, 0.2)`` (train, tuning, held_out), or one-line error."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != len(SPLITS):
        raise LossbalanceError(
            f"{where} {text!r}: expected three fractions train,tuning,held_out (e.g. 0.6,0.2,0.2)"
        )
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise LossbalanceError(f"{where} {text!r}: fractions must be numbers") from None
    return values[0], values[1], values[2]


def split_cohort(
    cohort: Cohort,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    *,
    redraw: bool = False,
) -> dict[str, Cohort]:
    """``{"train", "tuning", "held_out"}`` -> sub-cohort (see :meth:`Cohort.split_by`).

    Args:
        cohort: the cohort to split by patient.
        fractions: train, tuning and held-out shares, used when the cohort carries no
            splits of its own (or ``redraw``).
        seed: seed of the drawn split.
        redraw: draw a split by ``fractions`` even when the cohort carries one.
    """
    if redraw:
        cohort = cohort.with_splits(None)
    return cohort.split_by(fractions, seed)


def save_splits(parts: dict[str, Cohort], out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``parts`` as ``out_dir/<split>.npz``, all three or none.

    Every file is written to a temporary sibling first and renamed into place only
    when all three are complete, so an error leaves no new or half-written file (a
    failing rename after the first one, which needs a full disk between two renames in
    one folder, is the only window). ``out_dir`` is created when its parent exists.
    """
    missing = [name for name in SPLITS if name not in parts]
    if missing:
        raise LossbalanceError(f"save_splits: split {missing[0]!r} missing")
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise LossbalanceError(f"{folder}: --out-dir is not a folder")
    check_output_path(folder)
    targets = {name: folder / f"{name}.npz" for name in SPLITS}
    created = not folder.exists()
    folder.mkdir(exist_ok=True)
    try:
        with contextlib.ExitStack() as stack:
            for name in SPLITS:
                tmp = stack.enter_context(atomic_path(targets[name], suffix=".npz"))
                # Cohort.save writes through its own atomic rename onto ``tmp``
                parts[name].save(tmp)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return targets
