"""Unit conversions in :mod:`qnetsim.core.units`, each tested both ways and against known values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnetsim.core.units import (
    FIBRE_SPEED_KM_PER_S,
    M_PER_KM,
    PS_PER_S,
    db_per_km_to_db_per_m,
    db_per_m_to_db_per_km,
    fibre_delay_s,
    fibre_transmittance,
    km_to_m,
    m_to_km,
    ps_to_s,
    s_to_ps,
)

# Physical magnitudes a scenario can hold: from a millimetre to beyond Earth's circumference,
# from lossless fibre to very lossy fibre, from picoseconds to days.
lengths_km = st.floats(min_value=1e-6, max_value=1e5, allow_nan=False, allow_infinity=False)
attenuations_db_per_km = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)
speeds_km_per_s = st.floats(min_value=1e3, max_value=3e5, allow_nan=False, allow_infinity=False)
times_s = st.floats(min_value=0.0, max_value=1e5, allow_nan=False, allow_infinity=False)
# Up to 1000 s: small enough that ps -> s -> ps is exact in double precision.
times_ps = st.integers(min_value=0, max_value=10**15)

REL = 1e-12


# --- exact known values --------------------------------------------------------------


def test_constants():
    assert PS_PER_S == 10**12
    assert M_PER_KM == 1000.0
    assert FIBRE_SPEED_KM_PER_S == 2.0e5


def test_one_second_is_10_to_the_12_picoseconds():
    assert s_to_ps(1.0) == 10**12
    assert isinstance(s_to_ps(1.0), int)
    assert ps_to_s(10**12) == 1.0


def test_s_to_ps_rounds_to_nearest_picosecond():
    assert s_to_ps(1.4e-12) == 1
    assert s_to_ps(1.6e-12) == 2
    assert s_to_ps(0.05) == 50_000_000_000


def test_kilometres_and_metres():
    assert km_to_m(10.0) == 10_000.0
    assert m_to_km(2_500.0) == 2.5


def test_attenuation_0_2_db_per_km_is_0_0002_db_per_m():
    assert db_per_km_to_db_per_m(0.2) == pytest.approx(0.0002, rel=REL)
    assert db_per_m_to_db_per_km(0.0002) == pytest.approx(0.2, rel=REL)


def test_transmittance_of_10_km_at_0_2_db_per_km():
    """T = 10^(-alpha L / 10) (Beer-Lambert loss in dB; e.g. Gisin et al., Rev. Mod. Phys. 74, 145 (2002))."""
    assert fibre_transmittance(10.0, 0.2) == pytest.approx(10**-0.2, rel=REL)
    assert fibre_transmittance(50.0, 0.2) == pytest.approx(0.1, rel=REL)  # 10 dB
    assert fibre_transmittance(0.0, 0.2) == 1.0
    assert fibre_transmittance(123.0, 0.0) == 1.0


def test_fibre_delay_of_200_km_is_one_millisecond():
    assert fibre_delay_s(200.0) == pytest.approx(1e-3, rel=REL)
    assert fibre_delay_s(200.0, 2e5) == pytest.approx(1e-3, rel=REL)
    assert s_to_ps(fibre_delay_s(200.0)) == 10**9
    assert fibre_delay_s(100.0, speed_km_per_s=1e5) == pytest.approx(1e-3, rel=REL)


# --- both directions (round trips) --------------------------------------------------------


@given(lengths_km)
def test_km_m_round_trip(length_km):
    assert m_to_km(km_to_m(length_km)) == pytest.approx(length_km, rel=REL)
    assert km_to_m(length_km) == pytest.approx(1000.0 * length_km, rel=REL)


@given(st.floats(min_value=1e-3, max_value=1e8, allow_nan=False))
def test_m_km_round_trip(length_m):
    assert km_to_m(m_to_km(length_m)) == pytest.approx(length_m, rel=REL)


@given(times_s)
def test_s_ps_round_trip_within_half_a_picosecond(time_s):
    time_ps = s_to_ps(time_s)
    assert isinstance(time_ps, int)
    # Rounding to the nearest tick loses at most half a picosecond (plus float noise).
    assert abs(ps_to_s(time_ps) - time_s) <= 0.5e-12 + 1e-15 * time_s


@given(times_ps)
def test_ps_s_round_trip_is_exact_on_integer_ticks(time_ps):
    assert s_to_ps(ps_to_s(time_ps)) == time_ps


@given(attenuations_db_per_km)
def test_attenuation_round_trip(attenuation_db_per_km):
    per_m = db_per_km_to_db_per_m(attenuation_db_per_km)
    assert per_m == pytest.approx(attenuation_db_per_km / 1000.0, rel=REL)
    assert db_per_m_to_db_per_km(per_m) == pytest.approx(attenuation_db_per_km, rel=REL, abs=1e-300)


@given(lengths_km, attenuations_db_per_km)
def test_total_loss_is_the_same_in_both_unit_systems(length_km, attenuation_db_per_km):
    """Loss in dB = alpha L, whether alpha is per km with L in km or per m with L in m."""
    loss_km = attenuation_db_per_km * length_km
    loss_m = db_per_km_to_db_per_m(attenuation_db_per_km) * km_to_m(length_km)
    assert loss_m == pytest.approx(loss_km, rel=REL, abs=1e-300)


@given(lengths_km, speeds_km_per_s)
def test_fibre_delay_inverts_to_length(length_km, speed_km_per_s):
    delay_s = fibre_delay_s(length_km, speed_km_per_s)
    assert delay_s > 0
    assert delay_s * speed_km_per_s == pytest.approx(length_km, rel=REL)


@given(lengths_km, lengths_km, speeds_km_per_s)
def test_fibre_delay_is_additive(first_km, second_km, speed_km_per_s):
    total = fibre_delay_s(first_km + second_km, speed_km_per_s)
    assert total == pytest.approx(fibre_delay_s(first_km, speed_km_per_s) + fibre_delay_s(second_km, speed_km_per_s))


@given(
    st.floats(min_value=1e-3, max_value=500.0),
    st.floats(min_value=1e-3, max_value=1.0),
)
def test_transmittance_inverts_to_loss_in_db(length_km, attenuation_db_per_km):
    """-10 log10(T) = alpha L recovers the loss in dB from the transmittance."""
    transmittance = fibre_transmittance(length_km, attenuation_db_per_km)
    assert 0.0 < transmittance < 1.0
    assert -10.0 * math.log10(transmittance) == pytest.approx(attenuation_db_per_km * length_km, rel=1e-9)


@given(
    st.floats(min_value=0.0, max_value=200.0),
    st.floats(min_value=0.0, max_value=200.0),
    attenuations_db_per_km,
)
def test_transmittance_multiplies_over_concatenated_fibre(first_km, second_km, attenuation_db_per_km):
    """Losses in dB add, so transmittances of consecutive spans multiply."""
    whole = fibre_transmittance(first_km + second_km, attenuation_db_per_km)
    parts = fibre_transmittance(first_km, attenuation_db_per_km) * fibre_transmittance(second_km, attenuation_db_per_km)
    assert whole == pytest.approx(parts, rel=1e-9, abs=1e-300)
