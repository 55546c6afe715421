"""Per-entity random generators derived from one run seed.

A run has one integer seed. Every entity that draws random numbers gets its own
generator, derived from that seed and a stable key of the entity's name through
:class:`numpy.random.SeedSequence`. The key is a BLAKE2 digest of the name, never
Python's salted ``hash()``, so the same seed and name give the same stream in
every process and on every machine, and adding an entity never shifts the
streams of the others.
"""

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_SEED_BITS = 63


def name_key(name: str) -> list[int]:
    """Stable 128-bit key of ``name`` as four 32-bit words (for ``spawn_key``)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def seed_sequence(seed: int, name: str) -> np.random.SeedSequence:
    """The :class:`~numpy.random.SeedSequence` of entity ``name`` in a run seeded ``seed``."""
    return np.random.SeedSequence(entropy=seed, spawn_key=tuple(name_key(name)))


def derive_seed(seed: int, name: str) -> int:
    """A non-negative integer seed for entity ``name`` (for APIs that take an int)."""
    state = seed_sequence(seed, name).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 32 | int(state[1])) & ((1 << _SEED_BITS) - 1)


def generator(seed: int, name: str) -> np.random.Generator:
    """A fresh PCG64 generator for entity ``name`` in a run seeded ``seed``."""
    return np.random.default_rng(seed_sequence(seed, name))


@contextmanager
def controlled_global_random_state(seed: int) -> Iterator[None]:
    """Seed NumPy's and Python's global generators for one run, then restore them.

    SeQUeNCe draws from ``numpy.random``'s global state (BB84, Cascade) and from
    Python's :mod:`random` (some components). Inside this context both are seeded
    from ``seed``, so a run is reproducible; afterwards the caller's own global
    state is put back untouched.
    """
    saved_numpy = np.random.get_state()
    saved_python = random.getstate()
    np.random.seed(derive_seed(seed, "global.numpy") % (2**32))
    random.seed(derive_seed(seed, "global.python"))
    try:
        yield
    finally:
        np.random.set_state(saved_numpy)
        random.setstate(saved_python)
