"""The ``lossbalance`` command line: a thin layer over the library's functions.

Each command group lives in its own module with a ``register(app)`` function.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from lossbalance._errors import LossbalanceError
from lossbalance.cli import _data, _evaluate, _run, _schedulers, _spec, _study, _train

app = typer.Typer(
    name="lossbalance",
    help="Curricula, loss-weight schedules and multi-objective studies for EHR generators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Curricula, loss-weight schedules and multi-objective studies for EHR generators."""


@app.command()
def version() -> None:
    """Print the installed lossbalance version."""
    from lossbalance import __version__

    typer.echo(__version__)


for _module in (_data, _evaluate, _train, _schedulers, _spec, _run, _study):
    _module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    A :class:`LossbalanceError` prints one line on stderr (no traceback) and gives 2,
    as do usage errors.
    """
    try:
        app(args=argv, prog_name="lossbalance")
    except LossbalanceError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
