"""Per-term loss and weight curves of an experiment's runs (matplotlib, PNG bytes).

The curves come from each run's ``log.jsonl`` (one record per epoch): the mean
training loss and the validation loss of every term, and the weight each term had at
the epoch's last step. One panel per term; one colour per run.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

Log = Sequence[Mapping[str, Any]]


def _terms(logs: Mapping[str, Log], key: str) -> list[str]:
    order = ["lm", "age", "sex", "validity"]
    seen: set[str] = set()
    for records in logs.values():
        for rec in records:
            seen.update(rec.get(key, {}) or {})
    return [t for t in order if t in seen] + sorted(seen - set(order))


def _figure(n_panels: int) -> tuple[Any, list[Any]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(n_panels, 4)
    fig, axes = plt.subplots(1, cols, figsize=(3.6 * cols, 3.0), squeeze=False)
    return fig, list(axes[0])


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


def _styles(n: int) -> list[dict[str, Any]]:
    """Markers and widths that differ per run, so that runs on top of each other show."""
    markers = "osD^v<>ph*"
    return [
        {
            "marker": markers[i % len(markers)],
            "ms": 7 - 4 * i / max(n - 1, 1),
            "lw": 2.4 - i / max(n, 1) * 1.6,
        }
        for i in range(n)
    ]


def loss_curves_png(logs: Mapping[str, Log]) -> bytes | None:
    """Validation (solid) and training (dashed) loss per term and epoch; None without logs."""
    terms = _terms(logs, "val") or _terms(logs, "train")
    if not terms:
        return None
    from matplotlib.ticker import MaxNLocator

    fig, axes = _figure(len(terms))
    colours = _colours(len(logs))
    for ax, term in zip(axes, terms, strict=False):
        for (label, records), colour, style in zip(
            logs.items(), colours, _styles(len(logs)), strict=True
        ):
            epochs = [int(r["epoch"]) + 1 for r in records]
            val = [float(r.get("val", {}).get(term, math.nan)) for r in records]
            tr = [float(r.get("train", {}).get(term, math.nan)) for r in records]
            ax.plot(epochs, val, color=colour, label=label, **style)
            ax.plot(epochs, tr, "--", color=colour, alpha=0.6, lw=style["lw"])
        ax.set_title(f"{term} loss (solid: val, dashed: train)", fontsize=8)
        ax.set_xlabel("epoch", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    return _png(fig)


def weight_curves_png(logs: Mapping[str, Log]) -> bytes | None:
    """Each term's weight at the end of every epoch, per run; None without logs."""
    terms = _terms(logs, "weights")
    if not terms:
        return None
    from matplotlib.ticker import MaxNLocator

    fig, axes = _figure(len(terms))
    colours = _colours(len(logs))
    for ax, term in zip(axes, terms, strict=False):
        values: list[float] = []
        for (label, records), colour, style in zip(
            logs.items(), colours, _styles(len(logs)), strict=True
        ):
            epochs = [int(r["epoch"]) + 1 for r in records]
            w = [float(r.get("weights", {}).get(term, math.nan)) for r in records]
            values.extend(v for v in w if math.isfinite(v) and v > 0)
            ax.plot(epochs, w, color=colour, label=label, **style)
        if values and max(values) / min(values) > 100:
            ax.set_yscale("log")
        ax.set_title(f"{term} weight", fontsize=8)
        ax.set_xlabel("epoch", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    return _png(fig)


def _colours(n: int) -> list[Any]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]
