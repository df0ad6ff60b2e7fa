"""Run directories: the files of one run, its lineage, and the experiment folder around them.

An experiment folder (``lossbalance run SPEC --out OUT``) holds::

    OUT/experiment.json            the experiment: spec digest, runs in order, their status
    OUT/spec.yaml                  the main spec, resolved (every field explicit)
    OUT/report.md, OUT/report.html the report (rebuilt by ``lossbalance report OUT``)
    OUT/baseline/                  the baseline (trained, or a checkpoint evaluated)
    OUT/main/                      the main run
    OUT/fallbacks/<tier>/<variant>/ each fallback variant that ran

and each run folder::

    spec.yaml       the run's resolved spec (dump_spec: loads back to an equal spec)
    lineage.json    where the run comes from: parent run, plan, variant (:class:`Lineage`)
    log.jsonl       one line per epoch (losses and weights per term, lr, metrics)
    last.pt best.pt the trainer's checkpoints (a resume starts from last.pt)
    generated.npz   the patients generated for the final evaluation
    outcome.json    tier, evaluated checkpoint, epochs, timings (:class:`Outcome`)
    metrics.json    the final metrics (lossbalance.metrics.MetricsResult), written last

A run is **complete** when ``metrics.json`` exists and its lineage's spec digest equals
the digest of the spec it is asked to run; ``--resume`` skips complete runs and
continues the others from their ``last.pt``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError

EXPERIMENT_FILE = "experiment.json"
SPEC_FILE = "spec.yaml"
LINEAGE_FILE = "lineage.json"
OUTCOME_FILE = "outcome.json"
METRICS_FILE = "metrics.json"
LOG_FILE = "log.jsonl"
GENERATED_FILE = "generated.npz"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
RUN_FILES = (
    SPEC_FILE,
    LINEAGE_FILE,
    LOG_FILE,
    "last.pt",
    "best.pt",
    GENERATED_FILE,
    OUTCOME_FILE,
    METRICS_FILE,
)
"""Every file the runner writes in a run folder (what ``--force`` removes)."""

Role = Literal["baseline", "main", "variant"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanRef(_Model):
    """The fallback plan a variant belongs to."""

    index: int = Field(description="position in the spec's fallbacks")
    tier: str = Field(description="the outcome tier that triggered it ('none': no tier)")
    stop: str | None = Field(description="the stop rule's tier (None: run all)")


class VariantRef(_Model):
    """Which variant of the plan a run is."""

    index: int
    name: str
    field_path: str = Field(description="where the spec writes it: fallbacks[i].variants[j]")
    description: str = ""


class BaselineRef(_Model):
    """How the baseline was obtained."""

    kind: Literal["checkpoint", "run_dir", "train"]
    label: str
    source: str | None = Field(default=None, description="the checkpoint or run folder used")


class Lineage(_Model):
    """Where a run comes from (``lineage.json``).

    Attributes:
        run: the run's id, its folder relative to the experiment folder (``main``,
            ``baseline``, ``fallbacks/worst/fixed-0.005-0.005``).
        role: ``baseline``, ``main`` or ``variant``.
        experiment: the experiment's name (the main spec's ``name``).
        experiment_digest: the main spec's digest.
        parent: the run this one was derived from (``main`` for a variant; None for the
            main run; a trained baseline's parent is None too: it is an override of the
            main spec, not a reaction to its outcome).
        plan: the fallback plan (variants only).
        variant: the variant (variants only).
        baseline: how the baseline was obtained (baseline only).
        spec_digest: digest of what this run computes (its resolved spec; for an
            evaluated checkpoint, the main spec plus the checkpoint's bytes).
    """

    run: str
    role: Role
    experiment: str
    experiment_digest: str
    parent: str | None = None
    plan: PlanRef | None = None
    variant: VariantRef | None = None
    baseline: BaselineRef | None = None
    spec_digest: str


class Outcome(_Model):
    """What a finished (or failed) run reached (``outcome.json``)."""

    status: Literal["complete", "failed"]
    tier: str | None = None
    checkpoint: str | None = Field(default=None, description="checkpoint evaluated")
    epochs: int | None = None
    steps: int | None = None
    stop_reason: str | None = None
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    error: str | None = None


RunStatus = Literal["pending", "running", "complete", "failed", "skipped"]


class RunEntry(_Model):
    """One run in ``experiment.json``: its id, role and status (and why it was skipped)."""

    run: str
    role: Role
    label: str
    status: RunStatus
    note: str = ""


class ExperimentRecord(_Model):
    """``experiment.json``: the experiment's identity and its runs, in order."""

    name: str
    spec_digest: str
    source: str
    runs: list[RunEntry] = Field(default_factory=list)
    plan: int | None = Field(default=None, description="the fallback plan that ran")
    finished: bool = False

    def with_run(self, entry: RunEntry) -> ExperimentRecord:
        """This record with ``entry`` added, or replacing the entry of the same run."""
        runs = [r for r in self.runs if r.run != entry.run]
        index = next((i for i, r in enumerate(self.runs) if r.run == entry.run), len(runs))
        runs.insert(index, entry)
        return self.model_copy(update={"runs": runs})


def write_json(path: Path, model: BaseModel) -> None:
    """Write a model as indented JSON, atomically."""
    write_text_atomic(path, model.model_dump_json(indent=2) + "\n")


def read_model(path: Path, cls: type[_Model]) -> Any:
    """Read a JSON file into ``cls``; a missing or damaged file is one line."""
    if not path.is_file():
        raise LossbalanceError(f"{path}: not found")
    try:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LossbalanceError(f"{path}: not a valid {cls.__name__} file ({first})") from None


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def combined_digest(*parts: str) -> str:
    """SHA-256 of several digests (or strings) together."""
    return hashlib.sha256(json.dumps(list(parts)).encode("utf-8")).hexdigest()


class RunDir:
    """One run's folder and the files in it."""

    def __init__(self, root: Path, run: str) -> None:
        self.root = root
        self.run = run
        self.path = root / run

    def file(self, name: str) -> Path:
        """The path of one of the run's files."""
        return self.path / name

    @property
    def lineage(self) -> Lineage | None:
        """The run's lineage, or None when there is none (yet)."""
        path = self.file(LINEAGE_FILE)
        return read_model(path, Lineage) if path.is_file() else None

    @property
    def outcome(self) -> Outcome | None:
        """The run's outcome, or None when it has not finished."""
        path = self.file(OUTCOME_FILE)
        return read_model(path, Outcome) if path.is_file() else None

    def is_complete(self, spec_digest: str) -> bool:
        """True when ``metrics.json`` exists and the run computed the same spec."""
        if not self.file(METRICS_FILE).is_file():
            return False
        try:
            lineage = self.lineage
        except LossbalanceError:
            return False
        return lineage is not None and lineage.spec_digest == spec_digest

    def start(self, lineage: Lineage, fresh: bool) -> None:
        """Create the folder and write the lineage; ``fresh`` removes earlier results first.

        Without ``fresh`` (a resume) only the outcome and metrics of an earlier attempt
        go: checkpoints and the log stay for the trainer to continue from. A resume whose
        lineage has another digest starts fresh too (the checkpoints belong to another spec).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        old = None
        with contextlib.suppress(LossbalanceError):
            old = self.lineage
        if fresh or old is None or old.spec_digest != lineage.spec_digest:
            self.clear()
        else:
            for name in (OUTCOME_FILE, METRICS_FILE):
                self.file(name).unlink(missing_ok=True)
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.file(LINEAGE_FILE), lineage)

    def clear(self) -> None:
        """Remove every file the runner writes here (and the folder when left empty)."""
        for name in RUN_FILES:
            self.file(name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.path.rmdir()


def run_dirs(root: Path) -> list[RunDir]:
    """Every run folder under ``root`` (a folder holding ``lineage.json``)."""
    found = []
    for lineage in sorted(root.rglob(LINEAGE_FILE)):
        run = lineage.parent.relative_to(root).as_posix()
        found.append(RunDir(root, run))
    return found


def clear_experiment(root: Path) -> None:
    """Remove a previous experiment's files from ``root`` (``--force``): its run folders
    (only the runner's files in them), its record, spec and reports; nothing else."""
    for run in run_dirs(root):
        run.clear()
        # remove the empty parents the runner made (fallbacks/<tier>/)
        parent = run.path.parent
        while parent != root and parent.is_relative_to(root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    for name in (EXPERIMENT_FILE, SPEC_FILE, REPORT_MD, REPORT_HTML):
        (root / name).unlink(missing_ok=True)


def prepare_experiment_dir(
    root: Path, name: str, digest: str, source: str, *, force: bool, resume: bool
) -> ExperimentRecord:
    """Check ``root`` for an earlier experiment and return the record to continue.

    - no ``experiment.json``: a new experiment;
    - the same spec (equal digest): kept; with ``resume`` the record continues,
      without it the runs start over (each run folder is cleared when its run starts);
    - another spec: refused, unless ``force``, which removes the earlier experiment's
      files (:func:`clear_experiment`).

    Raises:
        LossbalanceError: ``root`` holds another experiment's spec and ``force`` is off,
            or ``root`` is a file.
    """
    if root.exists() and not root.is_dir():
        raise LossbalanceError(f"{root}: the output path is a file, not a folder")
    path = root / EXPERIMENT_FILE
    previous: ExperimentRecord | None = None
    if path.is_file():
        try:
            previous = read_model(path, ExperimentRecord)
        except LossbalanceError:
            if not force:
                raise LossbalanceError(
                    f"{root}: holds an unreadable {EXPERIMENT_FILE}; use --force to replace "
                    "the experiment in it, or choose another output folder"
                ) from None
    if previous is not None and previous.spec_digest != digest:
        if not force:
            raise LossbalanceError(
                f"{root}: already holds the results of another spec ({previous.name!r}, "
                f"digest {previous.spec_digest[:12]}; this spec {name!r} has {digest[:12]}); "
                "use --force to replace them, or choose another output folder"
            )
        previous = None
    if previous is None and force and root.is_dir():
        clear_experiment(root)
    root.mkdir(parents=True, exist_ok=True)
    if previous is not None and resume:
        return previous.model_copy(update={"finished": False, "source": source})
    return ExperimentRecord(name=name, spec_digest=digest, source=source)
