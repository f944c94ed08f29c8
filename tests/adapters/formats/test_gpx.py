from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from backstride.adapters.formats.gpx import read_gpx
from backstride.adapters.formats.tcx import read_tcx
from backstride.adapters.formats.xmlsafe import local_name
from backstride.core.activity import Activity
from backstride.errors import CorruptFileError, InsufficientDataError, UnsupportedFormatError
from tests.conftest import cadence_mode, fixture_file, issue_codes

RUN_PATH = Path("run.gpx")
START_UNIX_S = datetime(2024, 5, 1, 6, 30, tzinfo=UTC).timestamp()
TPX_V1 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TPX_V2 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"


@cache
def _read_fixture(name: str) -> Activity:
    path = fixture_file("watch", name)
    reader = read_tcx if name.endswith(".tcx") else read_gpx
    return reader(path.read_bytes(), path=path, sha256="0" * 64)


def read_fixture(name: str) -> Activity:
    fixture_file("watch", name)  # skips here, outside the cache, when the file is absent
    return _read_fixture(name)


def at(seconds: float) -> str:
    return datetime.fromtimestamp(START_UNIX_S + seconds, UTC).isoformat().replace("+00:00", "Z")


def trkpt(seconds: float | None, lat: float = 0.0, lon: float = 0.0, *,
          extensions: str = "", ele: float | None = None) -> str:
    time_element = f"<time>{at(seconds)}</time>" if seconds is not None else ""
    ele_element = f"<ele>{ele}</ele>" if ele is not None else ""
    ext = f"<extensions>{extensions}</extensions>" if extensions else ""
    return f'<trkpt lat="{lat}" lon="{lon}">{ele_element}{time_element}{ext}</trkpt>'


def gpx(*segments: list[str], sport: str | None = "running", creator: str = "Test") -> bytes:
    kind = f"<type>{sport}</type>" if sport is not None else ""
    body = "".join(f"<trkseg>{''.join(points)}</trkseg>" for points in segments)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="{creator}" version="1.1" '
            f'xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="{TPX_V1}" '
            f'xmlns:ns3="{TPX_V2}"><trk>{kind}{body}</trk></gpx>').encode()


def east(n: int, *, step_deg: float = 3e-5, start_s: float = 0.0) -> list[str]:
    """n points 1 s apart walking east along the equator (3e-5 deg = 3.34 m)."""
    return [trkpt(start_s + i, 0.0, i * step_deg) for i in range(n)]


def read(data: bytes) -> Activity:
    return read_gpx(data, path=RUN_PATH, sha256="0" * 64)


# --- real exports ------------------------------------------------------------------------


def test_fr35_matches_its_fit_and_tcx_twins() -> None:
    result = read_fixture("fr35-run-4426508309.gpx")
    # The FIT file of the same run holds 2883 records from 2020-01-11 19:45:27 UTC.
    assert abs(result.t_s.size - 2883) <= 3
    assert result.start_utc == datetime(2020, 1, 11, 19, 45, 27, tzinfo=UTC)
    assert cadence_mode(result.records["cadence"]) == 86
    assert cadence_mode(result.series["cadence_spm"]) == 172
    twin = read_fixture("fr35-run-4426508309.tcx")
    assert np.array_equal(result.records["timestamp"], twin.records["timestamp"])
    assert np.allclose(result.series["lat_deg"], twin.series["lat_deg"], atol=1e-9)


def test_fr35_distance_and_speed_from_positions() -> None:
    result = read_fixture("fr35-run-4426508309.gpx")
    (session,) = result.sessions
    assert session.sport == "running"
    # The watch measured 8955.93 m; summing GPS fixes adds their jitter.
    assert session.summary["total_distance_m"] == pytest.approx(8955.93, rel=0.01)
    assert session.summary["total_distance_m"] == result.series["distance_m"][-1]
    assert "distance" not in result.records  # the file holds no distance
    issue = next(i for i in result.issues if i.code == "speed_derived")
    assert "GPS positions" in issue.message
    watch_speed = read_fixture("fr35-run-4426508309.tcx").series["speed_mps"]
    error = np.abs(result.series["speed_mps"] - watch_speed)
    assert float(np.nanmedian(error)) < 0.3
    assert result.device == "Garmin Connect"  # the exporting app: GPX names no watch


def test_fr220_short_run() -> None:
    result = read_fixture("fr220-short-run.gpx")
    assert result.t_s.size == 46
    assert result.start_utc == datetime(2021, 4, 16, 13, 37, 53, tzinfo=UTC)
    assert cadence_mode(result.records["cadence"]) == 62
    # Without laps every gap over 10 s counts, smart-recording gaps included.
    assert result.timer_stopped == ((26.0, 45.0), (114.0, 133.0), (140.0, 161.0),
                                    (195.0, 208.0))


def test_strava_run_with_stops() -> None:
    result = read_fixture("strava-run-with-stops.gpx")
    assert result.t_s.size == 1696  # 1697 trkpts, one repeating the time before it
    assert "track_time_repeated" in issue_codes(result)
    assert result.device == "StravaGPX"
    assert result.sessions[0].sport == "running"  # <type>9</type>
    assert cadence_mode(result.records["cadence"]) == 87
    assert np.nanmedian(result.series["cadence_spm"]) == pytest.approx(174, abs=4)
    assert len(result.timer_stopped) == 4
    assert result.timer_stopped[0] == (2248.0, 2321.0)
    assert all(to_s - from_s > 60 for from_s, to_s in result.timer_stopped)
    assert result.sessions[0].summary["total_distance_m"] == pytest.approx(12_600, rel=0.02)


# --- synthetic files -----------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "tags"), [
    ("gpxtpx", ("cad", "hr", "power", "speed")),
    ("ns3", ("cad", "hr", "power", "speed")),
    ("", ("cadence", "heartrate", "power", "speed")),
])
def test_extension_variants(prefix: str, tags: tuple[str, ...]) -> None:
    p = f"{prefix}:" if prefix else ""
    cad, hr, power, speed = (f"<{p}{tag}>{value}</{p}{tag}>"
                             for tag, value in zip(tags, (86, 150, 240, 3.1), strict=True))
    inner = f"<{p}TrackPointExtension>{cad}{hr}{speed}</{p}TrackPointExtension>{power}"
    result = read(gpx([trkpt(0, extensions=inner, ele=12.5), trkpt(1, extensions=inner)]))
    assert list(result.series["cadence_spm"]) == [172.0, 172.0]
    assert list(result.records["cadence"]) == [86.0, 86.0]
    assert result.series["heart_rate_bpm"][0] == 150.0
    assert result.series["power_w"][0] == 240.0
    assert result.series["speed_mps"][0] == 3.1
    assert result.series["altitude_m"][0] == 12.5
    assert np.isnan(result.series["altitude_m"][1])
    assert "speed_derived" not in issue_codes(result)


def test_distance_and_derived_speed() -> None:
    result = read(gpx(east(30)))
    step_m = 3e-5 * np.pi / 180 * 6_371_008.8
    assert result.series["distance_m"][-1] == pytest.approx(29 * step_m)
    assert np.allclose(result.series["speed_mps"], step_m)
    assert result.sessions[0].summary == {"total_distance_m": result.series["distance_m"][-1]}


@pytest.mark.parametrize(("kind", "sport"), [
    ("running", "running"), ("9", "running"), ("trail_running", "running"),
    ("1", "cycling"), ("cycling", "cycling"), ("10", "walking"),
])
def test_sport_from_track_type(kind: str, sport: str) -> None:
    assert read(gpx(east(3), sport=kind)).sessions[0].sport == sport


def test_missing_type_is_unknown_with_an_issue() -> None:
    """The core then decides from speed and cadence (core/sport.py)."""
    result = read(gpx(east(3), sport=None))
    assert result.sessions[0].sport == "unknown"
    assert "gpx_sport_assumed" in issue_codes(result)


def test_unknown_type_is_unknown_with_an_issue() -> None:
    result = read(gpx(east(3), sport="kitesurfing"))
    assert result.sessions[0].sport == "unknown"
    assert "gpx_sport_unknown" in issue_codes(result)


def test_gaps_within_and_between_segments_are_pauses() -> None:
    first = [*east(5), trkpt(20, 0.0, 6e-4)]  # 16-s gap inside the segment
    second = east(5, start_s=25)  # 5-s gap to the next segment: still running
    third = east(3, start_s=60)  # 31-s gap
    result = read(gpx(first, second, third))
    assert result.timer_stopped == ((4.0, 20.0), (29.0, 60.0))
    assert len(result.sessions) == 1
    assert (result.sessions[0].start_s, result.sessions[0].end_s) == (0.0, 62.0)


def test_point_without_time_is_dropped_with_an_issue() -> None:
    result = read(gpx([*east(4), trkpt(None, 1.0, 1.0)]))
    assert result.t_s.size == 4
    assert "track_point_without_time" in issue_codes(result)


def test_no_trkpt_is_insufficient_data() -> None:
    with pytest.raises(InsufficientDataError, match=r"run\.gpx holds no track points.*Export"):
        read(gpx([]))


def test_a_route_is_not_a_recorded_track() -> None:
    data = (b'<gpx xmlns="http://www.topografix.com/GPX/1/1"><rte><rtept lat="1" lon="2"/>'
            b"</rte></gpx>")
    with pytest.raises(InsufficientDataError, match="planned route"):
        read(data)


def test_truncated_file_is_corrupt() -> None:
    data = gpx(east(20))
    with pytest.raises(CorruptFileError, match=r"not well-formed XML \(line \d+, column \d+\)"):
        read(data[: len(data) - 40])


def test_not_xml_is_corrupt() -> None:
    with pytest.raises(CorruptFileError, match="not well-formed"):
        read(b"\x00\x01 binary junk")


def test_a_tcx_is_not_a_gpx() -> None:
    with pytest.raises(UnsupportedFormatError, match="TrainingCenterDatabase"):
        read(b'<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
             b'TrainingCenterDatabase/v2"/>')


def billion_laughs() -> bytes:
    """Ten levels of ten references: 10^9 'lol's (3 GB) if anything ever expanded it."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE gpx [{"".join(entities)}]>\n'
            f'<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&lol9;</name>'
            f"<trkseg>{trkpt(0)}</trkseg></trk></gpx>").encode()


def test_xml_bomb_is_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(CorruptFileError, match="DTD or entities") as caught:
        read(billion_laughs())
    assert time.perf_counter() - started < 1.0
    assert "lol" not in str(caught.value)


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    for target in ("file:///etc/passwd", secret.as_uri()):
        data = (f'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY x SYSTEM "{target}">]>\n'
                f'<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&x;</name>'
                f"<trkseg>{trkpt(0)}{trkpt(1)}</trkseg></trk></gpx>").encode()
        started = time.perf_counter()
        with pytest.raises(CorruptFileError, match="external-entity") as caught:
            read(data)
        assert time.perf_counter() - started < 1.0
        assert "TOP-SECRET" not in str(caught.value)
        assert "root:" not in str(caught.value)


def test_local_name_strips_any_namespace() -> None:
    assert local_name(f"{{{TPX_V2}}}cad") == "cad"
    assert local_name("trkpt") == "trkpt"
