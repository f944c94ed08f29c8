"""The metronome, checked on its audio: clicks are found in the samples alone and compared
with the cadence asked for."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from backstride.core.metronome import (
    ACCENT_FREQUENCY_HZ,
    CLICK_FREQUENCY_HZ,
    CLICK_LENGTH_S,
    ClickTrack,
    click_track,
)
from backstride.errors import InputError

FULL_SCALE = 32767.0
RATE_HZ = 44100


@dataclass(frozen=True)
class DetectedClicks:
    onsets: npt.NDArray[np.int64]  # sample index where each burst starts
    peaks: npt.NDArray[np.float64]  # largest |sample| in each burst
    frequencies_hz: npt.NDArray[np.float64]  # dominant frequency of each burst


def detect_clicks(samples: npt.NDArray[np.int16], rate_hz: int) -> DetectedClicks:
    """Find clicks from the audio alone: rectify, find rising edges through a threshold well
    above silence, and move each edge back to the first sample after the silence before it."""
    x = np.abs(samples.astype(np.int64))
    threshold = 0.02 * float(x.max())
    above = np.flatnonzero(x > threshold)
    refractory = int(0.1 * rate_hz)  # > a click (20 ms), < the shortest step (250 ms)
    edges = above[np.diff(above, prepend=-refractory - 1) > refractory]
    look_back = int(0.005 * rate_hz)
    quiet = int(0.001 * rate_hz)  # silence = 1 ms of zeros (a tone crosses zero far faster)
    padded = np.concatenate([np.zeros(look_back, dtype=np.int64), x])
    onsets = []
    for edge in edges.tolist():
        before = padded[edge:edge + look_back] == 0  # the look_back samples before the edge
        run_ends = np.convolve(before, np.ones(quiet), mode="valid") == quiet
        last_quiet = int(np.flatnonzero(run_ends)[-1]) + quiet  # index after the last run
        onsets.append(edge - look_back + last_quiet)
    onset_arr = np.asarray(onsets, dtype=np.int64)
    n = int(CLICK_LENGTH_S * rate_hz)
    peaks, freqs = [], []
    for start in onset_arr.tolist():
        burst = samples[start:start + n].astype(np.float64)
        peaks.append(float(np.abs(burst).max()))
        spectrum = np.abs(np.fft.rfft(burst, 8 * n))
        freqs.append(float(np.fft.rfftfreq(8 * n, 1.0 / rate_hz)[int(np.argmax(spectrum))]))
    return DetectedClicks(onset_arr, np.asarray(peaks), np.asarray(freqs))


def measured_tempo_spm(onsets: npt.NDArray[np.int64], rate_hz: int) -> float:
    return float(60.0 * (onsets.size - 1) / ((onsets[-1] - onsets[0]) / rate_hz))


def expected_count(cadence_spm: float, duration_s: float) -> int:
    return math.floor(duration_s * cadence_spm / 60.0 + 1e-9) + 1


TEMPO_CASES = [(150.0, 60.0), (164.0, 300.0), (171.7, 180.0), (180.0, 120.0), (171.7, 300.0)]


@pytest.mark.parametrize(("cadence_spm", "duration_s"), TEMPO_CASES)
def test_clicks_found_in_the_audio_match_the_cadence(cadence_spm: float,
                                                      duration_s: float) -> None:
    track = click_track(cadence_spm, duration_s)
    found = detect_clicks(track.samples, track.sample_rate_hz)
    assert found.onsets.size == track.n_clicks == expected_count(cadence_spm, duration_s)
    assert abs(measured_tempo_spm(found.onsets, RATE_HZ) - cadence_spm) <= 0.01
    onset_error_samples = np.abs(found.onsets - track.click_times_s * RATE_HZ)
    assert onset_error_samples.max() <= 1.0
    # exact rule, no drift: click i starts at round(i * rate * 60 / spm)
    index = np.arange(track.n_clicks)
    np.testing.assert_array_equal(found.onsets, np.rint(index * RATE_HZ * 60.0 / cadence_spm))
    np.testing.assert_array_equal(found.onsets, track.onset_samples)


def test_tempo_accuracy_figures() -> None:
    """The figures quoted in the report: worst tempo error and onset error over all cases."""
    worst_tempo, worst_onset = 0.0, 0.0
    for cadence_spm, duration_s in TEMPO_CASES:
        track = click_track(cadence_spm, duration_s)
        found = detect_clicks(track.samples, RATE_HZ)
        worst_tempo = max(worst_tempo, abs(measured_tempo_spm(found.onsets, RATE_HZ)
                                           - cadence_spm))
        worst_onset = max(worst_onset, float(np.abs(found.onsets
                                                    - track.click_times_s * RATE_HZ).max()))
    assert worst_tempo < 1e-3
    assert worst_onset <= 0.5  # the rounding of the intended time to a sample, nothing more


def test_count_includes_a_click_at_the_end_and_the_last_click_is_whole() -> None:
    track = click_track(180.0, 60.0)
    assert track.n_clicks == 181  # 0 s, 1/3 s, ..., 60 s
    assert track.click_times_s[-1] == pytest.approx(60.0)
    n_click = round(CLICK_LENGTH_S * RATE_HZ)
    assert track.samples.size == 60 * RATE_HZ + n_click
    assert track.samples[-1] == 0
    short = click_track(171.7, 60.0)
    assert short.n_clicks == 172  # floor(171.7) + 1; the next step would be after 60 s
    assert short.samples.size == 60 * RATE_HZ


def test_silence_between_clicks_and_a_clean_click() -> None:
    track = click_track(164.0, 30.0)
    n_click = round(CLICK_LENGTH_S * RATE_HZ)
    mask = np.zeros(track.samples.size, dtype=bool)
    for start in track.onset_samples.tolist():
        mask[start:start + n_click] = True
    assert not np.any(track.samples[~mask])  # exact digital silence between clicks
    first = track.samples[: n_click].astype(np.float64)
    peak = np.abs(first).max()
    assert 0 < abs(first[0]) < 0.01 * peak  # starts from near zero: no step, no pop
    assert first[-1] == 0  # and ends on exactly zero
    assert abs(first.mean()) < 0.001 * peak  # no DC offset
    assert np.argmax(np.abs(first)) < 0.005 * RATE_HZ  # sharp attack, then decay


def test_no_clipping_and_peak_at_most_minus_1_dbfs() -> None:
    track = click_track(180.0, 20.0, accent_every=2)
    peak = float(np.abs(track.samples.astype(np.int64)).max())
    assert peak < FULL_SCALE
    assert 20.0 * math.log10(peak / FULL_SCALE) <= -1.0


@pytest.mark.parametrize("accent_every", [2, 3, 4])
def test_accents_are_louder_and_higher_at_every_kth_click(accent_every: int) -> None:
    track = click_track(171.7, 60.0, accent_every=accent_every)
    found = detect_clicks(track.samples, RATE_HZ)
    accent = np.arange(found.onsets.size) % accent_every == 0
    np.testing.assert_array_equal(accent, track.is_accent)
    assert found.peaks[accent].min() > 1.5 * found.peaks[~accent].max()
    np.testing.assert_allclose(found.frequencies_hz[accent], ACCENT_FREQUENCY_HZ, atol=30)
    np.testing.assert_allclose(found.frequencies_hz[~accent], CLICK_FREQUENCY_HZ, atol=30)


def test_without_accent_every_click_is_the_same() -> None:
    track = click_track(164.0, 30.0)
    found = detect_clicks(track.samples, RATE_HZ)
    assert not track.is_accent.any()
    assert np.ptp(found.peaks) == 0
    np.testing.assert_allclose(found.frequencies_hz, CLICK_FREQUENCY_HZ, atol=30)


@pytest.mark.parametrize("rate_hz", [8000, 22050, 48000, 96000])
def test_other_sample_rates(rate_hz: int) -> None:
    track = click_track(171.7, 60.0, sample_rate_hz=rate_hz)
    found = detect_clicks(track.samples, rate_hz)
    assert found.onsets.size == 172
    assert np.abs(found.onsets - track.click_times_s * rate_hz).max() <= 0.5
    assert abs(measured_tempo_spm(found.onsets, rate_hz) - 171.7) <= 0.01


def test_track_is_read_only_and_records_its_method() -> None:
    track = click_track(170.0, 5.0)
    assert isinstance(track, ClickTrack)
    with pytest.raises(ValueError):
        track.samples[0] = 1
    with pytest.raises(ValueError):
        track.click_times_s[0] = 1.0
    assert track.samples.dtype == np.int16 and track.samples.ndim == 1
    assert track.cadence_spm == 170.0 and track.duration_s == 5.0
    assert "onset_rule" in track.methods


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"cadence_spm": 59.9, "duration_s": 60.0}, "60–240 steps/min"),
    ({"cadence_spm": 240.5, "duration_s": 60.0}, "60–240 steps/min"),
    ({"cadence_spm": float("nan"), "duration_s": 60.0}, "60–240 steps/min"),
    ({"cadence_spm": 170.0, "duration_s": 0.0}, "more than 0 s and at most 10800 s"),
    ({"cadence_spm": 170.0, "duration_s": -5.0}, "more than 0 s"),
    ({"cadence_spm": 170.0, "duration_s": 3 * 3600.0 + 1}, r"at most 10800 s \(3 h\)"),
    ({"cadence_spm": 170.0, "duration_s": float("inf")}, "at most 10800 s"),
    ({"cadence_spm": 170.0, "duration_s": 60.0, "accent_every": 1}, "2 or more"),
    ({"cadence_spm": 170.0, "duration_s": 60.0, "accent_every": 0}, "2 or more"),
    ({"cadence_spm": 170.0, "duration_s": 60.0, "accent_every": True}, "2 or more"),
    ({"cadence_spm": 170.0, "duration_s": 60.0, "sample_rate_hz": 4000}, "8000 to 192000 Hz"),
    ({"cadence_spm": 170.0, "duration_s": 60.0, "sample_rate_hz": 44100.0}, "8000 to 192000"),
])
def test_invalid_inputs_say_the_valid_range(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        click_track(**kwargs)  # type: ignore[arg-type]


def test_limits_are_inclusive() -> None:
    assert click_track(60.0, 1.0).n_clicks == 2
    assert click_track(240.0, 1.0).n_clicks == 5
