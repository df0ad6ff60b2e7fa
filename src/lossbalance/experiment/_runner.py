"""``run_experiment``: baseline, main run, outcome tier, fallback plan, report.

The order of work:

1. the spec is loaded and every referenced file checked
   (:func:`lossbalance.spec.check_spec_files`: a missing baseline checkpoint stops here);
   the output folder is checked for another spec's results (refused unless ``force``);
2. the **baseline**: a checkpoint (or a previous run folder's) is evaluated, or
   ``baseline.train`` is trained, on the same R, H and generation settings as the runs;
3. the **main run** trains, generates, evaluates; its outcome tier is the first tier of
   the spec whose conditions hold (:func:`lossbalance.spec.classify_tier`);
4. when that tier has a **fallback plan**, its variants run in order, each a complete
   spec (:func:`lossbalance.spec.resolve_variants`) in its own folder; with
   ``stop: {first_reaching: T}`` the plan stops after the first variant whose tier is
   ``T`` or better (listed before ``T``); ``stop: all`` runs them all. A variant that
   fails (a NaN loss, an empty generation) is recorded as failed and the plan goes on;
5. the **report** (:func:`lossbalance.experiment.build_report`) is written.

With ``resume``, complete runs (``metrics.json`` present, same spec digest) are not
rerun, and an interrupted run continues from its ``last.pt``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from lossbalance._errors import LossbalanceError
from lossbalance.experiment._cohorts import CohortCache
from lossbalance.experiment._execute import (
    Trained,
    evaluate_checkpoint,
    fail,
    finish,
    read_metrics,
    train,
)
from lossbalance.experiment._rundir import (
    EXPERIMENT_FILE,
    GENERATED_FILE,
    SPEC_FILE,
    BaselineRef,
    ExperimentRecord,
    Lineage,
    Outcome,
    PlanRef,
    RunDir,
    RunEntry,
    RunStatus,
    VariantRef,
    combined_digest,
    file_digest,
    prepare_experiment_dir,
    write_json,
)

if TYPE_CHECKING:
    from lossbalance.experiment._report import ExperimentReport
    from lossbalance.metrics import MetricsResult
    from lossbalance.spec import ExperimentSpec

MAIN = "main"
BASELINE = "baseline"
FALLBACKS = "fallbacks"


@dataclass
class RunResult:
    """One run of an experiment, as the runner left it."""

    run: str
    label: str
    lineage: Lineage
    outcome: Outcome
    metrics: MetricsResult | None
    reused: bool = False
    """True when ``resume`` found the run complete and did not rerun it."""


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` did.

    Attributes:
        out_dir: the experiment folder.
        spec: the main spec.
        runs: every run that ran (or was reused), in order.
        report: the report built from the files on disk.
    """

    out_dir: Path
    spec: ExperimentSpec
    runs: list[RunResult] = field(default_factory=list)
    report: ExperimentReport | None = None

    def run(self, name: str) -> RunResult:
        """The run with id ``name`` (``main``, ``baseline``, ``fallbacks/worst/x``)."""
        for r in self.runs:
            if r.run == name:
                return r
        raise KeyError(name)


def variant_run_id(tier: str, variant: str) -> str:
    """The folder of a fallback variant, relative to the experiment folder."""
    return f"{FALLBACKS}/{tier}/{variant}"


def baseline_checkpoint(spec: ExperimentSpec) -> Path | None:
    """The checkpoint file a ``checkpoint`` or ``run_dir`` baseline names (None: trained).

    A run folder gives its ``best.pt`` (else ``last.pt``); an experiment folder, its main
    run's.

    Raises:
        LossbalanceError: the file is missing, or the folder holds no checkpoint.
    """
    from lossbalance.training import BEST, LAST

    b = spec.baseline
    if b is None or b.train is not None:
        return None
    if b.checkpoint is not None:
        if not b.checkpoint.is_file():
            raise LossbalanceError(
                f"{spec.source}: baseline.checkpoint: checkpoint file {b.checkpoint} does not exist"
            )
        return b.checkpoint
    assert b.run_dir is not None
    for folder in (b.run_dir, b.run_dir / MAIN):
        for name in (BEST, LAST):
            if (folder / name).is_file():
                return folder / name
    raise LossbalanceError(
        f"{spec.source}: baseline.run_dir: {b.run_dir} holds no checkpoint "
        f"({BEST} or {LAST}, in it or in its {MAIN}/ folder)"
    )


class _Runner:
    """The state of one :func:`run_experiment` call."""

    def __init__(
        self,
        spec: ExperimentSpec,
        out: Path,
        *,
        resume: bool,
        progress: bool,
        console: Console | None,
        record: ExperimentRecord,
        digest: str,
        on_run_end: Callable[[RunResult], None] | None,
    ) -> None:
        self.spec = spec
        self.out = out
        self.resume = resume
        self.progress = progress
        self.console = console
        self.record = record
        self.digest = digest
        self.cache = CohortCache()
        self.on_run_end = on_run_end

    # ------------------------------------------------------------ bookkeeping
    def say(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text, highlight=False, soft_wrap=True)

    def set_status(
        self, run: str, role: str, label: str, status: RunStatus, note: str = ""
    ) -> None:
        entry = RunEntry(run=run, role=role, label=label, status=status, note=note)  # type: ignore[arg-type]
        self.record = self.record.with_run(entry)
        write_json(self.out / EXPERIMENT_FILE, self.record)

    def lineage(self, run: str, role: str, digest: str, **extra: object) -> Lineage:
        return Lineage.model_validate(
            {
                "run": run,
                "role": role,
                "experiment": self.spec.name,
                "experiment_digest": self.digest,
                "spec_digest": digest,
                **extra,
            }
        )

    # ------------------------------------------------------------ one run
    def execute(
        self,
        run_id: str,
        label: str,
        lineage: Lineage,
        spec: ExperimentSpec,
        *,
        checkpoint: Path | None = None,
        critical: bool,
    ) -> RunResult:
        """Train (or take ``checkpoint``), evaluate, classify; reuse a complete run on resume.

        A failure of a ``critical`` run (baseline, main) stops the experiment; a variant's
        failure is recorded and the plan goes on.
        """
        from lossbalance.spec import classify_tier, dump_spec
        from lossbalance.training import LAST, write_environment

        run = RunDir(self.out, run_id)
        role = lineage.role
        if self.resume and run.is_complete(lineage.spec_digest):
            # the tier comes from the metrics and this spec's tiers, not from the old file
            metrics = read_metrics(run)
            outcome = (run.outcome or Outcome(status="complete")).model_copy(
                update={"status": "complete", "tier": classify_tier(spec, metrics.flat())}
            )
            result = RunResult(run_id, label, lineage, outcome, metrics, reused=True)
            self.set_status(run_id, role, label, "complete", "reused (resume)")
            self.say(f"[bold]{run_id}[/]: complete, reused (tier {outcome.tier or 'none'})")
            return self._ended(result)
        run.start(lineage, fresh=not self.resume)
        resuming = self.resume and run.file(LAST).is_file()
        if checkpoint is None:
            dump_spec(spec, run.file(SPEC_FILE))
        write_environment(run.path, spec.training)
        self.set_status(run_id, role, label, "running")
        trained: Trained | None = None
        try:
            data = self.cache.get(spec)
            if checkpoint is None:
                self.say(
                    f"[bold]{run_id}[/]: training {spec.training.epochs} epochs on "
                    f"{data.train.n_patients:,} patients"
                    + (" (resuming from last.pt)" if resuming else "")
                    + f"; splits: {data.describe()}; scored against held_out"
                )
                trained = train(spec, run, data, resume=self.resume, progress=self.progress)
                checkpoint = trained.checkpoint
            else:
                self.say(f"[bold]{run_id}[/]: evaluating checkpoint {checkpoint}")
            start = time.perf_counter()
            metrics = evaluate_checkpoint(checkpoint, spec, data, run)
            outcome = finish(
                run,
                spec,
                metrics,
                checkpoint=checkpoint,
                trained=trained,
                eval_seconds=time.perf_counter() - start,
            )
        except LossbalanceError as exc:
            failed = fail(run, str(exc), trained)
            self.set_status(run_id, role, label, "failed", str(exc))
            if critical:
                raise LossbalanceError(f"{run_id}: {exc}") from None
            self.say(f"[bold red]{run_id} failed:[/] {exc}")
            return self._ended(RunResult(run_id, label, lineage, failed, None))
        self.set_status(run_id, role, label, "complete")
        flat = metrics.flat()
        self.say(
            f"[bold]{run_id}[/]: tier [bold]{outcome.tier or 'none'}[/] "
            f"(validity {flat['validity']:.4f}, coherence {flat['coherence']:.4f}, "
            f"js {flat['js']:.4f}, top100 {flat['top100']:.4f}, "
            f"cooccurrence {flat['cooccurrence']:.2f})"
        )
        return self._ended(RunResult(run_id, label, lineage, outcome, metrics))

    def _ended(self, result: RunResult) -> RunResult:
        if self.on_run_end is not None:
            self.on_run_end(result)
        return result

    # ------------------------------------------------------------ the parts
    def baseline(self, checkpoint: Path | None) -> RunResult | None:
        from lossbalance.spec import resolve_baseline, spec_digest

        b = self.spec.baseline
        if b is None:
            return None
        if b.train is not None:
            trained_spec = resolve_baseline(self.spec)
            assert trained_spec is not None
            lineage = self.lineage(
                BASELINE,
                "baseline",
                spec_digest(trained_spec),
                baseline=BaselineRef(kind="train", label=b.label),
            )
            return self.execute(BASELINE, b.label, lineage, trained_spec, critical=True)
        assert checkpoint is not None
        ref = BaselineRef(
            kind="checkpoint" if b.checkpoint is not None else "run_dir",
            label=b.label,
            source=str(checkpoint),
        )
        lineage = self.lineage(
            BASELINE,
            "baseline",
            combined_digest(self.digest, file_digest(checkpoint)),
            baseline=ref,
        )
        main_like = self.spec.model_copy(update={"fallbacks": [], "baseline": None})
        return self.execute(
            BASELINE, b.label, lineage, main_like, checkpoint=checkpoint, critical=True
        )

    def main(self) -> RunResult:
        from lossbalance.experiment._rerun import metrics_message, settings_message

        lineage = self.lineage(MAIN, "main", self.digest)
        before = settings_message(self.spec)
        if before is not None:
            self.say(before)
        result = self.execute(MAIN, MAIN, lineage, self.spec, critical=True)
        after = (
            None
            if result.metrics is None
            else metrics_message(self.spec, self._origin_metrics(result.metrics.flat()))
        )
        if after is not None:
            self.say(after)
        return result

    def _origin_metrics(self, flat: dict[str, float]) -> dict[str, float]:
        """The main run's metrics on the split its origin was scored against: ``flat``
        (held_out) itself, or its generated cohort scored again against ``tuning`` (a
        study trial's split) so that an exported trial compares like with like."""
        origin = self.spec.origin
        if origin is None or not origin.metrics or origin.reference == "held_out":
            return flat
        from lossbalance.clinical import load_rules
        from lossbalance.data import Cohort
        from lossbalance.experiment._execute import score

        ev = self.spec.evaluation
        data = self.cache.get(self.spec)
        generated = Cohort.load(RunDir(self.out, MAIN).file(GENERATED_FILE))
        rules = load_rules(ev.rules) if ev.rules is not None else None
        again = score(
            generated,
            data.reference(origin.reference),
            data.train,
            top_k=ev.top_k,
            seed=ev.seed,
            rules=rules,
        )
        return again.flat()

    def fallbacks(self, main: RunResult) -> list[RunResult]:
        from lossbalance.spec import plan_for, resolve_variants, spec_digest, tier_rank

        tier = main.outcome.tier
        index = plan_for(self.spec, tier)
        if index is None:
            self.say(f"tier {tier or 'none'} has no fallback plan: done")
            return []
        plan = self.spec.fallbacks[index]
        stop = plan.stop_tier()
        variants = resolve_variants(self.spec, index)
        self.record = self.record.model_copy(update={"plan": index})
        self.say(
            f"tier {tier or 'none'} triggers fallbacks[{index}]: {len(variants)} variants, "
            + ("run all" if stop is None else f"stop at the first reaching {stop} or better")
        )
        for v in variants:
            self.set_status(variant_run_id(plan.tier, v.name), "variant", v.name, "pending")
        results: list[RunResult] = []
        for k, v in enumerate(variants):
            run_id = variant_run_id(plan.tier, v.name)
            lineage = self.lineage(
                run_id,
                "variant",
                spec_digest(v.spec),
                parent=MAIN,
                plan=PlanRef(index=index, tier=plan.tier, stop=stop),
                variant=VariantRef(
                    index=v.variant_index,
                    name=v.name,
                    field_path=v.field_path,
                    description=plan.variants[v.variant_index].description,
                ),
            )
            result = self.execute(run_id, v.name, lineage, v.spec, critical=False)
            results.append(result)
            reached = result.outcome.tier
            if (
                stop is not None
                and result.outcome.status == "complete"
                and tier_rank(self.spec.tiers, reached) <= tier_rank(self.spec.tiers, stop)
            ):
                note = f"not run: the plan stopped after {v.name} reached {reached}"
                for rest in variants[k + 1 :]:
                    self.set_status(
                        variant_run_id(plan.tier, rest.name), "variant", rest.name, "skipped", note
                    )
                self.say(f"{v.name} reached {reached}: the plan stops here")
                break
        return results


def run_experiment(
    spec: ExperimentSpec | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    *,
    console: Console | None = None,
    on_run_end: Callable[[RunResult], None] | None = None,
) -> ExperimentResult:
    """Run an experiment spec end to end: baseline, main run, fallback plan, report.

    Args:
        spec: a spec file (YAML, ``extends:`` resolved) or a loaded spec.
        out_dir: the experiment folder (layout in :mod:`lossbalance.experiment._rundir`).
        resume: skip complete runs, continue interrupted ones from ``last.pt``.
        force: replace the results of another spec found in ``out_dir``.
        progress: show the trainer's progress bars and the runner's messages.
        console: where messages go (default: a new console when ``progress``).
        on_run_end: called after each run (ran or reused), e.g. to stop after one.

    Returns:
        The runs and the report.

    Raises:
        LossbalanceError: a bad spec, a missing referenced file (a baseline checkpoint),
            an output folder holding another spec without ``force``, or a failure of the
            baseline or the main run; one line naming the file, field or run.
    """
    from lossbalance.experiment._report import build_report
    from lossbalance.spec import ExperimentSpec, check_spec_files, dump_spec, load_spec, spec_digest

    loaded = spec if isinstance(spec, ExperimentSpec) else load_spec(spec)
    check_spec_files(loaded)
    checkpoint = baseline_checkpoint(loaded)
    out = Path(out_dir)
    digest = spec_digest(loaded)
    record = prepare_experiment_dir(
        out, loaded.name, digest, loaded.source, force=force, resume=resume
    )
    if console is None and progress:
        console = Console(highlight=False)
    runner = _Runner(
        loaded,
        out,
        resume=resume,
        progress=progress,
        console=console,
        record=record,
        digest=digest,
        on_run_end=on_run_end,
    )
    dump_spec(loaded, out / SPEC_FILE)
    write_json(out / EXPERIMENT_FILE, runner.record)
    result = ExperimentResult(out_dir=out, spec=loaded)
    baseline = runner.baseline(checkpoint)
    if baseline is not None:
        result.runs.append(baseline)
    main = runner.main()
    result.runs.append(main)
    result.runs.extend(runner.fallbacks(main))
    runner.record = runner.record.model_copy(update={"finished": True})
    write_json(out / EXPERIMENT_FILE, runner.record)
    result.report = build_report(out)
    return result
