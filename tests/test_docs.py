"""Every docstring example in the package runs (as sqlglot's tests/test_docs.py does), so none goes stale."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mtsql_agents
import mtsql_env
import mtsql_trainers


def _modules() -> list[str]:
    names = []
    for package in (mtsql_env, mtsql_agents, mtsql_trainers):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(name for name in names if not name.endswith("__main__"))


@pytest.mark.parametrize("name", _modules())
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0, f"{failures} docstring example(s) failed in {name}"
