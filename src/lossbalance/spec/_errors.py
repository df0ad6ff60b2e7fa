"""Turning validation failures into one line: ``FILE: field.path[0].x: what is wrong``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from lossbalance._errors import LossbalanceError

Loc = tuple[str | int, ...]

_FIELD_LEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[\d+\])*): ")
"""A validator message that starts with ``field.path: `` names a field below its own."""


def _split_field_path(text: str) -> Loc:
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        if part.startswith("["):
            out.append(int(part[1:-1]))
        elif part.isdigit():
            out.append(int(part))
        else:
            out.append(part)
    return tuple(out)


class SpecFieldError(ValueError):
    """A validator's complaint about a field below the one it validates.

    Raised inside pydantic validators; :func:`validation_message` appends ``loc`` to
    the location pydantic reports, so the message names the exact field.
    """

    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.loc: Loc = tuple(loc)
        self.message = message


def format_loc(loc: Sequence[Any]) -> str:
    """``("fallbacks", 0, "variants", 1, "losses")`` -> ``fallbacks[0].variants[1].losses``."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif part == "":
            out += ("." if out else "") + "''"
        else:
            out += ("." if out else "") + str(part)
    return out


def clean_loc(loc: Sequence[Any], data: Any, keep_last: bool = False) -> Loc:
    """Drop the parts of a pydantic location that are not in the input document.

    Pydantic puts union tags (``simulator``), type labels (``function-after[...]``) and
    ``[key]`` markers in locations; walking the input keeps only real keys and
    indices. With ``keep_last`` the last part is kept even when absent (a missing field).
    """
    out: list[str | int] = []
    node = data
    parts = list(loc)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, Sequence)
            and not isinstance(node, str | bytes)
            and isinstance(part, int)
            and -len(node) <= part < len(node)
        ):
            out.append(part)
            node = node[part]
        elif keep_last and last and not (isinstance(part, str) and "[" in part):
            out.append(part)
        else:
            continue
    return tuple(out)


def _short(value: Any) -> str | None:
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    if isinstance(value, str) and len(value) <= 60:
        return repr(value)
    return None


def _first_error(exc: ValidationError, data: Any) -> tuple[Loc, str]:
    err = exc.errors(include_url=False)[0]
    loc = clean_loc(err["loc"], data, keep_last=err["type"] == "missing")
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, SpecFieldError):
        return loc + cause.loc, cause.message
    if isinstance(cause, LossbalanceError):
        return loc, str(cause)
    kind = err["type"]
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if kind in ("value_error", "assertion_error"):
        lead = _FIELD_LEAD.match(msg)
        if lead is not None:
            loc, msg = loc + _split_field_path(lead[1]), msg[lead.end() :]
    if kind == "extra_forbidden":
        msg = "no such field"
    elif kind == "missing":
        msg = "required field missing"
    elif kind not in ("value_error", "assertion_error"):
        shown = _short(err.get("input"))
        if shown is not None:
            msg = f"{msg} (got {shown})"
    return loc, msg


def error_loc_and_message(exc: ValidationError, data: Any) -> tuple[Loc, str, int]:
    """The first error's clean location, its message, and how many errors there were."""
    loc, msg = _first_error(exc, data)
    return loc, msg, exc.error_count()


def validation_message(
    exc: ValidationError,
    data: Any,
    source: str,
    prefix: Loc = (),
    model: Any = None,
) -> str:
    """One line for a ValidationError: ``source: loc: message (and N more errors)``.

    Args:
        exc: the pydantic error.
        data: the document that was validated (to clean the locations).
        source: the file (or ``<dict>``) the document came from.
        prefix: location of the validated document inside a larger one.
        model: the model class of the whole document, to list the allowed fields
            when the error is an unknown field.
    """
    loc, msg, count = error_loc_and_message(exc, data)
    if msg == "no such field" and model is not None:
        allowed = fields_at(model, loc, data)
        if allowed:
            msg += f" (allowed: {', '.join(allowed)})"
    loc = prefix + loc
    where = format_loc(loc)
    more = f" (and {count - 1} more error{'s' if count > 2 else ''})" if count > 1 else ""
    return f"{source}: {where + ': ' if where else ''}{msg}{more}"


def spec_error(source: str, loc: Sequence[Any], message: str) -> LossbalanceError:
    """A LossbalanceError naming ``source`` and the field at ``loc``."""
    where = format_loc(loc)
    return LossbalanceError(f"{source}: {where + ': ' if where else ''}{message}")


def _unwrap(tp: Any) -> Any:
    import typing

    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        else:
            return tp


def _members(tp: Any) -> list[Any]:
    import types
    import typing

    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_members(arg))
        return out
    return [tp]


def _pick_model(candidates: list[Any], node: Any, ignore: Any) -> Any:
    from pydantic import BaseModel

    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    if len(models) > 1 and isinstance(node, Mapping):
        keys = {k for k in node if k != ignore}
        models = [m for m in models if keys <= set(m.model_fields)]
        for key in ("source", "family", "file"):
            if key in node and len(models) > 1:
                models = [m for m in models if key in m.model_fields]
                models = [
                    m
                    for m in models
                    if not _is_literal(m.model_fields[key].annotation)
                    or node[key] in _literal_args(m.model_fields[key].annotation)
                ]
    return models[0] if len(models) == 1 else None


def _is_literal(tp: Any) -> bool:
    import typing

    return typing.get_origin(_unwrap(tp)) is typing.Literal


def _literal_args(tp: Any) -> tuple[Any, ...]:
    import typing

    return typing.get_args(_unwrap(tp))


def fields_at(model: Any, loc: Sequence[Any], data: Any) -> list[str] | None:
    """The fields allowed beside the unknown field at ``loc`` (best effort, else None).

    Walks the model's type annotations along ``loc[:-1]``; ``data`` (the document)
    picks the member of a union. Partial-override sections (fallback variants,
    ``baseline.train``) are followed into the spec's own sections.
    """
    import typing

    from lossbalance.spec._sections import SECTION_NAMES, PartialSpec

    if not loc:
        return None
    tp: Any = model
    node = data
    bad = loc[-1]
    for part in loc[:-1]:
        members = _members(tp)
        origin = typing.get_origin(members[0]) if len(members) == 1 else None
        if origin in (dict, Mapping):
            tp = typing.get_args(members[0])[1]
        elif origin in (list, tuple, Sequence):
            tp = typing.get_args(members[0])[0]
        else:
            chosen = _pick_model(members, node, None)
            if chosen is None or part not in chosen.model_fields:
                return None
            if issubclass(chosen, PartialSpec) and part in SECTION_NAMES:
                tp = model.model_fields[part].annotation
            else:
                tp = chosen.model_fields[part].annotation
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        found = (isinstance(node, Mapping) and part in node) or in_list
        node = node[part] if found else None
    chosen = _pick_model(_members(tp), node, bad)
    return None if chosen is None else list(chosen.model_fields)
