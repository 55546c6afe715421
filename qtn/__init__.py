"""Quantum teleportation networks: physical and entanglement layers.

Lowest simulator layer of the stack (``scenarios -> qkdn -> qtn -> sequence``),
on top of the SeQUeNCe-free core :mod:`qnetsim.core`. Two engines implement
:class:`qtn.engine.EntanglementEngine`: the SeQUeNCe-backed one in
:mod:`qtn.sequence_backed` (the only modules here that import SeQUeNCe; hardware
and fast fidelity levels) and the network-scale one in :mod:`qtn.netscale`.
"""
