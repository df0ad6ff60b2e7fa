"""Trials that run the user's own training command (the ``trial:`` section of a study).

A study spec with ::

    trial:
      command: "{python} {spec_dir}/train.py --schedule {schedule} --out {out}"
      generated: "{out}/synthetic.npz"
      timeout: 3600

runs, for every trial (the ``command`` problem):

1. the sampled point of the schedule search space becomes a schedule file,
   ``<runs_dir>/trial-NNNN/schedule.yaml``, keyed by loss term (what
   :meth:`lossbalance.Balancer.from_yaml` reads), and ``params.json`` (every sampled
   value, the sampling settings among them);
2. the command, with its placeholders filled (paths shell-quoted), runs through
   ``/bin/sh -c`` in the trial's folder, in a process group of its own
   (``start_new_session``), its stdout and stderr streamed to ``stdout.log`` and
   ``stderr.log`` there; it inherits the worker's environment (so
   ``CUDA_VISIBLE_DEVICES`` set per worker picks its GPU) plus ``trial.env`` and
   ``LOSSBALANCE_REPORT``, ``LOSSBALANCE_TRIAL``, ``LOSSBALANCE_OUT``;
3. while it runs, lines the command appends with :func:`lossbalance.report` are read
   as they arrive (metrics as given, or a generated cohort evaluated here) and handed
   to the study, whose multi-objective pruner may stop the trial: the process group
   then gets SIGTERM, SIGKILL after ``grace`` seconds, and is reaped;
4. when it exits 0, the generated cohort (``generated``) is read and evaluated against
   the base experiment's real data (:func:`evaluate_generated`), and the metrics go to
   the study.

A non-zero exit, a run past ``timeout`` or a missing output fails the trial with its
reason; the last 20 lines of its stderr are stored on the trial (user attribute
``stderr_tail``) and the study goes on. Whatever happens, no process of the group
outlives the trial.

Placeholders: ``{python}`` (this interpreter), ``{schedule}``, ``{params}``, ``{out}``
(the trial's folder), ``{trial}`` (its number), ``{train}`` (the base experiment's
training cohort R as an ``.npz``, written once per study folder) and ``{spec_dir}``
(the study spec's folder).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance._report import REPORT_ENV

if TYPE_CHECKING:
    from lossbalance.data import Cohort
    from lossbalance.experiment import RunData
    from lossbalance.spec import ExperimentSpec
    from lossbalance.study._schedule_space import ResolvedPoint, ScheduleSearchSpace
    from lossbalance.study._trial_function import ReportFn

PLACEHOLDERS = ("python", "schedule", "params", "out", "trial", "train", "spec_dir")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

SCHEDULE_FILE = "schedule.yaml"
PARAMS_FILE = "params.json"
REPORT_FILE = "report.jsonl"
STDOUT_FILE = "stdout.log"
STDERR_FILE = "stderr.log"
METRICS_FILE = "metrics.json"
TRAIN_FILE = "train.npz"

#: Trial user attributes written by the command trial function.
STDERR_ATTR = "stderr_tail"
RUN_DIR_ATTR = "run_dir"
SCHEDULE_ATTR = "schedule"
COMMAND_ATTR = "command"
TAIL_LINES = 20


class TrialCommand(BaseModel):
    """The ``trial:`` section of a study spec: the user's training command."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(min_length=1, description="shell command with placeholders")
    generated: str = Field(
        "{out}/synthetic.npz", min_length=1, description="the generated cohort it writes"
    )
    timeout: float = Field(3600.0, gt=0, description="seconds before the trial fails")
    grace: float = Field(10.0, ge=0, description="seconds between SIGTERM and SIGKILL")
    poll: float = Field(0.2, gt=0, le=60, description="seconds between checks")
    env: dict[str, str] = Field(default_factory=dict, description="extra environment")

    @field_validator("command", "generated")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        for name in _PLACEHOLDER.findall(value):
            if name not in PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {{{name}}} (known: "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                    + ")"
                )
        return value


def fill(template: str, values: Mapping[str, str], *, quote: bool) -> str:
    """``template`` with its ``{name}`` placeholders replaced (shell-quoted if ``quote``)."""

    def sub(m: re.Match[str]) -> str:
        v = values[m.group(1)]
        return shlex.quote(v) if quote else v

    return _PLACEHOLDER.sub(sub, template)


def schedule_document(point: ResolvedPoint) -> dict[str, Any]:
    """The sampled schedules keyed by term (a joint ``age+sex`` key keeps its terms)."""
    out: dict[str, Any] = {}
    for key, spec in point.schedules.items():
        doc = spec.model_dump(mode="json", exclude_none=True)
        terms = key.split("+")
        if len(terms) == 1:
            doc.pop("terms", None)
        out[terms[0]] = doc
    return out


def read_generated(path: Path) -> Cohort:
    """The generated cohort at ``path``: a MEDS folder (``data/**/*.parquet``, read by
    :func:`lossbalance.data.load_meds`: diagnoses and procedures of any vocabulary) or a
    ``.npz`` written by ``Cohort.save``."""
    from lossbalance.data import Cohort

    if path.is_dir():
        from lossbalance.data import load_meds

        return load_meds(path)
    return Cohort.load(path)


def evaluate_generated(generated: Cohort, data: RunData, spec: ExperimentSpec) -> dict[str, float]:
    """Every metric of ``generated`` against the base experiment's ``tuning`` split
    (``train`` for the floor and memorization): what studies select on.

    The one call into :mod:`lossbalance.metrics` of command trials (the experiment
    trial's :func:`~lossbalance.experiment.evaluate_checkpoint` scores the same way).
    """
    from lossbalance.clinical import load_rules
    from lossbalance.experiment import score

    ev = spec.evaluation
    rules = load_rules(ev.rules) if ev.rules is not None else None
    result = score(generated, data.tuning, data.train, top_k=ev.top_k, seed=ev.seed, rules=rules)
    return {k: float(v) for k, v in result.flat().items()}


# ---------------------------------------------------------------- process groups
def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel about the group as a whole
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    out = []
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(d.name))
    return out


def stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group of ``proc``, SIGKILL what is left after ``grace``
    seconds, and reap ``proc``. Nothing happens to a group that is already gone."""
    pgid = proc.pid
    if proc.poll() is None or group_members(pgid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()
            if not group_members(pgid):
                break
            time.sleep(0.05)
        if group_members(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            end = time.monotonic() + 5.0
            while group_members(pgid) and time.monotonic() < end:
                proc.poll()
                time.sleep(0.02)
    proc.wait()


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a text file ('' when it is missing)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64_000))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ReportWatcher:
    """Reads whole new lines of a ``lossbalance.report`` file as they are appended."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.line = 0

    def records(self) -> Iterator[dict[str, Any]]:
        """The records appended since the last call (a half-written line waits)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        self.offset += end + 1
        for raw in chunk[: end + 1].splitlines():
            self.line += 1
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
                ok = isinstance(rec, dict) and isinstance(rec.get("epoch"), int)
            except json.JSONDecodeError:
                ok = False
            if not ok or ("metrics" not in rec and "cohort" not in rec):
                raise LossbalanceError(
                    f"{self.path}: line {self.line}: not a lossbalance.report record"
                )
            yield rec


@dataclass(frozen=True)
class CommandTrialFunction:
    """Run the user's training command for one sampled point (module docstring).

    Picklable (plain data): spawned study workers rebuild it from the stored options.

    Args:
        trial: the ``trial:`` section (:class:`TrialCommand` as a document).
        base: the base experiment spec as a document: its data is the reference the
            generated cohort is scored against, its ``evaluation`` the settings.
        space: the schedule search space as a document.
        runs_dir: folder of the trials' folders (created).
        spec_dir: the study spec's folder (``{spec_dir}``).
    """

    trial: dict[str, Any]
    base: dict[str, Any]
    space: dict[str, Any]
    runs_dir: str
    spec_dir: str = "."
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def command(self) -> TrialCommand:
        """The validated ``trial:`` section."""
        return TrialCommand.model_validate(self.trial)

    def base_spec(self) -> ExperimentSpec:
        """The validated base experiment spec."""
        from lossbalance.spec import parse_spec

        if "base" not in self._cache:
            self._cache["base"] = parse_spec(self.base, source="study base spec")
        spec: ExperimentSpec = self._cache["base"]
        return spec

    def search_space(self) -> ScheduleSearchSpace:
        """The validated schedule search space."""
        from lossbalance.study._schedule_space import ScheduleSearchSpace

        if "space" not in self._cache:
            self._cache["space"] = ScheduleSearchSpace.from_mapping(self.space, "study space")
        space: ScheduleSearchSpace = self._cache["space"]
        return space

    def _train_file(self, data: RunData) -> Path:
        path = Path(self.runs_dir) / TRAIN_FILE
        if not path.is_file():
            data.train.save(path)
        return path

    def __call__(self, params: Mapping[str, Any], report: ReportFn) -> dict[str, float]:
        """Run one trial (module docstring); return every final metric."""
        import optuna

        from lossbalance.study._experiment_trial import trial_data
        from lossbalance.study._trial_function import TrialFailed

        cmd = self.command()
        try:
            point = self.search_space().resolve(params)
        except (ValueError, LossbalanceError) as exc:
            raise TrialFailed(f"resolving the schedule: {exc}") from None
        number = getattr(report, "number", None)
        name = f"trial-{number:04d}" if isinstance(number, int) else f"trial-{os.getpid()}"
        out = Path(self.runs_dir) / name
        out.mkdir(parents=True, exist_ok=True)
        for stale in (REPORT_FILE, STDOUT_FILE, STDERR_FILE, METRICS_FILE):
            (out / stale).unlink(missing_ok=True)
        for old in out.glob("report-epoch-*.npz"):
            old.unlink()
        schedule = schedule_document(point)
        write_text_atomic(out / SCHEDULE_FILE, yaml.safe_dump(schedule, sort_keys=False))
        write_text_atomic(
            out / PARAMS_FILE,
            json.dumps(
                {"trial": number, "params": dict(params), "sampling": point.sampling},
                indent=2,
                sort_keys=True,
                default=str,
            ),
        )
        spec = self.base_spec()
        data = trial_data(spec)
        values = {
            "python": sys.executable,
            "schedule": str(out / SCHEDULE_FILE),
            "params": str(out / PARAMS_FILE),
            "out": str(out),
            "trial": str(number if number is not None else 0),
            "train": str(self._train_file(data)) if "{train}" in cmd.command else "",
            "spec_dir": str(Path(self.spec_dir).resolve()),
        }
        line = fill(cmd.command, values, quote=True)
        generated = Path(fill(cmd.generated, values, quote=False))
        if not generated.is_absolute():
            generated = out / generated
        record = getattr(report, "record", None)
        if record is not None:
            record(RUN_DIR_ATTR, str(out))
            record(SCHEDULE_ATTR, schedule)
            record(COMMAND_ATTR, line)

        def fail(reason: str) -> TrialFailed:
            stderr = tail(out / STDERR_FILE)
            if record is not None:
                record(STDERR_ATTR, stderr)
            last = stderr.splitlines()[-1] if stderr.strip() else "(stderr empty)"
            return TrialFailed(f"{reason}; last stderr line: {last}")

        env = {
            **os.environ,
            **cmd.env,
            REPORT_ENV: str(out / REPORT_FILE),
            "LOSSBALANCE_TRIAL": values["trial"],
            "LOSSBALANCE_OUT": str(out),
        }
        watcher = ReportWatcher(out / REPORT_FILE)
        with open(out / STDOUT_FILE, "wb") as so, open(out / STDERR_FILE, "wb") as se:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", line],
                cwd=out,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=so,
                stderr=se,
                start_new_session=True,
            )
            start = time.monotonic()
            try:
                while True:
                    rc = proc.poll()
                    for rec in watcher.records():
                        report(int(rec["epoch"]), self._metrics(rec, data, spec))
                    if rc is not None:
                        break
                    if time.monotonic() - start > cmd.timeout:
                        stop_group(proc, cmd.grace)
                        raise fail(f"timeout: still running after {cmd.timeout:g} s, stopped")
                    time.sleep(cmd.poll)
            except optuna.TrialPruned:
                stop_group(proc, cmd.grace)
                raise
            except LossbalanceError as exc:
                stop_group(proc, cmd.grace)
                raise fail(f"report: {exc}") from None
            finally:
                stop_group(proc, cmd.grace)  # stray children of a finished command too
        if rc != 0:
            raise fail(f"command exited with status {rc}")
        if not (generated.is_file() or generated.is_dir()):
            raise fail(f"no output: the command exited 0 but wrote no {generated}")
        try:
            metrics = evaluate_generated(read_generated(generated), data, spec)
        except LossbalanceError as exc:
            raise fail(f"evaluation: {exc}") from None
        write_text_atomic(
            out / METRICS_FILE,
            json.dumps(
                {k: (v if math.isfinite(v) else None) for k, v in metrics.items()},
                indent=2,
                sort_keys=True,
            ),
        )
        return metrics

    def _metrics(
        self, rec: Mapping[str, Any], data: RunData, spec: ExperimentSpec
    ) -> dict[str, float]:
        if "cohort" in rec:
            return evaluate_generated(read_generated(Path(rec["cohort"])), data, spec)
        return {str(k): (math.nan if v is None else float(v)) for k, v in rec["metrics"].items()}


def command_problem(options: Mapping[str, Any]) -> Any:
    """The ``command`` problem: options ``trial``, ``base``, ``space``, ``runs_dir`` and
    ``spec_dir`` (see :class:`CommandTrialFunction`). Loads the reference data now, so
    a data error stops the study before its first trial."""
    from lossbalance.study._experiment_trial import trial_data
    from lossbalance.study._problems import Problem
    from lossbalance.study._schedule_space import default_schedule_space

    unknown = sorted(set(options) - {"trial", "base", "space", "runs_dir", "spec_dir"})
    if unknown:
        raise LossbalanceError(f"problem command: unknown option {unknown[0]!r}")
    missing = [k for k in ("trial", "base", "runs_dir") if k not in options]
    if missing:
        raise LossbalanceError(f"problem command: needs the option {missing[0]}")
    space = options.get("space") or default_schedule_space().model_dump(mode="json")
    function = CommandTrialFunction(
        trial=dict(options["trial"]),
        base=dict(options["base"]),
        space=dict(space),
        runs_dir=str(options["runs_dir"]),
        spec_dir=str(options.get("spec_dir", ".")),
    )
    function.command()
    Path(function.runs_dir).mkdir(parents=True, exist_ok=True)
    trial_data(function.base_spec())
    return Problem(space=function.search_space().to_search_space(), function=function)
