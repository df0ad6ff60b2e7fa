"""The experiment report, built from the files of an experiment folder alone.

:func:`build_report` reads ``experiment.json``, ``spec.yaml`` and every run folder
(lineage, outcome, metrics, log) and gives an :class:`ExperimentReport`: rich tables
for the terminal, one Markdown file and one self-contained HTML file (the curves are
PNGs embedded as base64 ``data:`` URIs, so either file travels alone). It compares the
baseline, the main run and every fallback variant on every metric, with the real-data
floor beside them; marks each tier condition pass or fail per run; gives the tier each
run reached, the per-term loss and weight curves, and the recommendation
(:mod:`lossbalance.experiment._recommend`). ``lossbalance report OUT`` rebuilds it.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.experiment._curves import loss_curves_png, weight_curves_png
from lossbalance.experiment._execute import read_metrics
from lossbalance.experiment._recommend import Candidate, Recommendation, recommend
from lossbalance.experiment._rundir import (
    EXPERIMENT_FILE,
    LOG_FILE,
    METRICS_FILE,
    REPORT_HTML,
    REPORT_MD,
    SPEC_FILE,
    ExperimentRecord,
    Lineage,
    Outcome,
    RunDir,
    RunEntry,
    read_model,
)

if TYPE_CHECKING:
    from lossbalance.metrics import MetricsResult
    from lossbalance.spec import Condition, ExperimentSpec


@dataclass
class RunView:
    """One run as the report shows it."""

    entry: RunEntry
    lineage: Lineage | None
    outcome: Outcome | None
    metrics: MetricsResult | None
    log: list[dict[str, Any]]
    tier: str | None

    @property
    def run(self) -> str:
        return self.entry.run

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def flat(self) -> dict[str, float]:
        return self.metrics.flat() if self.metrics is not None else {}


@dataclass
class ExperimentReport:
    """Everything the report shows; render with :meth:`markdown`, :meth:`html`,
    :meth:`tables`, write with :meth:`write`."""

    out_dir: Path
    record: ExperimentRecord
    spec: ExperimentSpec
    runs: list[RunView]
    recommendation: Recommendation
    loss_png: bytes | None = None
    weight_png: bytes | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    # ------------------------------------------------------------ data
    @property
    def completed(self) -> list[RunView]:
        """Runs with metrics, in experiment order."""
        return [r for r in self.runs if r.metrics is not None]

    def conditions(self) -> list[tuple[str, Condition]]:
        """Every tier condition, as ``(tier name, condition)``, in spec order."""
        return [(t.name, c) for t in self.spec.tiers for c in t.conditions]

    def floors(self) -> list[tuple[str, dict[str, float]]]:
        """The floor (S vs held_out) values: one column when every run shares them, else one
        per run (``(label, values)``)."""
        from lossbalance.metrics import METRIC_NAMES

        columns: list[tuple[str, dict[str, float]]] = []
        for r in self.completed:
            values = {n: r.flat.get(f"floor_{n}", math.nan) for n in METRIC_NAMES}
            columns.append((r.label, values))
        distinct = {tuple(_key(v) for v in vals.values()) for _, vals in columns}
        if len(distinct) <= 1:
            return [("floor (S vs held_out)", columns[0][1])] if columns else []
        return [(f"floor: {label}", vals) for label, vals in columns]

    def metric_rows(self) -> list[tuple[str, str, list[float], list[float], str]]:
        """``(metric, direction arrow, run values, floor values, tier conditions)``."""
        from lossbalance.metrics import METRIC_DIRECTIONS, METRIC_NAMES

        floors = self.floors()
        rows = []
        for name in METRIC_NAMES:
            conds = "; ".join(
                f"{tier}: {c.op} {_num(c.value)}"
                for tier, c in self.conditions()
                if c.metric == name
            )
            arrow = "↑" if METRIC_DIRECTIONS[name] == "maximize" else "↓"
            rows.append(
                (
                    name,
                    arrow,
                    [r.flat.get(name, math.nan) for r in self.completed],
                    [vals[name] for _, vals in floors],
                    conds,
                )
            )
        return rows

    def condition_rows(self) -> list[tuple[str, str, list[bool | None]]]:
        """``(tier, condition text, pass per completed run)``; metrics not computed: None."""
        rows = []
        for tier, cond in self.conditions():
            marks: list[bool | None] = []
            for r in self.completed:
                value = r.flat.get(cond.metric)
                marks.append(None if value is None else cond.holds(float(value)))
            rows.append((tier, str(cond), marks))
        return rows

    # ------------------------------------------------------------ rich
    def tables(self) -> list[Table]:
        """Rich tables: the runs (lineage, tier), the metrics, the tier conditions."""
        runs = Table(title=f"experiment {self.spec.name}: runs", title_justify="left")
        for col in ("run", "role", "parent / plan", "status", "tier", "epochs", "seconds"):
            runs.add_column(col, justify="right" if col in ("epochs", "seconds") else "left")
        best = self.recommendation.best
        for r in self.runs:
            mark = " [bold green]★[/]" if best is not None and best.run == r.run else ""
            runs.add_row(
                r.run + mark,
                r.entry.role,
                _origin(r),
                _status(r),
                (r.tier or "none") if r.metrics is not None else "",
                _opt(r.outcome.epochs if r.outcome else None),
                _seconds(r.outcome),
            )
        labels = [r.label for r in self.completed]
        metrics = Table(
            title="metrics (G vs held_out; floor: train sample S vs held_out)", title_justify="left"
        )
        metrics.add_column("metric")
        metrics.add_column("", justify="center")
        for label in labels:
            metrics.add_column(label, justify="right")
        for title, _ in self.floors():
            metrics.add_column(title, justify="right", style="dim")
        metrics.add_column("tier conditions")
        for name, arrow, values, floors, conds in self.metric_rows():
            metrics.add_row(name, arrow, *map(_fmt, values), *map(_fmt, floors), conds)
        metrics.add_row(
            "[bold]tier[/]",
            "",
            *[f"[bold]{r.tier or 'none'}[/]" for r in self.completed],
            *["" for _ in self.floors()],
            "",
        )
        checks = Table(title="tier conditions (pass / FAIL)", title_justify="left")
        checks.add_column("tier")
        checks.add_column("condition")
        for label in labels:
            checks.add_column(label, justify="center")
        for tier, text, marks in self.condition_rows():
            checks.add_row(
                tier,
                text,
                *[
                    "" if m is None else ("[green]pass[/]" if m else "[bold red]FAIL[/]")
                    for m in marks
                ],
            )
        return [runs, metrics, checks]

    # ------------------------------------------------------------ markdown
    def markdown(self) -> str:
        """The report as one Markdown file (curves embedded as base64 PNG)."""
        lines: list[str] = []
        add = lines.append
        rec = self.record
        add(f"# Experiment report: {self.spec.name}")
        add("")
        if self.spec.description:
            add(self.spec.description.strip())
            add("")
        add(
            f"Spec `{SPEC_FILE}` (digest `{rec.spec_digest[:12]}`), from `{rec.source}`. "
            f"Folder `{self.out_dir}`. "
            + (
                "All planned runs finished."
                if rec.finished
                else "**The experiment is unfinished.**"
            )
        )
        add("")
        add("## Recommendation")
        add("")
        best = self.recommendation.best
        add(f"**{best.label}** (`{best.run}`)" if best else "**none**")
        add("")
        add(self.recommendation.reason)
        add("")
        add(
            "Rule: the best tier first (tiers in spec order); then the larger mean of the "
            "composite objectives `validity` and `coherence`; ties by `validity`, then "
            "`coherence`, then run order (baseline, main, variants)."
        )
        add("")
        add("## Runs")
        add("")
        add("| run | role | parent / plan | status | tier | epochs | seconds (train + eval) |")
        add("|---|---|---|---|---|---:|---:|")
        for r in self.runs:
            star = " ★" if best is not None and best.run == r.run else ""
            tier = (r.tier or "none") if r.metrics is not None else ""
            add(
                f"| `{r.run}`{star} | {r.entry.role} | {_md(_origin(r))} | {_md(_status(r))} "
                f"| {tier} | {_opt(r.outcome.epochs if r.outcome else None)} "
                f"| {_seconds(r.outcome)} |"
            )
        add("")
        if self.completed:
            add("## Metrics")
            add("")
            add(
                "Generated patients (G) against the held_out split (F, never trained on nor "
                "selected on); the floor is a seeded sample of the train split sized like G "
                "against the same F. ↑: larger is better, ↓: smaller is better."
            )
            add("")
            floors = self.floors()
            head = ["metric", ""] + [r.label for r in self.completed] + [t for t, _ in floors]
            head.append("tier conditions")
            add("| " + " | ".join(head) + " |")
            add("|" + "---|" * 2 + "---:|" * (len(head) - 3) + "---|")
            for name, arrow, values, fl, conds in self.metric_rows():
                cells = [name, arrow, *map(_fmt, values), *map(_fmt, fl), conds]
                add("| " + " | ".join(cells) + " |")
            tier_cells = [f"**{r.tier or 'none'}**" for r in self.completed]
            add("| **tier** | | " + " | ".join(tier_cells) + " |" + " |" * (len(floors) + 1))
            add("")
            add("## Tier conditions")
            add("")
            add("Tiers are tried in order; the first whose conditions all hold is the outcome.")
            add("")
            add("| tier | condition | " + " | ".join(r.label for r in self.completed) + " |")
            add("|---|---|" + ":---:|" * len(self.completed))
            for tier, text, marks in self.condition_rows():
                cells = ["" if m is None else ("pass" if m else "**FAIL**") for m in marks]
                add(f"| {tier} | `{text}` | " + " | ".join(cells) + " |")
            add("")
        add("## Curves")
        add("")
        if self.loss_png is None and self.weight_png is None:
            add("No training log (no run was trained).")
        if self.loss_png is not None:
            add("Per-term loss per epoch (solid: validation, dashed: training):")
            add("")
            add(f"![per-term loss]({_data_uri(self.loss_png)})")
            add("")
        if self.weight_png is not None:
            add("Per-term weight at the end of each epoch:")
            add("")
            add(f"![per-term weight]({_data_uri(self.weight_png)})")
            add("")
        add("## Lineage")
        add("")
        for r in self.runs:
            add(f"- `{r.run}`: {_lineage_text(r)}")
        add("")
        return "\n".join(lines)

    # ------------------------------------------------------------ html
    def html(self) -> str:
        """The report as one self-contained HTML file."""
        e = html.escape
        best = self.recommendation.best
        parts = [
            "<!DOCTYPE html>",
            '<html><head><meta charset="utf-8">',
            f"<title>Experiment report: {e(self.spec.name)}</title>",
            "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;}"
            "table{border-collapse:collapse;margin:1em 0;}"
            "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;}"
            "td.n{text-align:right;font-family:monospace;}.fail{color:#b00;font-weight:bold;}"
            ".pass{color:#070;}.floor{color:#777;}</style></head><body>",
            f"<h1>Experiment report: {e(self.spec.name)}</h1>",
        ]
        if self.spec.description:
            parts.append(f"<p>{e(self.spec.description.strip())}</p>")
        parts.append(
            f"<p>Spec digest <code>{e(self.record.spec_digest[:12])}</code>, from "
            f"<code>{e(self.record.source)}</code>.</p>"
        )
        parts.append("<h2>Recommendation</h2>")
        parts.append(
            f"<p><b>{e(best.label)}</b> (<code>{e(best.run)}</code>)</p>" if best else "<p>none</p>"
        )
        parts.append(f"<p>{e(self.recommendation.reason)}</p>")
        parts.append("<h2>Runs</h2><table><tr>")
        parts.append(
            "".join(
                f"<th>{h}</th>"
                for h in ("run", "role", "parent / plan", "status", "tier", "epochs", "seconds")
            )
            + "</tr>"
        )
        for r in self.runs:
            tier = (r.tier or "none") if r.metrics is not None else ""
            parts.append(
                f"<tr><td><code>{e(r.run)}</code>{' ★' if best and best.run == r.run else ''}"
                f"</td><td>{e(r.entry.role)}</td><td>{e(_origin(r))}</td>"
                f"<td>{e(_status(r))}</td><td>{e(tier)}</td>"
                f"<td class=n>{_opt(r.outcome.epochs if r.outcome else None)}</td>"
                f"<td class=n>{_seconds(r.outcome)}</td></tr>"
            )
        parts.append("</table>")
        if self.completed:
            floors = self.floors()
            parts.append("<h2>Metrics</h2><table><tr><th>metric</th><th></th>")
            parts.extend(f"<th>{e(r.label)}</th>" for r in self.completed)
            parts.extend(f"<th>{e(t)}</th>" for t, _ in floors)
            parts.append("<th>tier conditions</th></tr>")
            for name, arrow, values, fl, conds in self.metric_rows():
                parts.append(f"<tr><td>{name}</td><td>{arrow}</td>")
                parts.extend(f"<td class=n>{_fmt(v)}</td>" for v in values)
                parts.extend(f'<td class="n floor">{_fmt(v)}</td>' for v in fl)
                parts.append(f"<td>{e(conds)}</td></tr>")
            parts.append("<tr><td><b>tier</b></td><td></td>")
            parts.extend(f"<td><b>{e(r.tier or 'none')}</b></td>" for r in self.completed)
            parts.append("<td></td>" * (len(floors) + 1) + "</tr></table>")
            parts.append("<h2>Tier conditions</h2><table><tr><th>tier</th><th>condition</th>")
            parts.extend(f"<th>{e(r.label)}</th>" for r in self.completed)
            parts.append("</tr>")
            for tier, text, marks in self.condition_rows():
                parts.append(f"<tr><td>{e(tier)}</td><td><code>{e(text)}</code></td>")
                for m in marks:
                    cell = (
                        ""
                        if m is None
                        else (
                            '<span class="pass">pass</span>'
                            if m
                            else '<span class="fail">FAIL</span>'
                        )
                    )
                    parts.append(f"<td>{cell}</td>")
                parts.append("</tr>")
            parts.append("</table>")
        parts.append("<h2>Curves</h2>")
        for title, png in (("per-term loss", self.loss_png), ("per-term weight", self.weight_png)):
            if png is not None:
                parts.append(f'<p><img alt="{title}" src="{_data_uri(png)}"></p>')
        parts.append("<h2>Lineage</h2><ul>")
        parts.extend(f"<li><code>{e(r.run)}</code>: {e(_lineage_text(r))}</li>" for r in self.runs)
        parts.append("</ul></body></html>")
        return "\n".join(parts) + "\n"

    # ------------------------------------------------------------ files
    def write(self) -> dict[str, Path]:
        """Write ``report.md`` and ``report.html`` into the experiment folder (atomically)."""
        md = write_text_atomic(self.out_dir / REPORT_MD, self.markdown())
        page = write_text_atomic(self.out_dir / REPORT_HTML, self.html())
        self.paths = {"markdown": md, "html": page}
        return self.paths


# ---------------------------------------------------------------- helpers
_PASS_HTML = '<span class="pass">pass</span>'
_FAIL_HTML = '<span class="fail">FAIL</span>'


def _key(value: float) -> float | str:
    return "nan" if math.isnan(value) else round(value, 12)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.4f}"


def _opt(value: object) -> str:
    return "" if value is None else str(value)


def _seconds(outcome: Outcome | None) -> str:
    if outcome is None:
        return ""
    return f"{outcome.train_seconds + outcome.eval_seconds:.1f}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _status(r: RunView) -> str:
    status = r.entry.status
    if r.entry.note:
        return f"{status}: {r.entry.note}"
    return status


def _origin(r: RunView) -> str:
    lin = r.lineage
    if lin is None:
        return ""
    if lin.role == "variant" and lin.plan is not None and lin.variant is not None:
        return f"{lin.parent} → {lin.variant.field_path} (plan on {lin.plan.tier})"
    if lin.role == "baseline" and lin.baseline is not None:
        b = lin.baseline
        return f"{b.kind}" + (f" {b.source}" if b.source else "")
    return "" if lin.parent is None else str(lin.parent)


def _lineage_text(r: RunView) -> str:
    lin = r.lineage
    if lin is None:
        return f"{r.entry.role} {r.label}: {_status(r)} (no lineage.json)"
    text = f"{lin.role}"
    if lin.role == "variant" and lin.plan is not None and lin.variant is not None:
        stop = "run all" if lin.plan.stop is None else f"stop at {lin.plan.stop} or better"
        text += (
            f" {lin.variant.name}, child of `{lin.parent}`: variant {lin.variant.index} of "
            f"plan fallbacks[{lin.plan.index}] (triggered by tier {lin.plan.tier}, {stop})"
        )
        if lin.variant.description:
            text += f"; {' '.join(lin.variant.description.split())}"
    elif lin.role == "baseline" and lin.baseline is not None:
        text += f" {lin.baseline.label} ({_origin(r)})"
    else:
        text += " run of the spec"
    return text + f"; spec digest `{lin.spec_digest[:12]}`"


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ---------------------------------------------------------------- building
def _read_log(path: Path) -> list[dict[str, Any]]:
    from lossbalance.training import JsonlLogger

    if not path.is_file():
        return []
    try:
        return JsonlLogger.read(path)
    except ValueError as exc:
        raise LossbalanceError(f"{path}: not a valid training log ({exc})") from None


def build_report(out_dir: str | os.PathLike[str], write: bool = True) -> ExperimentReport:
    """Build the report of an experiment folder from its files alone (and write it).

    Args:
        out_dir: the folder ``lossbalance run`` wrote.
        write: write ``report.md`` and ``report.html`` into it.

    Raises:
        LossbalanceError: the folder is not an experiment folder, or a file in it is
            damaged (one line naming the file).
    """
    from lossbalance.spec import classify_tier, load_spec

    root = Path(out_dir)
    if not (root / EXPERIMENT_FILE).is_file():
        raise LossbalanceError(
            f"{root}: not an experiment folder (no {EXPERIMENT_FILE}; `lossbalance run` writes it)"
        )
    record: ExperimentRecord = read_model(root / EXPERIMENT_FILE, ExperimentRecord)
    spec = load_spec(root / SPEC_FILE)
    views: list[RunView] = []
    for entry in record.runs:
        run = RunDir(root, entry.run)
        lineage = run.lineage if run.path.is_dir() else None
        outcome = run.outcome if run.path.is_dir() else None
        metrics = None
        if entry.status == "complete" and run.file(METRICS_FILE).is_file():
            metrics = read_metrics(run)
        tier = classify_tier(spec, metrics.flat()) if metrics is not None else None
        views.append(RunView(entry, lineage, outcome, metrics, _read_log(run.file(LOG_FILE)), tier))
    candidates = [
        Candidate(
            run=v.run,
            label=v.label,
            order=i,
            tier=v.tier,
            validity=v.flat["validity"],
            coherence=v.flat["coherence"],
        )
        for i, v in enumerate(views)
        if v.metrics is not None
    ]
    logs = {v.label: v.log for v in views if v.log}
    report = ExperimentReport(
        out_dir=root,
        record=record,
        spec=spec,
        runs=views,
        recommendation=recommend(candidates, spec.tiers),
        loss_png=loss_curves_png(logs),
        weight_png=weight_curves_png(logs),
    )
    if write:
        report.write()
    return report


def rank_labels(report: ExperimentReport) -> Sequence[str]:
    """The completed runs' labels, recommended first (for messages and tests)."""
    return [c.label for c in report.recommendation.ranking]
