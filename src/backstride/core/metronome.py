"""Metronome for cadence retraining (DOMAIN.md §4.2 rule 4): one click per step at the target
cadence, optionally with an accent every K-th click.

Timing is exact by construction: click ``i`` starts at sample ``round(i · rate · 60 / spm)``,
computed from the index alone (``i · 60 · rate`` is an exact integer in float64, divided once),
so there is no error accumulated from adding up a rounded period. Between clicks the track is
digital silence (exact zeros).

A click is a short tone burst: a 1 ms raised-cosine attack, an exponential decay and a
raised-cosine fade to exactly zero, 20 ms in all; 2 kHz at −7 dBFS peak, the accent 3 kHz at
−1.5 dBFS peak. The tone starts at its cosine peak so that the first sample of every click is
already non-zero (−60 dBFS, far too small to pop): the onset in the audio is the onset
intended, to the sample.

The track lasts ``duration_s`` plus, at most, the length of one click, so the last click is
never cut off. It holds ``floor(duration_s · spm / 60) + 1`` clicks: one at 0 s and one at
every step up to and including ``duration_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from backstride.core.types import FloatArray
from backstride.errors import InputError

Int16Array = npt.NDArray[np.int16]

MIN_CADENCE_SPM: Final = 60.0
MAX_CADENCE_SPM: Final = 240.0
MAX_DURATION_S: Final = 3 * 3600.0
MIN_SAMPLE_RATE_HZ: Final = 8000
MAX_SAMPLE_RATE_HZ: Final = 192_000

CLICK_LENGTH_S: Final = 0.020
CLICK_ATTACK_S: Final = 0.001
CLICK_FADE_S: Final = 0.004
CLICK_DECAY_TAU_S: Final = 0.005
CLICK_FREQUENCY_HZ: Final = 2000.0
ACCENT_FREQUENCY_HZ: Final = 3000.0
CLICK_PEAK_DBFS: Final = -7.0
ACCENT_PEAK_DBFS: Final = -1.5
_FULL_SCALE: Final = 32767.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickTrack:
    """A mono 16-bit click track. ``click_times_s[i]`` is the exact intended onset of click
    ``i`` (``i · 60 / cadence_spm``); the audio onset is that time rounded to the nearest
    sample. Clicks ``0, K, 2K, …`` are accents when ``accent_every`` is K. The arrays are
    read-only."""

    samples: Int16Array
    sample_rate_hz: int
    click_times_s: FloatArray
    cadence_spm: float
    accent_every: int | None
    duration_s: float
    methods: dict[str, float | int | str]

    @property
    def n_clicks(self) -> int:
        return int(self.click_times_s.size)

    @property
    def onset_samples(self) -> npt.NDArray[np.int64]:
        """The sample index where each click starts."""
        return _onset_samples(self.n_clicks, self.sample_rate_hz, self.cadence_spm)

    @property
    def is_accent(self) -> npt.NDArray[np.bool_]:
        index = np.arange(self.n_clicks)
        if self.accent_every is None:
            return np.zeros(self.n_clicks, dtype=np.bool_)
        return np.asarray(index % self.accent_every == 0, dtype=np.bool_)


def click_track(cadence_spm: float, duration_s: float, *, sample_rate_hz: int = 44100,
                accent_every: int | None = None) -> ClickTrack:
    """One click per step at ``cadence_spm`` for ``duration_s`` (see the module docstring)."""
    _validate(cadence_spm, duration_s, sample_rate_hz, accent_every)
    n_clicks = math.floor(duration_s * cadence_spm / 60.0 + 1e-9) + 1
    onsets = _onset_samples(n_clicks, sample_rate_hz, cadence_spm)
    click = _click(sample_rate_hz, CLICK_FREQUENCY_HZ, CLICK_PEAK_DBFS)
    accent = _click(sample_rate_hz, ACCENT_FREQUENCY_HZ, ACCENT_PEAK_DBFS)
    n_samples = max(round(duration_s * sample_rate_hz), int(onsets[-1]) + click.size)
    samples = np.zeros(n_samples, dtype=np.int16)
    for i, start in enumerate(onsets.tolist()):
        burst = accent if accent_every is not None and i % accent_every == 0 else click
        samples[start:start + burst.size] = burst
    samples.flags.writeable = False
    times_s = np.arange(n_clicks, dtype=np.float64) * 60.0 / cadence_spm
    times_s.flags.writeable = False
    return ClickTrack(
        samples=samples, sample_rate_hz=sample_rate_hz, click_times_s=times_s,
        cadence_spm=float(cadence_spm), accent_every=accent_every, duration_s=float(duration_s),
        methods={"click_length_s": CLICK_LENGTH_S, "click_frequency_hz": CLICK_FREQUENCY_HZ,
                 "accent_frequency_hz": ACCENT_FREQUENCY_HZ, "click_peak_dbfs": CLICK_PEAK_DBFS,
                 "accent_peak_dbfs": ACCENT_PEAK_DBFS,
                 "onset_rule": "round(i * sample_rate_hz * 60 / cadence_spm)"})


def _onset_samples(n_clicks: int, sample_rate_hz: int,
                   cadence_spm: float) -> npt.NDArray[np.int64]:
    index = np.arange(n_clicks, dtype=np.float64)
    # i · 60 · rate is an exact integer in float64 (< 2**53); one division, one rounding.
    return np.asarray(np.rint(index * (60.0 * sample_rate_hz) / cadence_spm), dtype=np.int64)


def _click(sample_rate_hz: int, frequency_hz: float, peak_dbfs: float) -> Int16Array:
    """A tone burst whose first sample is non-zero and whose last samples are exactly zero."""
    n = round(CLICK_LENGTH_S * sample_rate_hz)
    k = np.arange(n, dtype=np.float64)
    n_attack = max(round(CLICK_ATTACK_S * sample_rate_hz), 1)
    n_fade = max(round(CLICK_FADE_S * sample_rate_hz), 1)
    attack = np.sin(0.5 * np.pi * np.minimum(k + 1.0, n_attack + 1.0) / (n_attack + 1.0)) ** 2
    decay = np.exp(-np.maximum(k - n_attack, 0.0) / (CLICK_DECAY_TAU_S * sample_rate_hz))
    to_end = np.clip((n - 1 - k) / n_fade, 0.0, 1.0)
    fade = np.sin(0.5 * np.pi * to_end) ** 2
    tone = np.cos(2.0 * np.pi * frequency_hz * k / sample_rate_hz)
    amplitude = _FULL_SCALE * 10.0 ** (peak_dbfs / 20.0)
    return np.asarray(np.rint(amplitude * attack * decay * fade * tone), dtype=np.int16)


def _validate(cadence_spm: float, duration_s: float, sample_rate_hz: int,
              accent_every: int | None) -> None:
    if not (math.isfinite(cadence_spm) and MIN_CADENCE_SPM <= cadence_spm <= MAX_CADENCE_SPM):
        raise InputError(
            f"cadence {cadence_spm} steps/min is outside {MIN_CADENCE_SPM:.0f}–"
            f"{MAX_CADENCE_SPM:.0f} steps/min. Give the target cadence in steps per minute, "
            "both feet (e.g. 170).")
    if not (math.isfinite(duration_s) and 0.0 < duration_s <= MAX_DURATION_S):
        raise InputError(
            f"duration {duration_s} s is outside the valid range: more than 0 s and at most "
            f"{MAX_DURATION_S:.0f} s (3 h). Give the metronome length in seconds.")
    if (isinstance(sample_rate_hz, bool) or not isinstance(sample_rate_hz, int)
            or not MIN_SAMPLE_RATE_HZ <= sample_rate_hz <= MAX_SAMPLE_RATE_HZ):
        raise InputError(
            f"sample rate {sample_rate_hz!r} Hz is not a whole number from "
            f"{MIN_SAMPLE_RATE_HZ} to {MAX_SAMPLE_RATE_HZ} Hz; 44100 suits every player.")
    if accent_every is not None and (
            isinstance(accent_every, bool) or not isinstance(accent_every, int)
            or accent_every < 2):
        raise InputError(
            f"accent_every {accent_every!r} is not valid: give a whole number of clicks, 2 or "
            "more (2 accents every second step), or None for no accent.")
