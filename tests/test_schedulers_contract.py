"""The scheduler contract over the whole registry, an entry-point plugin included."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lossbalance.schedulers import available_schedulers, get_scheduler_class
from lossbalance.testing import SchedulerContract, check_params_reject_out_of_range

BUILTINS = available_schedulers()
PLUGIN = "halving_plugin"

PLUGIN_SOURCE = '''
from __future__ import annotations
from typing import ClassVar
from pydantic import Field
from lossbalance.schedulers import SchedulerParams, WeightScheduler

class HalvingParams(SchedulerParams):
    start: float = Field(1.0, ge=0.0, le=100.0)
    every: int = Field(4, ge=1)

class HalvingScheduler(WeightScheduler):
    """Halves the weight every ``every`` steps (a third-party example)."""
    name = "halving_plugin"
    Params = HalvingParams
    max_terms = None
    example_params: ClassVar[dict] = {"start": 0.5, "every": 3}

    def weights(self, state):
        w = self.params.start * 0.5 ** (state.step // self.params.every)
        return dict.fromkeys(self.terms, w)
'''


def install_fake_dist(root: Path, dist: str, module: str, source: str, entry: str) -> None:
    """Write ``module.py`` and a ``dist-*.dist-info`` publishing ``entry`` in our group."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[lossbalance.schedulers]\n{entry}\n")


@pytest.fixture(scope="module")
def plugin_on_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("plugin")
    install_fake_dist(
        root,
        "halving-plugin",
        "halving_plugin_mod",
        PLUGIN_SOURCE,
        f"{PLUGIN} = halving_plugin_mod:HalvingScheduler",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(root))
        yield PLUGIN
        sys.modules.pop("halving_plugin_mod", None)


@pytest.fixture(params=[*BUILTINS, PLUGIN])
def family(request: pytest.FixtureRequest) -> str:
    if request.param == PLUGIN:
        request.getfixturevalue("plugin_on_path")
    return str(request.param)


class TestEveryFamily(SchedulerContract):
    """weights valid, state round trip, separate state, Params bounds: per family."""


def test_builtins_are_the_documented_ones() -> None:
    assert set(BUILTINS) >= {
        "fixed",
        "linear",
        "cosine",
        "exponential",
        "step",
        "warmup",
        "curriculum",
        "gradnorm",
        "uncertainty",
        "dwa",
    }


def test_plugin_is_listed_and_loaded(plugin_on_path: str) -> None:
    assert plugin_on_path in available_schedulers()
    cls = get_scheduler_class(plugin_on_path)
    assert cls.__name__ == "HalvingScheduler" and cls.name == plugin_on_path


@pytest.mark.parametrize("name", BUILTINS)
def test_every_family_documents_itself(name: str) -> None:
    cls = get_scheduler_class(name)
    assert cls.citation, f"{name} has no citation"
    assert cls.__doc__ and len(cls.__doc__) > 80
    assert check_params_reject_out_of_range(name) >= 1, f"{name} declares no bounds"
