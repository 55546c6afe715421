"""Learned source parameters of finite-key decoy BB84: a regression model of the optimiser's answer.

:class:`~qkdn.keyrate.finite_models.DecoyBB84FiniteModel` finds the signal and decoy
intensities, their probabilities and the key-basis probability that maximise the
finite-key rate of Lim et al. (2014) by a Sobol scan and Nelder-Mead: about a second
per link. Following W. Wang and H.-K. Lo, Phys. Rev. A 100, 062334 (2019), a small
neural network trained on that optimiser's answers predicts the five settings from
the link's description in microseconds; the rate is then the same finite-key formula
evaluated at the predicted settings (no approximation of the rate itself).

Inputs (features): the channel loss ``-10 log10(eta)`` in dB (fibre and detector
together: the rate depends on attenuation, length and detector efficiency only
through eta), log10 of the dark-count probability Y0, e_det, f and log10 of the block
size; eps_sec and eps_cor are those of the scenarios' defaults. Outputs: the optimiser's own coordinates
(:func:`coordinates_of`). The network is a multi-layer perceptron trained with
scikit-learn (``bench/train_parameter_model.py``); its weights ship as JSON and are
evaluated here with NumPy, so loading the model runs no code from the file (no pickle)
and needs no scikit-learn.

Outside the box it was trained on (:data:`TRAINING_DOMAIN`; mu3 = 2e-4, no
afterpulses, eps_sec = 1e-9, eps_cor = 1e-12), or where the predicted settings leave no key, the model does not guess:
it falls back to the numerical optimiser and logs why.

References:
    C. C. W. Lim, M. Curty, N. Walenta, F. Xu, H. Zbinden, Phys. Rev. A 89, 022307 (2014).
    W. Wang, H.-K. Lo, "Machine learning for optimal parameter prediction in quantum
    key distribution", Phys. Rev. A 100, 062334 (2019).
"""

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from qkdn.keyrate.finite_models import DecoyBB84FiniteModel, DecoyChoice
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qnetsim.core.errors import ConfigError

__all__ = [
    "FEATURE_NAMES",
    "TARGET_NAMES",
    "TRAINING_DOMAIN",
    "LearnedDecoyBB84FiniteModel",
    "ParameterNetwork",
    "choice_from_coordinates",
    "coordinates_of",
    "domain_problem",
    "features_of",
    "load_parameter_network",
]

logger = logging.getLogger(__name__)

FEATURE_NAMES = (
    "channel_loss_db",
    "log10_dark_count_probability",
    "misalignment_error",
    "error_correction_efficiency",
    "log10_block_bits",
)
TARGET_NAMES = (
    "key_basis_logit",
    "signal_probability_log_ratio",
    "decoy_probability_log_ratio",
    "log_signal_excess",
    "decoy_share_logit",
)
#: The box of features the shipped network was trained on (inclusive bounds).
TRAINING_DOMAIN: dict[str, tuple[float, float]] = {
    "channel_loss_db": (0.0, 50.0),
    "log10_dark_count_probability": (-8.0, -4.5),
    "misalignment_error": (0.0, 0.05),
    "error_correction_efficiency": (1.0, 1.3),
    "log10_block_bits": (5.0, 11.0),
}
#: Fixed settings of the training cases: Lim et al.'s mu3, no afterpulses, and the scenario
#: defaults of eps_sec and eps_cor (``qkd.postprocessing``).
TRAINED_WEAKEST_MEAN_PHOTON_NUMBER = 2e-4
TRAINED_AFTERPULSE_PROBABILITY = 0.0
TRAINED_EPS_SEC = 1e-9
TRAINED_EPS_COR = 1e-12
#: Shipped network (weights as JSON, written by bench/train_parameter_model.py).
DEFAULT_NETWORK_FILE = "decoy_bb84_finite_parameters.json"
#: Dark-count probability floor of the features (Y0 = 0 has no logarithm; it lies outside the domain anyway).
_LOG_FLOOR = 1e-300


def features_of(transmittance: float, hardware: KeyRateHardwareConfig, block_bits: float) -> np.ndarray:
    """The network's input for one link (order of :data:`FEATURE_NAMES`).

    >>> from qkdn.keyrate.hardware import GYS
    >>> [round(float(v), 3) for v in features_of(0.01, GYS, 1e8)][:2]
    [20.0, -5.77]
    """
    return np.array(
        [
            -10.0 * math.log10(max(transmittance, _LOG_FLOOR)),
            math.log10(max(hardware.dark_count_probability, _LOG_FLOOR)),
            hardware.misalignment_error,
            hardware.error_correction_efficiency,
            math.log10(block_bits),
        ]
    )


def domain_problem(features: np.ndarray) -> str | None:
    """Why ``features`` lie outside :data:`TRAINING_DOMAIN`, or None if inside.

    >>> domain_problem(np.array([60.0, -6, 0.01, 1.1, 8]))
    'channel_loss_db = 60 outside the trained range [0, 50]'
    """
    for name, value in zip(FEATURE_NAMES, features, strict=True):
        low, high = TRAINING_DOMAIN[name]
        if not low <= value <= high:
            return f"{name} = {value:.4g} outside the trained range [{low:g}, {high:g}]"
    return None


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def coordinates_of(choice: DecoyChoice) -> np.ndarray:
    """The optimiser's coordinates of ``choice`` (order of :data:`TARGET_NAMES`).

    logit q_Z, log(p1 / p3), log(p2 / p3), log(mu1 - 2 mu3), logit((mu2 - mu3) / (mu1 - 2 mu3)):
    the unconstrained coordinates in which ``DecoyBB84FiniteModel.optimum`` searches.
    """
    mu1, mu2, mu3 = choice.intensities
    p1, p2, p3 = choice.probabilities
    excess = mu1 - 2.0 * mu3
    return np.array(
        [
            _logit(choice.key_basis_probability),
            math.log(p1 / p3),
            math.log(p2 / p3),
            math.log(excess),
            _logit((mu2 - mu3) / excess),
        ]
    )


def choice_from_coordinates(coordinates: np.ndarray, weakest: float) -> DecoyChoice:
    """Settings from coordinates (inverse of :func:`coordinates_of`), clipped to valid settings.

    The clip is the optimiser's: key basis at least 5 %, mu1 <= 1.5 + 2 mu3, logits within +-8.
    """
    q_logit, log_ratio_1, log_ratio_2, log_excess, share_logit = np.clip(
        coordinates, [-3.0, -8.0, -8.0, -8.0, -8.0], [8.0, 8.0, 8.0, math.log(1.5), 8.0]
    )
    weights = np.exp([log_ratio_1, log_ratio_2, 0.0])
    probabilities = weights / weights.sum()
    mu1 = 2.0 * weakest + math.exp(log_excess)
    mu2 = weakest + (mu1 - 2.0 * weakest) / (1.0 + math.exp(-share_logit))
    return DecoyChoice(
        (mu1, mu2, weakest),
        (float(probabilities[0]), float(probabilities[1]), float(probabilities[2])),
        1.0 / (1.0 + math.exp(-q_logit)),
    )


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"relu": _relu, "tanh": np.tanh}


@dataclass(frozen=True)
class ParameterNetwork:
    """A trained multi-layer perceptron: standardised features -> standardised coordinates.

    Attributes:
        weights: one (n_in, n_out) matrix per layer.
        biases: one vector per layer.
        activation: hidden-layer activation, ``relu`` or ``tanh`` (the output layer is linear).
        feature_mean, feature_scale: standardisation of the inputs.
        target_mean, target_scale: standardisation of the outputs.
        metadata: how the network was trained (seed, case counts, library versions).
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activation: str
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    target_mean: np.ndarray
    target_scale: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Coordinates for each row of ``features`` (shape (n, 5) -> (n, 5)); a 1-D input gives 1-D output."""
        x = (np.atleast_2d(features) - self.feature_mean) / self.feature_scale
        last = len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = x @ weight + bias
            if index < last:
                x = _ACTIVATIONS[self.activation](x)
        out = x * self.target_scale + self.target_mean
        return out[0] if np.ndim(features) == 1 else out

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (lists of numbers) that :meth:`from_json` reads back."""
        return {
            "format": "qnetsim-mlp-1",
            "features": list(FEATURE_NAMES),
            "targets": list(TARGET_NAMES),
            "activation": self.activation,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "feature_mean": self.feature_mean.tolist(),
            "feature_scale": self.feature_scale.tolist(),
            "target_mean": self.target_mean.tolist(),
            "target_scale": self.target_scale.tolist(),
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ParameterNetwork":
        """Check and read data written by :meth:`to_json`.

        Raises:
            ConfigError: wrong format, features or targets, unknown activation, or shapes that do not chain.
        """
        if data.get("format") != "qnetsim-mlp-1":
            raise ConfigError(f"parameter network: format must be 'qnetsim-mlp-1'; got {data.get('format')!r}")
        if tuple(data.get("features", ())) != FEATURE_NAMES or tuple(data.get("targets", ())) != TARGET_NAMES:
            raise ConfigError("parameter network: features or targets differ from this version's")
        if data.get("activation") not in _ACTIVATIONS:
            raise ConfigError(f"parameter network: activation must be relu or tanh; got {data.get('activation')!r}")
        weights = tuple(np.asarray(w, dtype=float) for w in data["weights"])
        biases = tuple(np.asarray(b, dtype=float) for b in data["biases"])
        width = len(FEATURE_NAMES)
        for weight, bias in zip(weights, biases, strict=True):
            if weight.ndim != 2 or weight.shape[0] != width or bias.shape != (weight.shape[1],):
                raise ConfigError(f"parameter network: layer shapes do not chain ({weight.shape}, {bias.shape})")
            width = weight.shape[1]
        if width != len(TARGET_NAMES):
            raise ConfigError(f"parameter network: {width} outputs; expected {len(TARGET_NAMES)}")
        return cls(
            weights=weights,
            biases=biases,
            activation=data["activation"],
            feature_mean=np.asarray(data["feature_mean"], dtype=float),
            feature_scale=np.asarray(data["feature_scale"], dtype=float),
            target_mean=np.asarray(data["target_mean"], dtype=float),
            target_scale=np.asarray(data["target_scale"], dtype=float),
            metadata=dict(data.get("metadata", {})),
        )


def load_parameter_network(path: Path | None = None) -> ParameterNetwork:
    """The network in ``path`` (JSON), or the one shipped with the package."""
    if path is None:
        text = resources.files("qkdn.ml").joinpath("data", DEFAULT_NETWORK_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return ParameterNetwork.from_json(json.loads(text))


@dataclass(frozen=True)
class LearnedDecoyBB84FiniteModel(DecoyBB84FiniteModel):
    """:class:`DecoyBB84FiniteModel` whose settings come from a trained network instead of a search.

    Inside the trained domain the settings are predicted and the rate is the
    finite-key formula at those settings; outside it (or if the prediction gives no
    key) the numerical optimiser runs, and a log record at WARNING says why.

    >>> from qkdn.keyrate.hardware import GYS
    >>> model = LearnedDecoyBB84FiniteModel(block_bits=1e8, eps_sec=1e-9, eps_cor=1e-12)
    >>> model.evaluate(20.0, GYS).key_rate_per_pulse > 0
    True
    """

    network: ParameterNetwork | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.network is None:
            object.__setattr__(self, "network", load_parameter_network())

    def outside_domain(self, transmittance: float, hardware: KeyRateHardwareConfig) -> str | None:
        """Why this link lies outside the trained domain, or None."""
        if self.block_bits is None:
            return "block_bits is None (no finite-key block); the network was trained on finite blocks"
        if self.eps_sec_per_bit is not None:
            return "eps_sec_per_bit is set; the network was trained with a fixed eps_sec"
        if self.weakest_mean_photon_number != TRAINED_WEAKEST_MEAN_PHOTON_NUMBER:
            return f"weakest_mean_photon_number = {self.weakest_mean_photon_number:g}; trained on 2e-4"
        if self.afterpulse_probability != TRAINED_AFTERPULSE_PROBABILITY:
            return f"afterpulse_probability = {self.afterpulse_probability:g}; trained without afterpulses"
        if (self.eps_sec, self.eps_cor) != (TRAINED_EPS_SEC, TRAINED_EPS_COR):
            return f"eps_sec, eps_cor = {self.eps_sec:g}, {self.eps_cor:g}; trained on 1e-09, 1e-12"
        return domain_problem(features_of(transmittance, hardware, self.block_bits))

    def predicted_choice(self, transmittance: float, hardware: KeyRateHardwareConfig) -> DecoyChoice:
        """The network's settings for this link (no domain check: see :meth:`optimum`)."""
        assert self.network is not None and self.block_bits is not None
        features = features_of(transmittance, hardware, self.block_bits)
        return choice_from_coordinates(self.network.predict(features), self.weakest_mean_photon_number)

    def optimum(self, eta: float, hardware: KeyRateHardwareConfig) -> tuple[float, float, DecoyChoice]:
        """``(rate, QBER, settings)`` at the predicted settings, or the optimiser's outside the domain."""
        problem = self.outside_domain(eta, hardware)
        if problem is None:
            choice = self.predicted_choice(eta, hardware)
            rate, qber = self.rate_of(choice, eta, hardware)
            if rate > 0.0:
                return rate, qber, choice
            problem = "the predicted settings give no key"
        logger.warning("learned decoy parameters not used (%s): running the numerical optimiser", problem)
        return super().optimum(eta, hardware)
