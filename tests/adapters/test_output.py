"""Outputs are written through what the user names: real devices, FIFOs, symlinks, full disks."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from backstride.adapters.audio import write_wav
from backstride.adapters.output import open_output, output_path, write_output
from backstride.core.metronome import click_track
from backstride.errors import OutputError
from tests.fault_places import small_disk


def _null_device(tmp_path: Path) -> Path:
    """A character device that behaves as /dev/null: a fresh node where we may make one (so
    a bug cannot replace the machine's own), else /dev/null itself."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        node.open("wb").close()
    except (PermissionError, OSError):
        node.unlink(missing_ok=True)
        return Path("/dev/null")
    return node


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[Path, list[bytes]]]:
    """A named pipe with a reader thread; the bytes read arrive in the list."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    received: list[bytes] = []

    def read() -> None:
        with path.open("rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    yield path, received
    reader.join(timeout=10)
    assert not reader.is_alive(), "the reader never saw the end of the output"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_regular_file_is_replaced_whole_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    write_output(target, '{"new": true}\n')
    assert target.read_text() == '{"new": true}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    target.write_text("BEGIN:VCALENDAR old")
    with pytest.raises(RuntimeError, match="encoder stopped"), open_output(target) as handle:
        handle.write(b"BEGIN:VCALENDAR half")
        raise RuntimeError("encoder stopped")
    assert target.read_text() == "BEGIN:VCALENDAR old"
    assert _leftovers(tmp_path) == []


def test_a_new_path_gets_its_folders_and_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.html"
    write_output(target, "<p>hi</p>")
    assert target.read_text() == "<p>hi</p>"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_a_null_device_stays_a_character_device(tmp_path: Path) -> None:
    device = _null_device(tmp_path)
    write_output(device, b"x" * 10_000)
    with output_path(device) as temporary:  # the MP4 route: a file, then copied in
        temporary.write_bytes(b"mp4" * 1000)
    write_wav(device, click_track(cadence_spm=170, duration_s=1.0))
    assert stat.S_ISCHR(device.stat().st_mode)
    assert device.read_bytes() == b""


def test_a_fifo_is_written_through_and_stays_a_fifo(fifo: tuple[Path, list[bytes]]) -> None:
    path, received = fifo
    write_output(path, b"line 1\nline 2\n")
    assert stat.S_ISFIFO(path.stat().st_mode)
    assert _leftovers(path.parent) == []
    assert _wait(received) == [b"line 1\nline 2\n"]


def test_a_wav_goes_whole_through_a_fifo(fifo: tuple[Path, list[bytes]]) -> None:
    path, received = fifo
    track = click_track(cadence_spm=180, duration_s=2.0)
    write_wav(path, track)
    data = _wait(received)[0]
    with wave.open(io.BytesIO(data), "rb") as wav:  # a FIFO cannot seek: the header is right
        assert wav.getnframes() == track.samples.size
        assert wav.getframerate() == track.sample_rate_hz
    assert stat.S_ISFIFO(path.stat().st_mode)


def test_an_mp4_style_writer_reaches_a_fifo(fifo: tuple[Path, list[bytes]]) -> None:
    path, received = fifo
    with output_path(path) as temporary:
        temporary.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 100_000)
    assert _wait(received)[0][4:8] == b"ftyp"
    assert len(received[0]) == 100_012


def test_a_symlink_into_another_folder_is_followed(tmp_path: Path) -> None:
    reports, links = tmp_path / "reports", tmp_path / "links"
    reports.mkdir()
    links.mkdir()
    real = reports / "2024-05-01.html"
    real.write_text("old report")
    link = links / "latest.html"
    link.symlink_to(real)
    write_output(link, "new report")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new report"
    assert _leftovers(links) == [] and _leftovers(reports) == []


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "elsewhere" / "real.json")
    write_output(link, "{}")
    assert link.is_symlink()
    assert (tmp_path / "elsewhere" / "real.json").read_text() == "{}"


def test_a_folder_is_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"is a folder\. Give a file name"):
        write_output(tmp_path, "x")


def test_a_full_device_says_the_disk_is_full() -> None:
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full on this system")
    with pytest.raises(OutputError, match="the disk is full; nothing was written there"):
        write_output(full, b"x" * 65_536)


def test_a_full_disk_keeps_the_earlier_file(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", size_kib=256) as disk:
        target = disk / "metronome.wav"
        target.write_bytes(b"earlier")
        with pytest.raises(OutputError, match="the disk is full") as caught:
            write_output(target, b"x" * 1_000_000)
        assert target.read_bytes() == b"earlier"
        assert _leftovers(disk) == []
        assert "Free some space" in str(caught.value)


def test_a_read_only_disk_is_said_so(tmp_path: Path) -> None:
    with (small_disk(tmp_path / "disk", size_kib=256, read_only=True) as disk,
          pytest.raises(OutputError, match="read-only file system")):
        write_output(disk / "report.html", "x")


def test_the_cli_writes_json_through_a_device_and_a_symlink(tmp_path: Path,
                                                            sim_fit_path: Path) -> None:
    device = _null_device(tmp_path)
    (tmp_path / "out").mkdir()
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "out" / "run.json")
    for target in (device, link):
        done = subprocess.run([sys.executable, "-m", "backstride", "analyze", str(sim_fit_path),
                               "--json", str(target), "--quiet"],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(device.stat().st_mode)
    assert link.is_symlink()
    assert '"schema": "backstride.analysis/1"' in (tmp_path / "out" / "run.json").read_text()


def test_the_cli_says_when_the_output_disk_is_full(sim_fit_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    done = subprocess.run([sys.executable, "-m", "backstride", "analyze", str(sim_fit_path),
                           "--json", "/dev/full", "--quiet"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("backstride: error: /dev/full cannot be written: the disk is "
                                  "full")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def _wait(received: list[bytes]) -> list[bytes]:
    for _ in range(100):
        if received:
            break
        threading.Event().wait(0.05)
    return received


@pytest.fixture(scope="module")
def sim_fit_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, simulate_run

    path = tmp_path_factory.mktemp("runs") / "sim.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=600), seed=3))))
    return path
