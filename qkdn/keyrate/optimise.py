"""Maximisation of a rate over one positive parameter (an intensity or a variance).

Rates are smooth in the parameter but span orders of magnitude in where their
optimum lies (GLLP wants mu ~ eta, decoy BB84 mu ~ 0.5), so the search runs on a
logarithmic scale: a vectorised grid finds the best bracket and
:func:`scipy.optimize.minimize_scalar` (bounded Brent) refines it.
"""

import math
from collections.abc import Callable

import numpy as np

#: Grid points per search; enough to bracket the single maximum of every model here.
N_GRID = 48
#: Tolerance on log(parameter) of the refinement: the rate error is second order in it.
LOG_TOLERANCE = 1e-9


def maximise_on_log_scale(
    rate: Callable[[np.ndarray], np.ndarray],
    lower: float,
    upper: float,
    n_grid: int = N_GRID,
) -> tuple[float, float]:
    """The parameter in [lower, upper] that maximises ``rate``, and the maximum.

    Args:
        rate: vectorised objective, parameter array -> rate array (may be
            negative or NaN where no key is possible; NaN counts as no key).
        lower: smallest parameter value searched, > 0.
        upper: largest parameter value searched, > lower.
        n_grid: number of log-spaced grid points before refinement.

    Returns:
        (argmax, max). The maximum may be <= 0: the caller decides what that means.
    """
    if not 0.0 < lower < upper:
        raise ValueError(f"need 0 < lower < upper; got {lower}, {upper}")
    grid = np.geomspace(lower, upper, n_grid)
    values = np.nan_to_num(np.asarray(rate(grid), dtype=float), nan=-math.inf)
    best = int(np.argmax(values))
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, n_grid - 1)]

    def negative_rate(log_parameter: float) -> float:
        value = float(np.asarray(rate(np.array([math.exp(log_parameter)])))[0])
        return math.inf if math.isnan(value) else -value

    from scipy.optimize import minimize_scalar  # imported on first use, as every scipy import of qkdn

    refined = minimize_scalar(
        negative_rate, bounds=(math.log(left), math.log(right)), method="bounded", options={"xatol": LOG_TOLERANCE}
    )
    if -refined.fun >= values[best]:
        return math.exp(refined.x), -float(refined.fun)
    return float(grid[best]), float(values[best])
