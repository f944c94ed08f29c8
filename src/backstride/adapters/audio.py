"""WAV files for the metronome, with the standard library's ``wave`` (16-bit PCM, mono).

``write_wav`` writes through :mod:`backstride.adapters.output`: a regular file is written to a
temporary file and renamed into place (a reader never sees half a file, a failed write leaves
any earlier file untouched), a symlink's target likewise, a device or FIFO directly. Samples
go out in 1 Mi-sample chunks, so a 3-hour track (about 950 MB at 44.1 kHz) is never copied
whole once more in memory.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from backstride.adapters.output import open_output
from backstride.core.metronome import ClickTrack
from backstride.errors import InputError

_CHUNK_SAMPLES: Final = 1 << 20


def write_wav(path: Path, track: ClickTrack) -> None:
    """Write ``track`` to ``path`` as a 16-bit PCM mono WAV (atomically for a regular file).

    The frame count is set before the first sample, so the header is never patched and a FIFO
    (which cannot seek) gets a valid file too."""
    samples = np.ascontiguousarray(track.samples, dtype=np.int16)  # wave wants native order
    with open_output(path) as raw, wave.open(raw, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(track.sample_rate_hz)
        wav.setnframes(samples.size)
        for start in range(0, samples.size, _CHUNK_SAMPLES):
            wav.writeframesraw(samples[start:start + _CHUNK_SAMPLES].tobytes())


def read_wav(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    """Samples (int16, mono) and sample rate of a 16-bit PCM mono WAV file."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InputError(f"{path.name} is not a readable WAV file ({exc}). "
                         "Write it again with write_wav.") from exc
    if channels != 1 or width != 2:
        raise InputError(f"{path.name} has {channels} channel(s) of {8 * width}-bit samples; "
                         "only 16-bit mono PCM is read. Write it again with write_wav.")
    return np.frombuffer(frames, dtype=np.int16).copy(), rate
