"""Fuzzing the spec loader: whatever YAML comes in, the only failure is LossbalanceError.

Three kinds of documents, 1,000 examples in all: random nested documents built
from the spec's own vocabulary, the seed spec with random edits deep inside it
(so validation gets past the first level), and the seed spec's YAML text with
random characters inserted or deleted (syntax errors). Every spec that loads must
dump to YAML that loads back to an equal spec.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossbalance._errors import LossbalanceError
from lossbalance.spec import ExperimentSpec, check_spec_files, dump_spec, load_spec

ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = ROOT / "studies" / "seed_aux_weights.yaml"
SEED_TEXT = SEED_PATH.read_text(encoding="utf-8")
SEED_DOC = yaml.safe_load(SEED_TEXT)

KEYS = [
    "name", "description", "extends", "data", "source", "patients", "seed", "system", "path",
    "options", "model", "d_model", "attention_heads", "validity", "training", "epochs", "lr",
    "eval_every", "sampling", "temperature", "losses", "lm", "age", "sex", "schedule", "family",
    "params", "weight", "terms", "file", "phases", "weights", "until", "metric", "evaluation",
    "baseline", "checkpoint", "run_dir", "train", "label", "tiers", "conditions", "fallbacks",
    "tier", "stop", "first_reaching", "variants", "losses.age.schedule.params.weight",
    "training.epochs", "x", "",
]  # fmt: skip
WORDS = [
    "simulator", "mimic3", "mimic4", "table", "cohort", "fixed", "linear", "curriculum",
    "gradnorm", "best", "acceptable", "worst", "none", "all", "validity >= 0.95", "js < 0.3",
    "top100 > 1", "validity < 0.85", "cooccurrence > 20", "bogus >= 1", "js <= -1", ".",
    "nope.yaml", "spec.yaml", str(SEED_PATH), "0.001", "1e309", "-0", "~", "epoch",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers(-3, 3))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=30,
)
random_docs = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), values, max_size=8),
    values,
)


@st.composite
def edited_seed(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(SEED_DOC)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        parent: Any = None
        key: Any = None
        node: Any = doc
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            key = (
                draw(st.sampled_from(sorted(node, key=str)))
                if isinstance(node, dict)
                else draw(st.integers(min_value=0, max_value=len(node) - 1))
            )
            parent, node = node, node[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if parent is None:
            if action == "add" and isinstance(doc, dict):
                doc[draw(keys)] = draw(values)
            continue
        if action == "replace":
            parent[key] = draw(values)
        elif action == "delete":
            del parent[key]
        elif isinstance(node, dict):
            node[draw(keys)] = draw(values)
        elif isinstance(node, list):
            node.append(draw(values))
    return doc


NOISE = [":", "-", "[", "{", "\t", "  ", "'", "&a", "*a", "!!", "\n"]


@st.composite
def edited_text(draw: st.DrawFn) -> str:
    text = SEED_TEXT
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(NOISE)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
    return text


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


documents = st.one_of(
    random_docs.map(_dump),
    edited_seed().map(_dump),
    edited_text(),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / "out").mkdir()
    return path


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=documents)
def test_loader_never_lets_a_traceback_escape(folder: Path, text: str) -> None:
    path = folder / "spec.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        spec = load_spec(path)
        check_spec_files(spec)
    except LossbalanceError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return
    assert isinstance(spec, ExperimentSpec)
    again = load_spec(dump_spec(spec, folder / "out" / "again.yaml"))
    assert again == spec
