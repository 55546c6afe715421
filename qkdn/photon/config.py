"""Typed, frozen description of one photon-level BB84 link and of its post-processing.

The hardware comes from :mod:`qnetsim.core.hardware` (light source at Alice, detectors at Bob,
fibre); what is specific to a prepare-and-measure QKD link lives here: the channel's
polarization fidelity (SeQUeNCe's ``QuantumChannel.polarization_fidelity``: the
probability that a photon's polarization is left untouched), the sifted frame size and
the post-processing parameters.
"""

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from qnetsim.core.hardware import DetectorConfig, FibreConfig, HardwareModel, LightSourceConfig

if TYPE_CHECKING:  # distillation (Cascade, its messages) is imported when a link distils, not by the schema
    from qkdn.photon.distillation import DistillationSettings


class PostProcessingConfig(HardwareModel):
    """Parameters of the classical post-processing of each sifted frame.

    Attributes:
        sample_fraction: fraction of each frame disclosed to estimate the QBER.
        epsilon_estimation: failure probability of the Clopper-Pearson QBER upper bound.
        epsilon_correctness: probability bound that accepted keys differ (tag length
            ``ceil(log2(1 / eps_cor))``).
        epsilon_secrecy: secrecy parameter (finite-key formula only).
        key_length_formula: ``"asymptotic"`` (Shor-Preskill, GLLP for weak pulses),
            ``"finite_key"`` (Tomamichel et al. 2012; single-photon source assumed) or
            ``"infinite_key"`` (the fast key-rate models' accounting: the sample's error
            rate as exact, error correction charged ``f n h(Q)``; see
            :class:`qkdn.photon.distillation.DistillationSettings`).
        multi_photon_correction: apply GLLP's single-photon fraction to the asymptotic
            formula (weak coherent pulses without decoy states).
        error_correction_efficiency: ``f`` charged by the ``"infinite_key"`` accounting
            (a scenario sets it from ``qkd.error_correction_efficiency``, as for fast links).
        qber_tolerance: frames whose sample QBER exceeds it are dropped.
        n_cascade_passes: passes of Cascade error correction.
    """

    sample_fraction: float = Field(0.1, gt=0, lt=1)
    epsilon_estimation: float = Field(1e-9, gt=0, lt=1)
    epsilon_correctness: float = Field(1e-12, gt=0, lt=1)
    epsilon_secrecy: float = Field(1e-9, gt=0, lt=1)
    key_length_formula: Literal["asymptotic", "finite_key", "infinite_key"] = "asymptotic"
    multi_photon_correction: bool = True
    error_correction_efficiency: float = Field(1.16, ge=1)
    qber_tolerance: float = Field(0.11, ge=0, le=0.5)
    n_cascade_passes: int = Field(4, ge=1, le=16)

    def distillation_settings(self) -> "DistillationSettings":
        """The same parameters as the post-processing functions take them."""
        from qkdn.photon.distillation import DistillationSettings

        return DistillationSettings(
            error_correction_efficiency=self.error_correction_efficiency,
            sample_fraction=self.sample_fraction,
            epsilon_estimation=self.epsilon_estimation,
            epsilon_correctness=self.epsilon_correctness,
            epsilon_secrecy=self.epsilon_secrecy,
            key_length_formula=self.key_length_formula,
            qber_tolerance=self.qber_tolerance,
            n_cascade_passes=self.n_cascade_passes,
        )


class PhotonSourceConfig(HardwareModel):
    """Alice's source and basis choice on a photon-level link (decoy states or not).

    Attributes:
        kind: ``decoy`` (each pulse's mean photon number drawn from ``intensities``;
            single-photon yield and phase error bounded per block from the tallies,
            Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005)) or ``no_decoy`` (every pulse at the
            light source's ``mean_photon_number``; multi-photon pulses counted as
            insecure, GLLP, Quant. Inf. Comput. 4, 325 (2004)).
        intensities: ``(mu1, mu2, mu3)``: signal, weak decoy, vacuum (decoy only);
            ``mu1 > mu2 + mu3`` as in Lim et al., PRA 89, 022307 (2014), and ``mu3 = 0``
            (the vacuum bound of Ma et al.).
        intensity_probabilities: probability of each intensity (sum 1).
        z_basis_probability: probability that Alice (and, independently, Bob) picks the
            Z basis. With ``decoy`` the key is drawn from Z-basis detections and the X
            basis is the test basis (phase error); with ``no_decoy`` both bases give key.
        pulses: ``arrays`` (each train's photon numbers, losses, polarization noise and
            clicks drawn with NumPy, same model as SeQUeNCe's components) or ``photons``
            (every photon an event through SeQUeNCe's light source, channel, beam
            splitter and detectors: the reference).
    """

    kind: Literal["decoy", "no_decoy"] = "decoy"
    intensities: tuple[float, float, float] = (0.5, 0.1, 0.0)
    intensity_probabilities: tuple[float, float, float] = (0.7, 0.2, 0.1)
    z_basis_probability: float = Field(0.5, gt=0, lt=1)
    pulses: Literal["arrays", "photons"] = "arrays"

    @model_validator(mode="after")
    def _decoy_intensities(self) -> "PhotonSourceConfig":
        problem = decoy_intensity_problem(self.intensities, self.intensity_probabilities)
        if problem:
            raise ValueError(problem)
        return self


def decoy_intensity_problem(intensities: tuple[float, ...], probabilities: tuple[float, ...]) -> str | None:
    """What is wrong with a decoy source's intensities and probabilities, or None."""
    signal, decoy, vacuum = intensities
    if not signal > decoy + vacuum or decoy <= 0:
        return f"intensities: need mu1 > mu2 + mu3 and mu2 > 0; got {list(intensities)}"
    if vacuum != 0.0:
        return f"intensities: mu3 must be 0 (vacuum decoy); got {vacuum}"
    if any(p <= 0 for p in probabilities) or abs(sum(probabilities) - 1.0) > 1e-9:
        return f"intensity_probabilities: must be > 0 and sum to 1; got {list(probabilities)}"
    return None


class PhotonLinkConfig(HardwareModel):
    """One photon-level BB84 link from ``alice`` (transmitter) to ``bob`` (receiver).

    Attributes:
        name: link name (keys the random streams and the result rows).
        alice: name of the transmitting node.
        bob: name of the receiving node.
        length_km: fibre length.
        fibre: fibre attenuation and signal speed.
        light_source: Alice's weak coherent pulse source (its ``mean_photon_number``
            is the intensity of a ``no_decoy`` source).
        source: decoy states or not, basis choice, and how pulses are simulated.
        detector: each of Bob's two detectors.
        polarization_fidelity: probability that the channel leaves a photon's
            polarization untouched (otherwise it is randomised: QBER contribution
            ``(1 - F) / 2``).
        frame_bits: sifted bits per post-processed block.
        pulses_per_round: pulses per emission train; Bob reports detections once per train.
        postprocessing: parameters of estimation, correction, verification, amplification.
    """

    name: str = Field("alice-bob", min_length=1)
    alice: str = Field("alice", min_length=1)
    bob: str = Field("bob", min_length=1)
    length_km: float = Field(10.0, gt=0)
    fibre: FibreConfig = FibreConfig()
    light_source: LightSourceConfig = LightSourceConfig()
    source: PhotonSourceConfig = PhotonSourceConfig()
    detector: DetectorConfig = DetectorConfig()
    polarization_fidelity: float = Field(1.0, ge=0, le=1)
    frame_bits: int = Field(8192, ge=64)
    pulses_per_round: int = Field(65_536, ge=16)
    postprocessing: PostProcessingConfig = PostProcessingConfig()

    @model_validator(mode="after")
    def _distinct_ends(self) -> "PhotonLinkConfig":
        if self.alice == self.bob:
            raise ValueError(f"alice and bob must differ; both are {self.alice!r}")
        return self
