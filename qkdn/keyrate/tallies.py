"""Per-block detection tallies of a decoy-state BB84 link: the input of the finite-key bounds.

One :class:`DecoyTallies` describes one post-processing block of a prepare-and-measure
link whose source draws each pulse's mean photon number from a small set (signal, weak
decoys, vacuum). The photon-level link fills it from the receiver's clicks (counted per
intensity and per basis, after sifting); the finite-key analysis of C. C. W. Lim,
M. Curty, N. Walenta, F. Xu, H. Zbinden, "Concise security bounds for practical
decoy-state quantum key distribution", Phys. Rev. A 89, 022307 (2014) reads it, in their
notation ``n_{Z,k}``, ``m_{Z,k}``, ``n_{X,k}``, ``m_{X,k}`` for intensity ``k``. The key is
drawn from the Z (key) basis; the X (test) basis bounds the phase error.

Only counts live here, never key bits.
"""

from dataclasses import dataclass

from qnetsim.core.errors import ConfigError


@dataclass(frozen=True)
class DecoyTallies:
    """Sifted detections and errors of one block, per intensity and basis.

    Attributes:
        intensities: mean photon number of each intensity class, signal first
            (e.g. ``(0.5, 0.1, 0.0)``).
        intensity_probabilities: probability that a pulse is sent at each intensity (sums to 1).
        key_detections: sifted Z-basis detections per intensity (``n_{Z,k}``).
        key_errors: Z-basis detections whose bit disagrees, per intensity (``m_{Z,k}``).
        test_detections: sifted X-basis detections per intensity (``n_{X,k}``).
        test_errors: X-basis errors per intensity (``m_{X,k}``).
        pulses_sent: pulses the source emitted for this block (all intensities and bases).
    """

    intensities: tuple[float, ...]
    intensity_probabilities: tuple[float, ...]
    key_detections: tuple[int, ...]
    key_errors: tuple[int, ...]
    test_detections: tuple[int, ...]
    test_errors: tuple[int, ...]
    pulses_sent: int

    def __post_init__(self) -> None:
        sizes = {
            "intensity_probabilities": len(self.intensity_probabilities),
            "key_detections": len(self.key_detections),
            "key_errors": len(self.key_errors),
            "test_detections": len(self.test_detections),
            "test_errors": len(self.test_errors),
        }
        for name, size in sizes.items():
            if size != len(self.intensities):
                raise ConfigError(
                    f"DecoyTallies.{name}: {size} entries for {len(self.intensities)} intensities"
                )
        if any(mu < 0 for mu in self.intensities):
            raise ConfigError(f"DecoyTallies.intensities: {self.intensities} has a negative mean photon number")
        total = sum(self.intensity_probabilities)
        if any(p < 0 for p in self.intensity_probabilities) or abs(total - 1.0) > 1e-9:
            raise ConfigError(
                f"DecoyTallies.intensity_probabilities: {self.intensity_probabilities} must be >= 0 and sum to 1"
            )
        for name, detections, errors in (
            ("key", self.key_detections, self.key_errors),
            ("test", self.test_detections, self.test_errors),
        ):
            for k, (n, m) in enumerate(zip(detections, errors, strict=True)):
                if n < 0 or m < 0 or m > n:
                    raise ConfigError(f"DecoyTallies.{name}_errors[{k}]: {m} errors for {n} detections")
        if self.pulses_sent < sum(self.key_detections) + sum(self.test_detections):
            raise ConfigError(f"DecoyTallies.pulses_sent: {self.pulses_sent} is fewer than the detections")

    @property
    def key_bits(self) -> int:
        """Sifted Z-basis bits of the block over all intensities (``n_Z``)."""
        return sum(self.key_detections)
