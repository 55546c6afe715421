"""BBM92 over the entanglement network: end-to-end keys from delivered pairs, no trusted node.

Every end-to-end pair the repeater network delivers between two users is
measured at once by both, each in a basis (Z or X) of its own choice. With the
pair's Bell-diagonal state [Phi+, Phi-, Psi+, Psi-], matching bases give
perfectly correlated bits except for the Pauli errors that flip that basis:

    QBER_Z = p(Psi+) + p(Psi-),      QBER_X = p(Phi-) + p(Psi-),

so the error rate follows from the delivered fidelity (1 - F for a Werner pair
gives QBER = 2(1 - F)/3 in both bases). Pairs measured in different bases are
sifted out. The sifted bits are collected into frames and distilled exactly as
a photon-level BB84 frame (parameter estimation, Cascade, verification, Toeplitz
privacy amplification; :func:`qkdn.photon.distillation.distil`), so each
accepted frame leaves identical secret keys at the two users; the frame's row
goes to the ``link_blocks`` table (link ``src~dst bbm92``).

The same session feeds the key pools of a repeater segment in a hybrid network
(:mod:`qkdn.segments`): ``on_key`` receives each accepted frame's keys when its
post-processing ends, and puts them into the segment link's pools.

References:
    C. H. Bennett, G. Brassard, N. D. Mermin, Phys. Rev. Lett. 68, 557 (1992);
    X. Ma, C.-H. F. Fung, H.-K. Lo, Phys. Rev. A 76, 012307 (2007).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdn.photon.distillation import DistillationSettings, distil
from qtn.entanglement_app import PairDelivery

#: Indices of the Bell-diagonal coefficients whose Pauli error flips a Z or an X measurement.
_FLIPS = {"Z": (2, 3), "X": (1, 3)}


def basis_qber(state: tuple[float, float, float, float], basis: str) -> float:
    """Probability that matching-basis outcomes differ: QBER_Z = p(Psi+)+p(Psi-), QBER_X = p(Phi-)+p(Psi-)."""
    return float(sum(state[i] for i in _FLIPS[basis]))


@dataclass
class BBM92Session:
    """Measures delivered pairs at both users, sifts them and distils frames into secret keys.

    Attributes:
        name: session name (``src~dst bbm92``).
        frame_bits: sifted bits per distilled frame.
        settings: post-processing parameters.
        rngs: generators of the users' basis choices (``alice``, ``bob``), of the
            measurement outcomes (``nature``) and of post-processing (``alice_pp``, ``bob_pp``).
        classical_delay_s: one-way delay between the users (post-processing messages).
        schedule: ``schedule(time_s, function, *args)`` on the timeline.
        on_block: receives each frame's ``link_blocks`` row.
        on_key: if given, receives ``(block name, key at alice, key at bob)`` of each
            accepted frame when its post-processing ends (at the row's ``t_s``).
        keep_keys: keep every accepted frame's keys in :attr:`keys` (for tests and
            end-to-end use; a segment's keys live in its pools instead).
    """

    name: str
    frame_bits: int
    settings: DistillationSettings
    rngs: dict[str, np.random.Generator]
    classical_delay_s: float
    schedule: Callable[..., None]
    on_block: Callable[[dict[str, Any]], None]
    on_key: Callable[[str, np.ndarray, np.ndarray], object] | None = None
    keep_keys: bool = True
    keys: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)
    n_pairs: int = 0
    n_frames: int = 0
    _alice: list[int] = field(default_factory=list, repr=False)
    _bob: list[int] = field(default_factory=list, repr=False)

    def on_pair(self, pair: PairDelivery) -> None:
        """Both users measure the pair; keep the bits when their bases match."""
        self.n_pairs += 1
        basis_a = "ZX"[int(self.rngs["alice"].integers(2))]
        basis_b = "ZX"[int(self.rngs["bob"].integers(2))]
        nature = self.rngs["nature"]
        bit_a = int(nature.integers(2))
        if basis_a != basis_b:
            nature.random()  # keep the outcome stream aligned whatever the bases
            return
        flipped = nature.random() < basis_qber(pair.state, basis_a)
        self._alice.append(bit_a)
        self._bob.append(bit_a ^ int(flipped))
        if len(self._alice) >= self.frame_bits:
            self._distil(pair.time_ps * 1e-12)

    def _distil(self, now_s: float) -> None:
        alice = np.asarray(self._alice, dtype=np.uint8)
        bob = np.asarray(self._bob, dtype=np.uint8)
        self._alice, self._bob = [], []
        outcome = distil(alice, bob, self.settings, self.rngs["alice_pp"], self.rngs["bob_pp"])
        index = self.n_frames
        self.n_frames += 1
        if outcome.accepted and self.keep_keys:
            self.keys.append((outcome.alice_key, outcome.bob_key))
        row = {
            "t_s": now_s + outcome.n_messages * self.classical_delay_s,
            "link": self.name,
            "sifted_bits": outcome.n_sifted_bits,
            "qber": outcome.qber_estimate,
            "disclosed_bits": outcome.disclosed_bits,
            "secret_bits": outcome.secret_bits,
            "source": "simulated",
            "asymptotic_secret_bits": outcome.asymptotic_secret_bits,
            "finite_secret_bits": outcome.finite_secret_bits,
            "key_length": outcome.key_length,
        }
        self.schedule(row["t_s"], self.on_block, row)
        if outcome.accepted and self.on_key is not None:
            self.schedule(row["t_s"], self.on_key, f"{self.name}#{index}", outcome.alice_key, outcome.bob_key)
