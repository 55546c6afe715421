"""The SeQUeNCe-backed entanglement engine (hardware and fast fidelity levels).

Every module of ``qtn`` that imports SeQUeNCe lives here, as SeQUeNCe keeps one
subpackage per layer, so a change of SeQUeNCe version touches this folder only:

* :mod:`~qtn.sequence_backed.adapter`: hardware descriptions to SeQUeNCe components, timelines, globals.
* :mod:`~qtn.sequence_backed.event_list`: a faster drop-in event list for SeQUeNCe's timeline.
* :mod:`~qtn.sequence_backed.protocols`: the fast heralded link, protocol observers, sequential swapping rules.
* :mod:`~qtn.sequence_backed.purification`: round-limited purification and swapping subclasses.
* :mod:`~qtn.sequence_backed.classical`: classical-only nodes and channels (for the QKD network).
* :mod:`~qtn.sequence_backed.messaging`: a per-node mailbox for our own classical messages.
* :mod:`~qtn.sequence_backed.app`: the entanglement request application on each router.
* :mod:`~qtn.sequence_backed.network`: :class:`~qtn.sequence_backed.network.EntanglementNetwork`,
  one implementation of :class:`qtn.engine.EntanglementEngine`.

Only this subpackage (and :mod:`qkdn.photon.sequence_bb84`) may import ``sequence``;
the import-linter contracts check it.
"""
