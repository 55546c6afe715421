"""Analysis of result folders written by ``qnetsim``: it reads files, never the simulator.

from analysis import load_run
run = load_run("results/entanglement-chain")
run.tables["pairs"].groupby("n_hops")["fidelity"].mean()
"""

from analysis.load import Run, load_run, load_table

__all__ = ["Run", "load_run", "load_table"]
