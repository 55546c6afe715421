"""Machine learning inside the QKD network: learned policies and models that plug into scenarios, forecasts.

Imports NumPy and networkx only (no learning framework), so a scenario can run a
trained routing policy or learned source parameters on the core install; training and the
Gymnasium environment are in :mod:`scenarios.ml` and ``bench/`` (the ``ml`` extra).
"""
