"""Scenarios: the schema, topology generators, the library, the runner and the CLI.

Top of the stack (``scenarios -> qkdn -> qtn -> sequence``)::

    from scenarios import load, run
    results = run(load("my.yaml"))
    results.tables["pairs"]          # a pandas DataFrame
    results.write("out/")            # Parquet tables + manifest.json

Every public name is loaded from its module on first use (PEP 562): the schema
imports pydantic, the loader the scenario checks, the results pyarrow (pandas only
when their tables are read) and the runner the simulators, and ``qnetsim --help``
needs none of them.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.errors import ScenarioError
    from scenarios.loader import from_dict, load, loads
    from scenarios.results import OutputError, Results
    from scenarios.runner import run
    from scenarios.schema import Scenario

#: Public name -> the module that defines it.
_HOMES = {
    "ScenarioError": "scenarios.errors",
    "from_dict": "scenarios.loader",
    "load": "scenarios.loader",
    "loads": "scenarios.loader",
    "OutputError": "scenarios.results",
    "Results": "scenarios.results",
    "run": "scenarios.runner",
    "Scenario": "scenarios.schema",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
    return getattr(import_module(home), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = ["OutputError", "Results", "Scenario", "ScenarioError", "from_dict", "load", "loads", "run"]
