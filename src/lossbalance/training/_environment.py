"""What decides a run's numbers besides its spec: threads, determinism, device, versions.

The same spec and seed give the same metrics on CPU only when the run's numerics are the
same too: torch's intra-op thread count changes how matrix products are split and so the
last bits of every loss (a study trial trained with 1 thread and its rerun with the
default 2 differed from about the 8th digit of the loss, and the metrics of the 300
generated patients in the 4th: validity 0.9876 against 0.9874). :func:`run_numerics`
applies a :class:`~lossbalance.training.TrainerConfig`'s ``threads`` and
``deterministic`` for the length of a training or a generation; :func:`run_environment`
records everything else that decides the numbers (library versions, device, CPU), so
that a rerun can say which setting differs (:func:`environment_differences`).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError

if TYPE_CHECKING:
    from lossbalance.training._config import TrainerConfig

#: The run folder's record of :func:`run_environment`.
ENVIRONMENT_FILE = "environment.json"

#: The distributions whose versions are recorded (what the numbers depend on).
LIBRARIES: tuple[str, ...] = ("lossbalance", "torch", "transformers", "numpy", "scipy")

#: The settings :func:`environment_differences` compares, in the order it reports them.
COMPARED: tuple[str, ...] = (
    "device",
    "cuda_device",
    "threads",
    "deterministic",
    "machine",
    "cpu",
    "python",
    *LIBRARIES,
)


@contextlib.contextmanager
def run_numerics(config: TrainerConfig) -> Iterator[None]:
    """Apply ``config.threads`` and ``config.deterministic`` for the ``with`` block.

    ``threads`` sets ``torch.set_num_threads`` (None leaves the process's setting);
    ``deterministic`` turns on ``torch.use_deterministic_algorithms`` (an operation
    without a deterministic implementation then raises) and sets
    ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless it is set (cuBLAS needs it for
    deterministic products on CUDA). Both are restored on exit.
    """
    import torch

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    if config.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _cpu() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run_environment(config: TrainerConfig) -> dict[str, Any]:
    """The settings a run under ``config`` computes with, as a JSON-ready mapping.

    Keys: ``device`` (``auto`` resolved), ``cuda_device`` (the GPU's name, or null),
    ``threads`` (torch's intra-op threads during the run), ``deterministic``,
    ``machine`` and ``cpu`` (architecture and CPU model), ``python`` and the version of
    each of :data:`LIBRARIES`.
    """
    import torch

    from lossbalance.training._trainer import resolve_device

    try:
        device = resolve_device(config.device)
    except LossbalanceError:  # no GPU: the trainer raises that, not this record
        device = torch.device(config.device)
    cuda = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return {
        "device": device.type,
        "cuda_device": cuda,
        "threads": int(config.threads if config.threads is not None else torch.get_num_threads()),
        "deterministic": bool(config.deterministic or torch.are_deterministic_algorithms_enabled()),
        "machine": platform.machine(),
        "cpu": _cpu(),
        "python": platform.python_version(),
        **{name: _version(name) for name in LIBRARIES},
    }


def environment_differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """``name: now X, recorded Y`` for each compared setting that differs (in order).

    Settings missing from ``recorded`` (an older record) are not compared.
    """
    out = []
    for key in COMPARED:
        if key in recorded and recorded[key] != current.get(key):
            out.append(f"{key}: {current.get(key)} here, {recorded[key]} recorded")
    return out


def write_environment(folder: Path, config: TrainerConfig) -> Path:
    """Write :func:`run_environment` to ``folder/environment.json`` (the run's record)."""
    text = json.dumps(run_environment(config), indent=2, sort_keys=True) + "\n"
    return write_text_atomic(folder / ENVIRONMENT_FILE, text)
