"""JSON Schema of experiment spec files, for editors that validate YAML."""

from __future__ import annotations

from typing import Any

from lossbalance.spec._experiment import ExperimentSpec

SCHEMA_ID = "https://lossbalance.invalid/schemas/experiment-spec.json"


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a spec file, ``extends:`` included.

    Every section has defaults, so a file that only overrides a few fields of the
    spec it extends is valid against the schema too.
    """
    schema = ExperimentSpec.model_json_schema(mode="validation")
    props = dict(schema.get("properties", {}))
    props = {
        "extends": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
            ],
            "description": "spec file(s) this one builds on, relative to this file",
        },
        **props,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **{k: v for k, v in schema.items() if k != "properties"},
        "properties": props,
    }
