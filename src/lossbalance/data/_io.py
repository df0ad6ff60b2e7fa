"""Reading source tables for the loaders: file lookup, columns by name, dates, progress.

CSV files (plain or gzip) are streamed with :func:`pyarrow.csv.open_csv`, every column
read as text so codes keep their leading zeros; a rich progress bar (on stderr) shows
the bytes read when the inputs are big enough to take more than about a second.
Parquet files are read with pyarrow as well.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from lossbalance._errors import LossbalanceError

PROGRESS_MIN_BYTES = 48 * 1024 * 1024
"""Inputs smaller than this (plain-CSV bytes; gzip counts 8 times its size on disk) load in
about a second or less (2 million code rows, 60 MB of CSV, take 0.75 s): no bar."""
_GZIP_WEIGHT = 8

_S_PER_YEAR = 365.2425 * 86400

Advance = Callable[[int], None]


def find_table(folder: Path, name: str) -> Path | None:
    """The file ``name.csv`` or ``name.csv.gz`` in ``folder``, any letter case, or None."""
    if not folder.is_dir():
        return None
    wanted = {f"{name.lower()}.csv", f"{name.lower()}.csv.gz"}
    hits = sorted(p for p in folder.iterdir() if p.name.lower() in wanted and p.is_file())
    # prefer the plain .csv when both exist (it is what a user unpacked last)
    hits.sort(key=lambda p: p.name.lower().endswith(".gz"))
    return hits[0] if hits else None


def require_table(folder: Path, name: str) -> Path:
    """Like :func:`find_table`, but a missing table is a :class:`LossbalanceError`."""
    found = find_table(folder, name)
    if found is None:
        raise LossbalanceError(f"{folder}: no {name} table ({name}.csv or {name}.csv.gz)")
    return found


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".pq"}


def _csv_header(path: Path) -> list[str]:
    try:
        raw: io.BufferedIOBase
        with open(path, "rb") as fh:
            raw = gzip.GzipFile(fileobj=fh) if _is_gzip(path) else fh
            text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
            row = next(csv.reader(text), None)
    except (OSError, EOFError) as exc:
        raise LossbalanceError(f"{path}: cannot read ({exc})") from None
    if not row:
        raise LossbalanceError(f"{path}: empty file, no header row")
    return [c.strip() for c in row]


def header(path: Path) -> list[str]:
    """The column names of a CSV (plain or gzip) or Parquet file."""
    if not path.is_file():
        raise LossbalanceError(f"{path}: file not found")
    if _is_parquet(path):
        try:
            return list(pq.read_schema(path).names)
        except (OSError, pa.ArrowException) as exc:
            raise LossbalanceError(f"{path}: not a readable Parquet file ({exc})") from None
    return _csv_header(path)


def resolve_columns(
    path: Path,
    names: Sequence[str],
    wanted: Mapping[str, str | None],
    required: Sequence[str] = (),
) -> dict[str, str]:
    """Match wanted columns (field -> column name) to ``names``, ignoring letter case.

    Returns field -> actual column name for the fields found; a field in ``required``
    that is absent is a :class:`LossbalanceError` naming the file and the column.
    """
    by_lower = {n.lower(): n for n in names}
    found: dict[str, str] = {}
    for fld, col in wanted.items():
        if col is None:
            continue
        actual = by_lower.get(col.lower())
        if actual is not None:
            found[fld] = actual
        elif fld in required:
            raise LossbalanceError(f"{path}: missing column {col!r}")
    return found


@contextlib.contextmanager
def progress(paths: Sequence[Path], label: str) -> Iterator[Callable[[Path], Advance]]:
    """A byte-progress bar over ``paths`` on stderr, shown only for big inputs.

    Yields ``task_for(path)``, which returns an ``advance(n_bytes)`` callback.
    """
    sizes = {p: p.stat().st_size for p in paths if p.is_file()}
    total = sum(sizes.values())
    weighed = sum(n * (_GZIP_WEIGHT if _is_gzip(p) else 1) for p, n in sizes.items())
    if weighed < PROGRESS_MIN_BYTES:
        yield lambda _path: lambda _n: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(label, total=total)

    def task_for(path: Path) -> Advance:
        bar.update(task, description=f"{label}: {path.name}")
        return lambda n: bar.advance(task, n)

    with bar:
        yield task_for


def read_table(
    path: Path, columns: Mapping[str, str], advance: Advance | None = None
) -> pd.DataFrame:
    """Read ``columns`` (field -> column name) of a CSV/CSV.gz/Parquet file as text.

    Returns a DataFrame whose columns are the fields. Empty cells are missing values.
    """
    if _is_parquet(path):
        try:
            table = pq.read_table(path, columns=list(columns.values()))
        except (OSError, pa.ArrowException) as exc:
            raise LossbalanceError(f"{path}: not a readable Parquet file ({exc})") from None
        if advance is not None:
            advance(path.stat().st_size)
        frame = table.to_pandas()
        return frame.rename(columns={v: k for k, v in columns.items()})[list(columns)]
    convert = pacsv.ConvertOptions(
        include_columns=list(columns.values()),
        column_types={c: pa.string() for c in columns.values()},
        strings_can_be_null=True,
    )
    batches: list[pa.RecordBatch] = []
    try:
        raw = pa.OSFile(str(path), "rb")
        stream = pa.CompressedInputStream(raw, "gzip") if _is_gzip(path) else raw
        with raw:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=8 << 20),
                convert_options=convert,
            )
            done = 0
            for batch in reader:
                batches.append(batch)
                if advance is not None:
                    now = raw.tell()
                    advance(now - done)
                    done = now
            schema = reader.schema
    except (OSError, pa.ArrowException) as exc:
        raise LossbalanceError(f"{path}: cannot read CSV ({exc})".splitlines()[0]) from None
    table = pa.Table.from_batches(batches, schema=schema)
    frame = table.to_pandas()
    return frame.rename(columns={v: k for k, v in columns.items()})[list(columns)]


def parse_dates(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.datetime64]:
    """Parse text (or already-typed) dates; missing stay NaT, unparsable ones raise."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.to_numpy(dtype="datetime64[s]")
    text = values.astype("string")
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    bad = parsed.isna().to_numpy() & text.notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise LossbalanceError(
            f"{path}: column {column!r}: unparsable date {text.iloc[first]!r} "
            f"(data row {first + 1})"
        )
    return parsed.to_numpy(dtype="datetime64[s]")


def years_between(
    start: npt.NDArray[np.datetime64], end: npt.NDArray[np.datetime64]
) -> npt.NDArray[np.float64]:
    """Years (of 365.2425 days) from ``start`` to ``end``, element-wise."""
    # seconds, not nanoseconds: 300 years (MIMIC-III's shifted ages) overflow int64 ns
    delta = (end.astype("datetime64[s]") - start.astype("datetime64[s]")).astype(np.float64)
    delta[np.isnat(end) | np.isnat(start)] = np.nan
    return delta / _S_PER_YEAR


def parse_numbers(values: pd.Series, path: Path, column: str) -> npt.NDArray[np.float64]:
    """Parse numbers; missing stay NaN, text that is not a number raises."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.astype("string")
    parsed = pd.to_numeric(text, errors="coerce")
    bad = parsed.isna().to_numpy() & text.notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise LossbalanceError(
            f"{path}: column {column!r}: not a number {text.iloc[first]!r} (data row {first + 1})"
        )
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan)


def as_text(values: pd.Series) -> pd.Series:
    """Values as stripped text (missing stays missing)."""
    return values.astype("string").str.strip()


def path_of(value: str | os.PathLike[str]) -> Path:
    """``value`` as a Path."""
    return Path(value)
