"""The SeQUeNCe-free core every layer imports: the bottom of the stack.

Errors (:mod:`~qnetsim.core.errors`), units (:mod:`~qnetsim.core.units`), seeded
randomness (:mod:`~qnetsim.core.randomness`), hardware descriptions
(:mod:`~qnetsim.core.hardware`), node roles (:mod:`~qnetsim.core.roles`), the
network spec (:mod:`~qnetsim.core.spec`), entanglement requests and deliveries
(:mod:`~qnetsim.core.requests`, :mod:`~qnetsim.core.delivery`) and the table rows
both entanglement engines write (:mod:`~qnetsim.core.bookkeeping`).

It imports no layer (``qtn``, ``qkdn``, ``scenarios``, ``analysis``) and no
simulator; every layer may import it (the import-linter contracts check both).
Import the modules themselves; this package re-exports nothing.
"""
