"""CLI commands: ``lossbalance data simulate | load | describe | split``.

A thin layer over :mod:`lossbalance.data`; every file goes out through
:meth:`Cohort.save` or :func:`write_text_atomic` (nothing half-written), and every
output folder is checked before any work starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.console import Console

from lossbalance._atomic import check_output_path, write_text_atomic
from lossbalance._errors import LossbalanceError

if TYPE_CHECKING:
    from lossbalance.data import Cohort, LoadOptions, TableColumns

data_app = typer.Typer(
    name="data",
    help="Cohorts: simulate one, load real EHR data, describe, split.",
    no_args_is_help=True,
)
load_app = typer.Typer(
    name="load",
    help="Load real EHR data (MIMIC-III, MIMIC-IV or a generic table) as a cohort file.",
    no_args_is_help=True,
)
data_app.add_typer(load_app)


class System(StrEnum):
    """Code systems on the command line."""

    icd9 = "icd9"
    icd10 = "icd10"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _options(
    procedures: bool,
    truncate: bool,
    min_visits: int,
    max_codes: int | None,
    keep_duplicates: bool,
    system: System | None,
) -> LoadOptions:
    from lossbalance.data import LoadOptions

    fields: dict[str, object] = {
        "include_procedures": procedures,
        "truncate": truncate,
        "min_visits": min_visits,
        "max_codes_per_visit": max_codes,
        "keep_duplicates": keep_duplicates,
    }
    if system is not None:
        fields["systems"] = (system.value,)
    try:
        return LoadOptions.model_validate(fields)
    except ValidationError as exc:
        raise LossbalanceError(_first_error("options", exc)) from None


def _first_error(what: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or what
    return f"{what}: {loc}: {err['msg']}"


def _load(load: Callable[[], Cohort], source: str, out: Path | None) -> None:
    """The tail every ``load`` command shares: check ``out``, load (timed), report, save."""
    if out is not None:
        check_output_path(out)
    start = time.perf_counter()
    cohort = load()
    _report(cohort, source, out, time.perf_counter() - start)


def _report(cohort: Cohort, source: str, out: Path | None, seconds: float) -> None:
    console = _console()
    console.print(
        f"[bold]{cohort.n_patients:,}[/] patients, [bold]{cohort.n_visits:,}[/] visits, "
        f"[bold]{cohort.n_codes:,}[/] codes ({cohort.distinct_codes():,} distinct) "
        f"from {source} in {seconds:.2f} s"
    )
    if out is not None:
        cohort.save(out)
        console.print(f"wrote {out}")


# ------------------------------------------------------------------ options
_PROCEDURES = typer.Option(False, "--procedures", help="Keep procedure codes too.")
_TRUNCATE = typer.Option(
    False,
    "--truncate",
    help="Cut codes to category level (ICD-9 3 digits, ICD-10 3 characters; "
    "procedures ICD-9 2 digits, ICD-10-PCS 3 characters).",
)
_MIN_VISITS = typer.Option(1, "--min-visits", help="Drop patients with fewer visits.")
_MAX_CODES = typer.Option(
    None, "--max-codes-per-visit", help="Keep the first N codes of each visit."
)
_KEEP_DUPS = typer.Option(False, "--keep-duplicates", help="Keep codes repeated within a visit.")
_SYSTEM = typer.Option(None, "--system", help="Keep one code system only.")
_OUT = typer.Option(None, "--out", help="Cohort file to write (.npz).")


@data_app.command("simulate")
def simulate_cmd(
    patients: int = typer.Option(..., "--patients", min=1, help="Number of patients."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same cohort)."),
    system: System = typer.Option(System.icd10, "--system", help="Code system."),
    out: Path = typer.Option(..., "--out", help="Cohort file to write (.npz)."),
) -> None:
    """Simulate a reference cohort with the built-in simulator and save it."""
    from lossbalance.data import simulate

    check_output_path(out)
    start = time.perf_counter()
    with Console(stderr=True).status(f"simulating {patients:,} patients"):
        cohort = simulate(patients, seed=seed, system=system.value)
    _report(
        cohort, f"the simulator (seed {seed}, {system.value})", out, time.perf_counter() - start
    )


def _mimic_command(name: str, loader: str, path_help: str, doc: str) -> Callable[..., None]:
    """Register ``data load <name>``: a MIMIC folder, the shared load options and ``--out``,
    loaded by ``lossbalance.data.<loader>``."""

    def command(
        path: Path = typer.Argument(..., help=path_help),
        procedures: bool = _PROCEDURES,
        truncate: bool = _TRUNCATE,
        min_visits: int = _MIN_VISITS,
        max_codes: int | None = _MAX_CODES,
        keep_duplicates: bool = _KEEP_DUPS,
        system: System | None = _SYSTEM,
        out: Path | None = _OUT,
    ) -> None:
        from lossbalance import data

        load = getattr(data, loader)
        options = _options(procedures, truncate, min_visits, max_codes, keep_duplicates, system)
        _load(lambda: load(path, options), str(path), out)

    command.__doc__ = doc
    command.__name__ = command.__qualname__ = f"load_{name}_cmd"
    return load_app.command(name)(command)


load_mimic3_cmd = _mimic_command(
    "mimic3",
    "load_mimic3",
    "Folder with the MIMIC-III CSV files.",
    "Load MIMIC-III (PATIENTS, ADMISSIONS, DIAGNOSES_ICD[, PROCEDURES_ICD]).",
)
load_mimic4_cmd = _mimic_command(
    "mimic4",
    "load_mimic4",
    "MIMIC-IV root (with hosp/) or its hosp folder.",
    "Load MIMIC-IV hosp (patients, admissions, diagnoses_icd[, procedures_icd]).",
)


def _table_columns(pairs: list[str], fixed_system: System | None) -> TableColumns:
    from lossbalance.data import TableColumns

    fields: dict[str, str | None] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise LossbalanceError(f"--column: expected FIELD=NAME, got {pair!r}")
        name = name.strip()
        if name not in TableColumns.model_fields or name == "fixed_system":
            known = ", ".join(f for f in TableColumns.model_fields if f != "fixed_system")
            raise LossbalanceError(f"--column: unknown field {name!r} (fields: {known})")
        fields[name] = value.strip() or None
    if fixed_system is not None:
        fields["fixed_system"] = fixed_system.value
    try:
        return TableColumns.model_validate(fields)
    except ValidationError as exc:
        raise LossbalanceError(_first_error("--column", exc)) from None


@load_app.command("table")
def load_table_cmd(
    codes: Path = typer.Argument(..., help="Codes table (CSV, CSV.gz or Parquet)."),
    patients: Path = typer.Argument(..., help="Patients table (CSV, CSV.gz or Parquet)."),
    column: list[str] = typer.Option(
        [],
        "--column",
        help="FIELD=NAME for a column with another name (repeat; NAME empty: no such "
        "column). Fields: patient_id, visit_id, visit_date, code, system, kind, seq, "
        "sex, birth_date, age.",
    ),
    fixed_system: System | None = typer.Option(
        None, "--fixed-system", help="Every code of the file is in this system."
    ),
    procedures: bool = _PROCEDURES,
    truncate: bool = _TRUNCATE,
    min_visits: int = _MIN_VISITS,
    max_codes: int | None = _MAX_CODES,
    keep_duplicates: bool = _KEEP_DUPS,
    system: System | None = _SYSTEM,
    out: Path | None = _OUT,
) -> None:
    """Load a generic long codes table plus a patients table."""
    from lossbalance.data import load_table

    columns = _table_columns(column, fixed_system)
    options = _options(procedures, truncate, min_visits, max_codes, keep_duplicates, system)
    _load(lambda: load_table(codes, patients, columns, options), f"{codes} + {patients}", out)


@data_app.command("describe")
def describe_cmd(
    file: Path = typer.Argument(..., help="Cohort file (.npz)."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the summary as JSON here."
    ),
) -> None:
    """Describe a cohort: sizes, distributions, age/sex and code mix, top codes."""
    from lossbalance.data import Cohort, describe

    if json_out is not None:
        check_output_path(json_out)
    summary = describe(Cohort.load(file))
    console = _console()
    console.print(f"[bold]{file}[/]")
    summary.print(console)
    if json_out is not None:
        write_text_atomic(json_out, summary.model_dump_json(indent=2) + "\n")
        console.print(f"wrote {json_out}")


@data_app.command("split")
def split_cmd(
    file: Path = typer.Argument(..., help="Cohort file (.npz)."),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Folder to write train.npz, tuning.npz and held_out.npz into."
    ),
    fractions: str = typer.Option(
        "0.6,0.2,0.2",
        "--fractions",
        help="Shares of patients for train,tuning,held_out (used when the file has no splits).",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the drawn split."),
    redraw: bool = typer.Option(
        False, "--redraw", help="Draw a split by --fractions even when the file carries one."
    ),
    heldout_fraction: str | None = typer.Option(None, "--heldout-fraction", hidden=True),
    train: str | None = typer.Option(None, "--train", hidden=True),
    heldout: str | None = typer.Option(None, "--heldout", hidden=True),
) -> None:
    """Split a cohort by patient into train / tuning / held_out files (seeded).

    Splits the file carries (a split column, MEDS subject_splits) are kept unless --redraw.
    """
    from lossbalance.data import Cohort
    from lossbalance.data._splits import parse_fractions, save_splits, split_cohort

    old = [
        flag
        for flag, value in (
            ("--heldout-fraction", heldout_fraction),
            ("--train", train),
            ("--heldout", heldout),
        )
        if value is not None
    ]
    if old:
        raise LossbalanceError(
            f"data split: {old[0]} was removed; use --out-dir DIR [--fractions 0.6,0.2,0.2] "
            "(writes train.npz, tuning.npz, held_out.npz)"
        )
    if out_dir is None:
        raise LossbalanceError("data split: --out-dir is required")
    shares = parse_fractions(fractions)
    cohort = Cohort.load(file)
    carried = cohort.splits is not None and not redraw
    parts = split_cohort(cohort, shares, seed, redraw=redraw)
    paths = save_splits(parts, out_dir)
    console = _console()
    if carried:
        console.print(f"kept the splits {file} carries (--fractions not used)")
    else:
        console.print(f"drew a split by patient: fractions {fractions}, seed {seed}")
    for name, part in parts.items():
        console.print(
            f"{name}: {part.n_patients:,} patients, {part.n_visits:,} visits -> {paths[name]}"
        )


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to ``app``."""
    app.add_typer(data_app)
