"""Network-scale entanglement distribution: the repeater protocol per protocol step, without SeQUeNCe.

The ``network`` fidelity level. Link pairs are sampled (time to success and
heralded state from the same hardware numbers as the photon-level model) and
the layer above them (reservations, purification, swapping, delivery) runs as
one event per protocol step on a small event loop of its own, with the
classical delays and timing of SeQUeNCe's protocol. See :mod:`qtn.netscale.engine`.
"""

from qtn.netscale.engine import NetworkScaleNetwork

__all__ = ["NetworkScaleNetwork"]
