"""Key rate against distance as a tidy table, one row per (protocol, distance).

Columns and dtypes are declared once in :data:`KEYRATE_COLUMNS`. ``block_bits`` is
the post-processing block of a finite-key row (inf: that protocol's large-block
limit; NaN: an asymptotic model). ``mu_opt`` and
``qber`` are NaN where they do not apply (bounds, CV-QKD's qber, BBM92's
intensity) or where no key is possible. The PLOB and TGW bounds are infinite at
0 km.
"""

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from qkdn.keyrate.finite_models import FINITE_KEY_PROTOCOLS, finite_model
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel, check_distance_km
from qkdn.keyrate.registry import get_model
from qnetsim.core.errors import ConfigError

#: column -> dtype of the table :func:`keyrate_table` returns.
KEYRATE_COLUMNS: dict[str, str] = {
    "protocol": "str",
    "distance_km": "float64",
    "key_rate_per_pulse": "float64",
    "key_rate_bps": "float64",
    "mu_opt": "float64",
    "qber": "float64",
    "block_bits": "float64",
}


def keyrate_table(
    protocols: Iterable[str],
    distances_km: Iterable[float],
    hardware: KeyRateHardwareConfig,
    *,
    block_bits: Iterable[float] = (),
    eps_sec: float = 1e-10,
    eps_cor: float = 1e-15,
) -> pd.DataFrame:
    """Key rates of each protocol at each distance, protocol-major; finite-key rows after them.

    Args:
        protocols: registry names (:func:`qkdn.keyrate.registry.model_names`).
        distances_km: link lengths, each >= 0.
        hardware: the link hardware shared by all rows.
        block_bits: post-processing block sizes (sifted key bits); for each, the
            finite-key model of every protocol that has one
            (:mod:`qkdn.keyrate.finite_models`; protocol ``<name>-finite``), and
            the same finite-key protocol's limit of large blocks (``block_bits`` inf;
            its biased basis choice keeps more than half the detections, so this
            limit lies above the symmetric asymptotic model). The asymptotic
            rows have ``block_bits`` NaN.
        eps_sec: secrecy parameter of the finite-key rows.
        eps_cor: correctness parameter of the finite-key rows.

    Raises:
        ConfigError: unknown protocol, bad distance or hardware, a block size given
            with a protocol that has no finite-key model (bounds excepted), a bad
            block size or epsilon.
    """
    protocols = list(protocols)
    models: list[KeyRateModel] = [get_model(name) for name in protocols]
    blocks = [float(b) for b in block_bits]
    if blocks:
        lacking = [m.name for m in models if not m.is_bound and m.name not in FINITE_KEY_PROTOCOLS]
        if lacking:
            raise ConfigError(
                f"block_bits: no finite-key model for {', '.join(map(repr, lacking))};"
                f" finite-key models: {', '.join(FINITE_KEY_PROTOCOLS)}"
            )
        models += [
            finite_model(m.name, block, eps_sec=eps_sec, eps_cor=eps_cor)
            for block in [*blocks, None]  # None: the same protocol's limit of large blocks (block_bits inf)
            for m in models
            if m.name in FINITE_KEY_PROTOCOLS
        ]
    distances = [check_distance_km(distance) for distance in distances_km]
    rows = []
    for model in models:
        for distance in distances:
            point = model.evaluate(distance, hardware)
            rows.append(
                {
                    "protocol": point.protocol,
                    "distance_km": point.distance_km,
                    "key_rate_per_pulse": point.key_rate_per_pulse,
                    "key_rate_bps": point.key_rate_bps,
                    "mu_opt": _or_nan(point.optimal_mean_photon_number),
                    "qber": _or_nan(point.qber),
                    "block_bits": _block_of(model),
                }
            )
    return pd.DataFrame(rows, columns=list(KEYRATE_COLUMNS)).astype(KEYRATE_COLUMNS)


def _block_of(model: KeyRateModel) -> float:
    """A row's ``block_bits``: the finite-key model's block, inf for its large-block limit, NaN otherwise."""
    if model.name.endswith("-finite"):
        block = getattr(model, "block_bits", None)
        return math.inf if block is None else float(block)
    return math.nan


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


#: Most distances one table may have (a row per protocol and distance; plenty for any curve).
MAX_DISTANCE_POINTS = 100_000
#: Memory per point of the table (its float, the model's figures, one row per protocol).
BYTES_PER_POINT = 8_000


def distances_from_range(spec: str) -> list[float]:
    """Distances from ``"start:stop:step"`` (stop included), or a single ``"distance"``.

    ``"0:200:10"`` gives 0, 10, ..., 200 km. Meant for a ``--distance-km`` option.

    Raises:
        ConfigError: not numbers, negative start, stop < start, step <= 0, or more than
            ``MAX_DISTANCE_POINTS`` points.
    """
    parts = spec.split(":")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise ConfigError(f"distance_km: expected 'start:stop:step' or a number; got {spec!r}") from None
    if len(numbers) == 1:
        return [check_distance_km(numbers[0])]
    if len(numbers) != 3:
        raise ConfigError(f"distance_km: expected 'start:stop:step' or a number; got {spec!r}")
    start, stop, step = numbers
    check_distance_km(start)
    if not (math.isfinite(stop) and stop >= start):
        raise ConfigError(f"distance_km: stop must be >= start; got {spec!r}")
    if not (math.isfinite(step) and step > 0):
        raise ConfigError(f"distance_km: step must be > 0; got {spec!r}")
    n_points = math.floor((stop - start) / step + 1e-9) + 1
    if n_points > MAX_DISTANCE_POINTS:
        raise ConfigError(
            f"distance_km: {spec!r} gives {n_points:.3g} points"
            f" (about {n_points * BYTES_PER_POINT / 1e12:.3g} TB of memory);"
            f" at most {MAX_DISTANCE_POINTS:,}: use a larger step"
        )
    n_steps = n_points - 1
    return [float(value) for value in start + step * np.arange(n_steps + 1)]
