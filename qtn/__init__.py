"""Quantum teleportation networks: physical and entanglement layers on SeQUeNCe.

Lowest layer of the stack (``scenarios -> qkdn -> qtn -> sequence``). Only
:mod:`qtn.sequence_adapter` and :mod:`qtn.entanglement_app` import SeQUeNCe;
everything else here talks to typed descriptions of our own.
"""

from qtn.errors import ConfigError, QNetSimError, SimulationError

__all__ = ["ConfigError", "QNetSimError", "SimulationError"]
