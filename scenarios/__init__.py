"""Scenarios: the schema, topology generators, the library, the runner and the CLI.

Top of the stack (``scenarios -> qkdn -> qtn -> sequence``)::

    from scenarios import load, run
    results = run(load("my.yaml"))
    results.tables["pairs"]          # a pandas DataFrame
    results.write("out/")            # Parquet tables + manifest.json
"""

from typing import TYPE_CHECKING, Any

from scenarios.errors import ScenarioError
from scenarios.loader import from_dict, load, loads
from scenarios.results import OutputError, Results
from scenarios.schema import Scenario

if TYPE_CHECKING:
    from scenarios.runner import run


def __getattr__(name: str) -> Any:
    # The runner imports SeQUeNCe (about 2 s); commands that only read scenarios skip it.
    if name == "run":
        from scenarios.runner import run

        return run
    raise AttributeError(f"module 'scenarios' has no attribute {name!r}")


__all__ = ["OutputError", "Results", "Scenario", "ScenarioError", "from_dict", "load", "loads", "run"]
