"""Scenarios: the schema, topology generators, the library, the runner and the CLI.

Top of the stack (``scenarios -> qkdn -> qtn -> sequence``)::

    from scenarios import load, run
    results = run(load("my.yaml"))
    results.tables["pairs"]          # a pandas DataFrame
    results.write("out/")            # Parquet tables + manifest.json
"""

from scenarios.errors import ScenarioError
from scenarios.loader import from_dict, load, loads
from scenarios.results import OutputError, Results
from scenarios.runner import run
from scenarios.schema import Scenario

__all__ = ["OutputError", "Results", "Scenario", "ScenarioError", "from_dict", "load", "loads", "run"]
