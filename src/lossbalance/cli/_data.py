"""CLI commands: ``lossbalance data simulate | load | describe | split | export``.

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
    from lossbalance.data import Cohort, LoadOptions, MedsOptions, TableColumns

data_app = typer.Typer(
    name="data",
    help="Cohorts: simulate one, load real EHR data, describe, split.",
    no_args_is_help=True,
)
load_app = typer.Typer(
    name="load",
    help="Load real EHR data (MIMIC-III, MIMIC-IV, MEDS or a generic table) as a cohort file.",
    no_args_is_help=True,
)
data_app.add_typer(load_app)


class System(StrEnum):
    """Code systems the simulator writes."""

    icd9 = "icd9"
    icd10 = "icd10"


class ExportFormat(StrEnum):
    """Formats of ``data export`` and ``generate --format``."""

    meds = "meds"
    csv = "csv"
    parquet = "parquet"
    npz = "npz"


class VisitMode(StrEnum):
    """How MEDS events group into visits."""

    timestamp = "timestamp"
    day = "day"
    code = "code"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _options(
    procedures: bool,
    truncate: bool,
    min_visits: int,
    max_codes: int | None,
    keep_duplicates: bool,
    system: list[str] | None,
    kinds: list[str] | None = None,
) -> LoadOptions:
    from lossbalance.data import LoadOptions

    fields: dict[str, object] = {
        "include_procedures": procedures,
        "truncate": truncate,
        "min_visits": min_visits,
        "max_codes_per_visit": max_codes,
        "keep_duplicates": keep_duplicates,
    }
    if system:
        fields["systems"] = tuple(_split_list(system))
    if kinds:
        fields["kinds"] = tuple(_split_list(kinds))
    try:
        return LoadOptions.model_validate(fields)
    except ValidationError as exc:
        raise LossbalanceError(_first_error("options", exc)) from None


def _split_list(values: list[str]) -> list[str]:
    """Repeated and comma-separated values, flattened (``--kind dx,px --kind lab``)."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


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
_SYSTEM = typer.Option(
    [],
    "--system",
    help="Keep these vocabularies only (repeat or comma-separate: ICD10CM, SNOMED, ...; "
    "icd9/icd10 name both ICD vocabularies of a version).",
)
_KINDS = typer.Option(
    [],
    "--kind",
    help="Keep these code kinds (dx, px, rx, lab, other; repeat or comma-separate).",
)
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
        system: list[str] = _SYSTEM,
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


def _table_columns(pairs: list[str], fixed_system: str | None) -> TableColumns:
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
        from lossbalance.data import vocabulary_name

        vocabulary_name(fixed_system)  # one line naming a bad name
        fields["fixed_system"] = fixed_system
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
    fixed_system: str | None = typer.Option(
        None,
        "--fixed-system",
        help="Every code of the file is in this vocabulary (ICD10CM, SNOMED, icd9...).",
    ),
    procedures: bool = _PROCEDURES,
    truncate: bool = _TRUNCATE,
    min_visits: int = _MIN_VISITS,
    max_codes: int | None = _MAX_CODES,
    keep_duplicates: bool = _KEEP_DUPS,
    system: list[str] = _SYSTEM,
    kinds: list[str] = _KINDS,
    out: Path | None = _OUT,
) -> None:
    """Load a generic long codes table plus a patients table."""
    from lossbalance.data import load_table

    columns = _table_columns(column, fixed_system)
    options = _options(procedures, truncate, min_visits, max_codes, keep_duplicates, system, kinds)
    _load(lambda: load_table(codes, patients, columns, options), f"{codes} + {patients}", out)


def _meds_options(
    visits: VisitMode, visit_code: list[str], sex_code: list[str], birth_code: str, sep: str
) -> MedsOptions:
    from lossbalance.data import MedsOptions

    fields: dict[str, object] = {"visits": visits.value, "birth_code": birth_code}
    fields["separator"] = sep
    if visit_code:
        fields["visit_codes"] = tuple(_split_list(visit_code))
    if sex_code:
        pairs: dict[str, str] = {}
        for pair in _split_list(sex_code):
            code, eq, sex = pair.rpartition("=")
            if not eq or not code:
                raise LossbalanceError(f"--sex-code: expected CODE=F or CODE=M, got {pair!r}")
            pairs[code] = sex.strip().upper()
        fields["sex_codes"] = pairs
    try:
        return MedsOptions.model_validate(fields)
    except ValidationError as exc:
        raise LossbalanceError(_first_error("MEDS options", exc)) from None


_VISITS = typer.Option(
    VisitMode.timestamp,
    "--visits",
    help="One visit per distinct event timestamp, per day, or per visit-start code.",
)
_VISIT_CODE = typer.Option(
    [], "--visit-code", help="Visit-start code(s) for --visits code (default HOSPITAL_ADMISSION)."
)
_SEX_CODE = typer.Option(
    [],
    "--sex-code",
    help="CODE=F or CODE=M: static codes that give the sex (default GENDER//F, SEX//M, ...).",
)
_BIRTH = typer.Option("MEDS_BIRTH", "--birth-code", help="The code whose time is the birth.")
_SEP = typer.Option("//", "--separator", help="Between a code's vocabulary and its text.")


@load_app.command("meds")
def load_meds_cmd(
    path: Path = typer.Argument(..., help="MEDS dataset folder (data/**/*.parquet, metadata/)."),
    kinds: list[str] = _KINDS,
    system: list[str] = _SYSTEM,
    visits: VisitMode = _VISITS,
    visit_code: list[str] = _VISIT_CODE,
    sex_code: list[str] = _SEX_CODE,
    birth_code: str = _BIRTH,
    separator: str = _SEP,
    truncate: bool = _TRUNCATE,
    min_visits: int = _MIN_VISITS,
    max_codes: int | None = _MAX_CODES,
    keep_duplicates: bool = _KEEP_DUPS,
    out: Path | None = _OUT,
) -> None:
    """Load a MEDS dataset (codes VOCAB//code; default: diagnoses and procedures of any
    vocabulary; splits from metadata/subject_splits.parquet)."""
    from lossbalance.data import load_meds

    options = _options(False, truncate, min_visits, max_codes, keep_duplicates, system, kinds)
    mopts = _meds_options(visits, visit_code, sex_code, birth_code, separator)
    _load(lambda: load_meds(path, options, mopts), str(path), out)


def read_cohort(path: Path) -> Cohort:
    """A cohort file (.npz), or a MEDS folder read with the default options."""
    from lossbalance.data import Cohort, load_meds

    if path.is_dir():
        return load_meds(path)
    return Cohort.load(path)


def write_cohort(
    cohort: Cohort, out: Path, fmt: ExportFormat, generator: dict[str, object] | None = None
) -> None:
    """Write ``cohort`` to ``out`` as ``fmt`` (MEDS folder, long CSV/Parquet, or .npz)."""
    from lossbalance.data import write_long, write_meds

    if fmt is ExportFormat.meds:
        write_meds(cohort, out, generator=generator)
    elif fmt is ExportFormat.npz:
        cohort.save(out)
    else:
        if out.suffix.lower() != f".{fmt.value}":
            raise LossbalanceError(f"{out}: a {fmt.value} export needs the .{fmt.value} suffix")
        write_long(cohort, out)


def check_export_target(out: Path, fmt: ExportFormat) -> None:
    """Fail before any work when ``out`` cannot be written as ``fmt``."""
    check_output_path(out)
    if fmt is ExportFormat.meds:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise LossbalanceError(f"{out}: already exists (give a new or empty folder)")
    elif fmt is not ExportFormat.npz and out.suffix.lower() != f".{fmt.value}":
        raise LossbalanceError(f"{out}: a {fmt.value} export needs the .{fmt.value} suffix")


@data_app.command("export")
def export_cmd(
    file: Path = typer.Argument(..., help="Cohort file (.npz) or MEDS folder."),
    out: Path = typer.Argument(..., help="Output: a MEDS folder, or a .csv/.parquet file."),
    fmt: ExportFormat = typer.Option(
        ExportFormat.meds,
        "--format",
        help="meds (a MEDS dataset folder), csv or parquet (one row per code: patient, "
        "visit, time, code, vocabulary, kind, age, sex).",
    ),
) -> None:
    """Export a cohort as a MEDS dataset or a long CSV/Parquet table."""
    check_export_target(out, fmt)
    cohort = read_cohort(file)
    write_cohort(cohort, out, fmt, generator={"source": str(file)})
    _console().print(
        f"wrote {cohort.n_patients:,} patients, {cohort.n_codes:,} codes to {out} ({fmt.value})"
    )


@data_app.command("describe")
def describe_cmd(
    file: Path = typer.Argument(..., help="Cohort file (.npz) or MEDS folder."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the summary as JSON here."
    ),
) -> None:
    """Describe a cohort: sizes, distributions, age/sex and code mix, top codes."""
    from lossbalance.data import describe

    if json_out is not None:
        check_output_path(json_out)
    summary = describe(read_cohort(file))
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
