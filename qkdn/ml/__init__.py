"""Machine learning inside the QKD network: what learned policies see and how they decide.

Imports NumPy and networkx only (no learning framework), so a scenario can run a
trained policy on the core install; training and the Gymnasium environment are
in :mod:`scenarios.ml` (the ``ml`` extra).
"""
