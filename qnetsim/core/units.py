"""Unit conversions between this project's units and SeQUeNCe's.

Our public names carry SI-style units (``length_km``, ``coherence_time_s``,
``attenuation_db_per_km``); SeQUeNCe works in metres, picoseconds and dB per
metre. Every conversion happens through the functions here, and each has an
inverse so the pair can be tested both ways.
"""

PS_PER_S = 10**12
M_PER_KM = 1000.0

#: Signal speed in standard fibre used by SeQUeNCe (2e-4 m/ps = 2e5 km/s).
FIBRE_SPEED_KM_PER_S = 2.0e5

# Limits of the values a scenario may give, so that every time the simulators derive from them
# (delays, attempt periods, cut-offs, in integer picoseconds) is a finite number of clock ticks
# that fits a signed 64-bit integer (2^63 ps is about 106 days).

#: Longest time a scenario may name (s): 10^6 s (11.6 days) exceeds the longest run (10 days);
#: 10^18 ps leaves room below 2^63 for sums of such times.
MAX_TIME_S = 1.0e6
#: Highest rate (Hz): one event per picosecond, SeQUeNCe's clock tick.
MAX_RATE_HZ = 1.0e12
#: Lowest positive rate (Hz): one event per MAX_TIME_S; a slower one would never act within a run.
MIN_RATE_HZ = 1.0 / MAX_TIME_S
#: Speed of light in vacuum (km/s, exact by the SI definition of the metre); no signal in fibre is faster.
SPEED_OF_LIGHT_KM_PER_S = 299_792.458
#: Slowest signal speed accepted (km/s): 1 km/s keeps the delay of the longest link below MAX_TIME_S.
MIN_SPEED_KM_PER_S = 1.0
#: Longest link (km): the Earth's equatorial circumference (40,075 km); no fibre link is longer.
MAX_LENGTH_KM = 40_075.0


def km_to_m(length_km: float) -> float:
    """Kilometres to metres."""
    return length_km * M_PER_KM


def m_to_km(length_m: float) -> float:
    """Metres to kilometres."""
    return length_m / M_PER_KM


def s_to_ps(time_s: float) -> int:
    """Seconds to integer picoseconds (SeQUeNCe's clock tick), rounded to nearest."""
    return int(round(time_s * PS_PER_S))


def ps_to_s(time_ps: float) -> float:
    """Picoseconds to seconds."""
    return time_ps / PS_PER_S


def db_per_km_to_db_per_m(attenuation_db_per_km: float) -> float:
    """Fibre attenuation from dB/km to SeQUeNCe's dB/m."""
    return attenuation_db_per_km / M_PER_KM


def db_per_m_to_db_per_km(attenuation_db_per_m: float) -> float:
    """Fibre attenuation from SeQUeNCe's dB/m to dB/km."""
    return attenuation_db_per_m * M_PER_KM


def fibre_delay_s(length_km: float, speed_km_per_s: float = FIBRE_SPEED_KM_PER_S) -> float:
    """One-way propagation delay of light over ``length_km`` of fibre."""
    return length_km / speed_km_per_s


def fibre_transmittance(length_km: float, attenuation_db_per_km: float) -> float:
    """Probability that a photon survives ``length_km`` of fibre: 10^(-alpha L / 10)."""
    return 10.0 ** (-attenuation_db_per_km * length_km / 10.0)
