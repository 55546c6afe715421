"""QKD networks: link key generation, key pools, trusted relays, routing and key delivery.

Middle layer of the stack (``scenarios -> qkdn -> qtn -> sequence``): it may use
``qtn``'s hardware descriptions and adapter, never the other way round.
"""
