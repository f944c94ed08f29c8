from __future__ import annotations

import math

import numpy as np
import pytest

from backstride.core.geo import (
    EARTH_RADIUS_M,
    cumulative_distance_m,
    haversine_m,
    speed_from_distance_mps,
)


def test_one_degree_of_latitude_is_about_111_2_km() -> None:
    distance = float(haversine_m(0.0, 0.0, 1.0, 0.0))
    assert distance == pytest.approx(111_200.0, rel=1e-3)
    assert distance == pytest.approx(EARTH_RADIUS_M * math.pi / 180.0, rel=1e-12)


def test_identical_points_are_zero_apart() -> None:
    lat = np.array([40.08, -8.045, 89.9])
    lon = np.array([-105.26, -34.89, 179.9])
    assert np.array_equal(haversine_m(lat, lon, lat, lon), np.zeros(3))


def test_haversine_is_vectorised_symmetric_and_nan_safe() -> None:
    lat1 = np.array([0.0, 10.0, np.nan])
    lon1 = np.array([0.0, 20.0, 0.0])
    lat2 = np.array([0.0, 10.5, 1.0])
    lon2 = np.array([1.0, 20.5, 0.0])
    there = haversine_m(lat1, lon1, lat2, lon2)
    back = haversine_m(lat2, lon2, lat1, lon1)
    assert there.shape == (3,)
    assert np.allclose(there[:2], back[:2])
    assert np.isnan(there[2])


def test_antipodal_points_are_half_a_circumference_apart() -> None:
    assert float(haversine_m(0.0, 0.0, 0.0, 180.0)) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_cumulative_distance_starts_at_zero_and_adds_up() -> None:
    lat = np.array([0.0, 0.001, 0.002, 0.003])
    lon = np.zeros(4)
    step = float(haversine_m(0.0, 0.0, 0.001, 0.0))
    assert np.allclose(cumulative_distance_m(lat, lon), [0.0, step, 2 * step, 3 * step])


def test_cumulative_distance_bridges_points_without_position() -> None:
    lat = np.array([np.nan, 0.0, np.nan, 0.002])
    lon = np.array([np.nan, 0.0, np.nan, 0.0])
    distance = cumulative_distance_m(lat, lon)
    assert np.isnan(distance[0])
    assert np.isnan(distance[2])
    assert distance[1] == 0.0
    assert distance[3] == pytest.approx(float(haversine_m(0.0, 0.0, 0.002, 0.0)))


def test_cumulative_distance_of_no_positions_is_all_nan() -> None:
    assert np.all(np.isnan(cumulative_distance_m(np.full(3, np.nan), np.full(3, np.nan))))
    assert cumulative_distance_m(np.array([]), np.array([])).shape == (0,)


def test_speed_of_steady_running_is_exact() -> None:
    t_s = np.arange(0.0, 60.0)
    speed = speed_from_distance_mps(t_s, 3.0 * t_s, window_s=5.0, max_gap_s=10.0)
    assert np.allclose(speed, 3.0)


def test_speed_window_smooths_gps_jitter() -> None:
    rng = np.random.default_rng(7)
    t_s = np.arange(0.0, 300.0)
    distance_m = 3.0 * t_s + rng.normal(0.0, 1.5, t_s.size)  # metre-scale fix-to-fix noise
    raw = np.diff(distance_m) / np.diff(t_s)
    smooth = speed_from_distance_mps(t_s, distance_m, window_s=5.0, max_gap_s=10.0)
    assert np.std(smooth - 3.0) < 0.5 * np.std(raw - 3.0)


def test_speed_window_never_spans_a_pause() -> None:
    t_s = np.concatenate((np.arange(0.0, 10.0), np.arange(100.0, 110.0)))
    distance_m = np.concatenate((2.0 * np.arange(10.0), 18.0 + 4.0 * np.arange(10.0)))
    speed = speed_from_distance_mps(t_s, distance_m, window_s=5.0, max_gap_s=10.0)
    assert np.allclose(speed[:10], 2.0)
    assert np.allclose(speed[10:], 4.0)


def test_speed_reaches_a_neighbour_when_points_are_sparse() -> None:
    t_s = np.array([0.0, 4.0, 8.0])  # wider spacing than the window
    speed = speed_from_distance_mps(t_s, np.array([0.0, 12.0, 24.0]), window_s=5.0,
                                    max_gap_s=10.0)
    assert np.allclose(speed, 3.0)


def test_speed_is_nan_without_distance_or_neighbours() -> None:
    nothing = speed_from_distance_mps(np.arange(3.0), np.full(3, np.nan), window_s=5.0,
                                      max_gap_s=10.0)
    assert np.all(np.isnan(nothing))
    alone = speed_from_distance_mps(np.array([0.0, 50.0, 51.0]), np.array([0.0, 10.0, 13.0]),
                                    window_s=5.0, max_gap_s=10.0)
    assert np.isnan(alone[0])  # the only point before a pause
    assert np.allclose(alone[1:], 3.0)
