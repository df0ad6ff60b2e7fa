"""The experiment runner: a spec's baseline, main run, outcome tier, fallbacks, report.

- :func:`run_experiment` (``lossbalance run SPEC.yaml --out OUT``) trains, generates,
  evaluates, classifies the tier and runs the tier's fallback plan, each run in its own
  folder with its resolved spec, log, checkpoints, metrics and lineage;
- :func:`build_report` (``lossbalance report OUT``) rebuilds the Markdown and HTML
  report from the files on disk alone;
- :func:`recommend` picks the run to keep (tier, then the composite objectives).

Layout of the folders: :mod:`lossbalance.experiment._rundir`; docs/experiments.md.
"""

from lossbalance.experiment._cohorts import (
    CohortCache,
    RunData,
    SplitOrigin,
    load_cohort,
    split_data,
)
from lossbalance.experiment._curves import loss_curves_png, weight_curves_png
from lossbalance.experiment._execute import Trained, build_schedulers, evaluate_checkpoint, score
from lossbalance.experiment._execute import finish as finish_run
from lossbalance.experiment._execute import train as train_run
from lossbalance.experiment._recommend import Candidate, Recommendation, rank, recommend
from lossbalance.experiment._report import ExperimentReport, RunView, build_report
from lossbalance.experiment._rundir import (
    BaselineRef,
    ExperimentRecord,
    Lineage,
    Outcome,
    PlanRef,
    RunDir,
    RunEntry,
    VariantRef,
)
from lossbalance.experiment._runner import (
    BASELINE,
    MAIN,
    ExperimentResult,
    RunResult,
    baseline_checkpoint,
    run_experiment,
    variant_run_id,
)

__all__ = [
    "BASELINE",
    "MAIN",
    "BaselineRef",
    "Candidate",
    "CohortCache",
    "ExperimentRecord",
    "ExperimentReport",
    "ExperimentResult",
    "Lineage",
    "Outcome",
    "PlanRef",
    "Recommendation",
    "RunData",
    "RunDir",
    "RunEntry",
    "RunResult",
    "RunView",
    "SplitOrigin",
    "Trained",
    "VariantRef",
    "baseline_checkpoint",
    "build_report",
    "build_schedulers",
    "evaluate_checkpoint",
    "finish_run",
    "load_cohort",
    "loss_curves_png",
    "rank",
    "recommend",
    "run_experiment",
    "score",
    "split_data",
    "train_run",
    "variant_run_id",
    "weight_curves_png",
]
