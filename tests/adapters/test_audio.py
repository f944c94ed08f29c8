"""WAV round trip of the metronome: write it, read it back, find the clicks in the file."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from backstride.adapters.audio import read_wav, write_wav
from backstride.core.metronome import click_track
from backstride.errors import InputError, OutputError
from tests.core.test_metronome import detect_clicks, expected_count, measured_tempo_spm
from tests.fault_places import small_disk


@pytest.mark.parametrize(("cadence_spm", "duration_s"),
                         [(150.0, 60.0), (164.0, 300.0), (171.7, 240.0), (180.0, 90.0)])
def test_clicks_in_the_written_file_keep_the_tempo(tmp_path: Path, cadence_spm: float,
                                                   duration_s: float) -> None:
    track = click_track(cadence_spm, duration_s, accent_every=2)
    path = tmp_path / "metronome.wav"
    write_wav(path, track)
    samples, rate_hz = read_wav(path)
    assert rate_hz == track.sample_rate_hz == 44100
    np.testing.assert_array_equal(samples, track.samples)
    found = detect_clicks(samples, rate_hz)
    assert found.onsets.size == expected_count(cadence_spm, duration_s)
    assert abs(measured_tempo_spm(found.onsets, rate_hz) - cadence_spm) <= 0.01
    assert np.abs(found.onsets - track.click_times_s * rate_hz).max() <= 1.0
    accent = np.arange(found.onsets.size) % 2 == 0
    assert found.peaks[accent].min() > found.peaks[~accent].max()


def test_file_is_16_bit_mono_pcm(tmp_path: Path) -> None:
    track = click_track(170.0, 3.0, sample_rate_hz=48000)
    path = tmp_path / "m.wav"
    write_wav(path, track)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 48000)
        assert wav.getnframes() == track.samples.size
        assert wav.getcomptype() == "NONE"
    assert path.stat().st_size == 44 + 2 * track.samples.size
    assert path.read_bytes()[:4] == b"RIFF"


def test_overwrite_is_atomic_and_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", size_kib=512) as disk:  # a 2 s WAV fits, 10 s does not
        path = disk / "m.wav"
        write_wav(path, click_track(160.0, 2.0))
        before = path.read_bytes()
        with pytest.raises(OutputError, match="the disk is full"):
            write_wav(path, click_track(180.0, 10.0))
        assert path.read_bytes() == before
        assert [p.name for p in disk.iterdir()] == ["m.wav"]  # no temporary file left


def test_write_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "m.wav"
    write_wav(path, click_track(160.0, 2.0))
    second = click_track(180.0, 3.0)
    write_wav(path, second)
    samples, _ = read_wav(path)
    np.testing.assert_array_equal(samples, second.samples)


def test_read_wav_rejects_what_it_cannot_read(tmp_path: Path) -> None:
    not_wav = tmp_path / "x.wav"
    not_wav.write_bytes(b"this is not audio")
    with pytest.raises(InputError, match="not a readable WAV"):
        read_wav(not_wav)
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\x00\x00" * 8)
    with pytest.raises(InputError, match="16-bit mono"):
        read_wav(stereo)
