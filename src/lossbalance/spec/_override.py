"""Applying partial overrides: fallback variants, trained baselines, study trials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.spec._errors import validation_message
from lossbalance.spec._merge import KIND_KEYS, deep_merge, expand_dotted
from lossbalance.spec._paths import resolve_paths
from lossbalance.spec._tiers import NO_TIER

if TYPE_CHECKING:
    from lossbalance.spec._experiment import ExperimentSpec


def _inline_file_schedules(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Replace ``{file: ...}`` schedules of ``base`` by their content where
    ``override`` edits inside them (``params.weight``) without replacing them."""
    losses = override.get("losses")
    base_losses = base.get("losses")
    if not isinstance(losses, Mapping) or not isinstance(base_losses, dict):
        return base
    for term, term_override in losses.items():
        if not isinstance(term_override, Mapping):
            continue
        sched = term_override.get("schedule")
        current = base_losses.get(term)
        if (
            isinstance(sched, Mapping)
            and not any(k in sched for k in KIND_KEYS)
            and isinstance(current, dict)
            and isinstance(current.get("schedule"), dict)
            and "file" in current["schedule"]
        ):
            from lossbalance.spec._io import load_schedule_file

            content = load_schedule_file(Path(current["schedule"]["file"]))
            base = deep_merge(base, {})
            base["losses"][term]["schedule"] = content.model_dump(mode="json")
    return base


def merged_document(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` (dotted keys allowed) deep-merged into the spec document ``base``."""
    expanded = expand_dotted(override)
    return deep_merge(_inline_file_schedules(dict(base), expanded), expanded)


def apply_override(
    spec: ExperimentSpec,
    override: Mapping[str, Any],
    *,
    where: str = "override",
    prefix: tuple[str | int, ...] = (),
    base_dir: str | os.PathLike[str] | None = None,
) -> ExperimentSpec:
    """A new spec: ``spec`` with the partial ``override`` merged in (merge rules of
    :mod:`lossbalance.spec._merge`), validated.

    Args:
        spec: the spec to start from (not modified).
        override: nested or dotted mapping, e.g. ``{"training.epochs": 5}``.
        where: names the override's origin in error messages.
        prefix: location of the override inside ``where`` (for messages).
        base_dir: folder that relative paths in ``override`` are relative to (cwd).

    Raises:
        LossbalanceError: one line naming ``where`` and the field path, e.g. an
            override of a field that does not exist
            (``override: losses.age.schedule.weight: no such field``).
    """
    from lossbalance.spec._experiment import ExperimentSpec

    if not isinstance(override, Mapping):
        raise LossbalanceError(
            f"{where}: an override must be a mapping, got {type(override).__name__}"
        )
    resolved = resolve_paths(expand_dotted(override), Path(base_dir or os.getcwd()))
    doc = merged_document(spec.model_dump(mode="json"), resolved)
    try:
        out = ExperimentSpec.model_validate(doc)
    except ValidationError as exc:
        message = validation_message(exc, doc, where, prefix=prefix, model=ExperimentSpec)
        raise LossbalanceError(message) from None
    out._source = spec.source
    return out


@dataclass(frozen=True)
class ResolvedVariant:
    """A fallback variant turned into a complete spec.

    Attributes:
        plan_index: position of its plan in ``spec.fallbacks``.
        variant_index: position in the plan's variants.
        tier: the tier that triggers the plan.
        name: the variant's name.
        spec: the main spec with the variant's override applied and no fallback
            plans of its own (variants do not cascade).
    """

    plan_index: int
    variant_index: int
    tier: str
    name: str
    spec: ExperimentSpec

    @property
    def field_path(self) -> str:
        """``fallbacks[i].variants[j]``: where the variant is written in the spec."""
        return f"fallbacks[{self.plan_index}].variants[{self.variant_index}]"


def plan_for(spec: ExperimentSpec, tier: str | None) -> int | None:
    """Index of the fallback plan triggered by outcome ``tier`` (None: no tier), if any."""
    key = NO_TIER if tier is None else tier
    for i, plan in enumerate(spec.fallbacks):
        if plan.tier == key:
            return i
    return None


def resolve_variants(spec: ExperimentSpec, plan: int | str | None) -> list[ResolvedVariant]:
    """The variants of a fallback plan as complete specs, in run order.

    Args:
        spec: the main spec.
        plan: the plan's index in ``spec.fallbacks``, or an outcome tier name (None
            or ``"none"``: the plan for no tier). A tier without a plan gives ``[]``.
    """
    index: int | None
    if isinstance(plan, bool):
        raise LossbalanceError(f"{spec.source}: a plan is an index or a tier name, not {plan!r}")
    if isinstance(plan, int):
        if not 0 <= plan < len(spec.fallbacks):
            raise LossbalanceError(
                f"{spec.source}: fallbacks[{plan}]: no such plan (the spec has "
                f"{len(spec.fallbacks)})"
            )
        index = plan
    else:
        index = plan_for(spec, plan)
    if index is None:
        return []
    chosen = spec.fallbacks[index]
    base = spec.model_copy(update={"fallbacks": []})
    out = []
    for j, variant in enumerate(chosen.variants):
        resolved = apply_override(
            base,
            variant.override(),
            where=spec.source,
            prefix=("fallbacks", index, "variants", j),
        )
        out.append(ResolvedVariant(index, j, chosen.tier, variant.name, resolved))
    return out


def resolve_baseline(spec: ExperimentSpec) -> ExperimentSpec | None:
    """The spec the runner trains as the baseline (``baseline.train``), else None."""
    if spec.baseline is None or spec.baseline.train is None:
        return None
    base = spec.model_copy(update={"fallbacks": [], "baseline": None})
    return apply_override(
        base,
        spec.baseline.train.override(),
        where=spec.source,
        prefix=("baseline", "train"),
    )
