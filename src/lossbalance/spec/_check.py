"""Checks that need the file system: referenced schedule files, data and baseline exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lossbalance._errors import LossbalanceError
from lossbalance.spec._errors import format_loc
from lossbalance.spec._experiment import ExperimentSpec
from lossbalance.spec._sections import CohortData, Mimic3Data, Mimic4Data, ScheduleFile, TableData


@dataclass(frozen=True)
class FileCheck:
    """One referenced file or folder that was found.

    Attributes:
        field: where the spec names it (``losses.age.schedule.file``).
        path: the path.
        kind: ``schedule``, ``data``, ``checkpoint`` or ``run directory``.
    """

    field: str
    path: Path
    kind: str


def _exists(path: Path, want_dir: bool) -> bool:
    try:
        return path.is_dir() if want_dir else path.is_file()
    except (OSError, ValueError):  # e.g. a NUL byte in the name
        return False


def _require(source: str, field: str, path: Path, kind: str, want_dir: bool) -> FileCheck:
    if not _exists(path, want_dir):
        what = "folder" if want_dir else "file"
        raise LossbalanceError(f"{source}: {field}: {kind} {what} {path} does not exist")
    return FileCheck(field, path, kind)


def _spec_files(spec: ExperimentSpec, prefix: str) -> list[FileCheck]:
    from lossbalance.spec._io import load_schedule_file

    src = spec.source
    found: list[FileCheck] = []
    data = spec.data
    if isinstance(data, Mimic3Data | Mimic4Data):
        found.append(_require(src, f"{prefix}data.path", data.path, "data", want_dir=True))
    elif isinstance(data, TableData):
        found.append(_require(src, f"{prefix}data.codes_path", data.codes_path, "data", False))
        found.append(
            _require(src, f"{prefix}data.patients_path", data.patients_path, "data", False)
        )
    elif isinstance(data, CohortData):
        found.append(_require(src, f"{prefix}data.path", data.path, "data", want_dir=False))
    for term, loss in spec.losses.items():
        if isinstance(loss.schedule, ScheduleFile):
            field = f"{prefix}losses.{term}.schedule.file"
            found.append(_require(src, field, loss.schedule.file, "schedule", want_dir=False))
            try:
                load_schedule_file(loss.schedule.file)
            except LossbalanceError as exc:
                raise LossbalanceError(f"{src}: {field}: {exc}") from None
    return found


def check_spec_files(spec: ExperimentSpec) -> list[FileCheck]:
    """Check that every file the spec (and each fallback variant) refers to exists.

    Schedule files must also load as schedules; the baseline checkpoint must be a
    file and a baseline run directory a folder.

    Returns:
        What was found, in spec order (deduplicated by field).

    Raises:
        LossbalanceError: the first missing or unreadable file, naming the spec
            file and the field path.
    """
    from lossbalance.spec._override import resolve_baseline, resolve_variants

    found = _spec_files(spec, "")
    src = spec.source
    if spec.baseline is not None:
        if spec.baseline.checkpoint is not None:
            found.append(
                _require(src, "baseline.checkpoint", spec.baseline.checkpoint, "checkpoint", False)
            )
        if spec.baseline.run_dir is not None:
            found.append(
                _require(src, "baseline.run_dir", spec.baseline.run_dir, "run directory", True)
            )
        trained = resolve_baseline(spec)
        if trained is not None:
            found.extend(_spec_files(trained, "baseline.train."))
    for i in range(len(spec.fallbacks)):
        for variant in resolve_variants(spec, i):
            where = format_loc(("fallbacks", i, "variants", variant.variant_index))
            found.extend(_spec_files(variant.spec, where + "."))
    unique: dict[tuple[str, Path], FileCheck] = {}
    for item in found:
        unique.setdefault((item.kind, item.path), item)
    return list(unique.values())
