from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from backstride.adapters.formats import read_activity
from backstride.adapters.formats.tcx import read_tcx
from backstride.core.activity import Activity
from backstride.errors import CorruptFileError, InsufficientDataError, UnsupportedFormatError
from tests.conftest import cadence_mode, fixture_file, issue_codes

RUN_PATH = Path("run.tcx")
START = "2024-05-01T06:30:00Z"
START_UNIX_S = datetime(2024, 5, 1, 6, 30, tzinfo=UTC).timestamp()


@cache
def _read_fixture(name: str) -> Activity:
    path = fixture_file("watch", name)
    return read_tcx(path.read_bytes(), path=path, sha256="0" * 64)


def read_fixture(name: str) -> Activity:
    fixture_file("watch", name)  # skips here, outside the cache, when the file is absent
    return _read_fixture(name)


def at(seconds: float) -> str:
    return datetime.fromtimestamp(START_UNIX_S + seconds, UTC).isoformat().replace("+00:00", "Z")


def trackpoint(time: str | None, **values: float) -> str:
    """A Trackpoint with the given optional values (names as in the TCX schema)."""
    parts = [f"<Time>{time}</Time>" if time is not None else ""]
    if "lat" in values:
        parts.append(f"<Position><LatitudeDegrees>{values['lat']}</LatitudeDegrees>"
                     f"<LongitudeDegrees>{values['lon']}</LongitudeDegrees></Position>")
    if "distance" in values:
        parts.append(f"<DistanceMeters>{values['distance']}</DistanceMeters>")
    if "hr" in values:
        parts.append(f"<HeartRateBpm><Value>{values['hr']:g}</Value></HeartRateBpm>")
    if "cadence" in values:
        parts.append(f"<Cadence>{values['cadence']:g}</Cadence>")
    tpx = "".join(f"<ns3:{name}>{values[key]}</ns3:{name}>" for key, name in
                  (("speed", "Speed"), ("run_cadence", "RunCadence"), ("watts", "Watts"))
                  if key in values)
    if tpx:
        parts.append(f"<Extensions><ns3:TPX>{tpx}</ns3:TPX></Extensions>")
    return f"<Trackpoint>{''.join(parts)}</Trackpoint>"


def lap(*points: str, start: str = START, total_time_s: float | None = None,
        distance_m: float = 0.0) -> str:
    timer = f"<TotalTimeSeconds>{total_time_s}</TotalTimeSeconds>" if total_time_s else ""
    return (f'<Lap StartTime="{start}">{timer}<DistanceMeters>{distance_m}</DistanceMeters>'
            f"<Track>{''.join(points)}</Track></Lap>")


def activity(*laps: str, sport: str = "Running", creator: str | None = None) -> str:
    device = f"<Creator><Name>{creator}</Name></Creator>" if creator else ""
    return f'<Activity Sport="{sport}"><Id>{START}</Id>{"".join(laps)}{device}</Activity>'


def tcx(*activities: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
        f"<Activities>{''.join(activities)}</Activities></TrainingCenterDatabase>"
    ).encode()


def steady_run(n: int = 20) -> list[str]:
    return [trackpoint(at(i), distance=3.0 * i, speed=3.0, run_cadence=85) for i in range(n)]


def read(data: bytes) -> Activity:
    return read_tcx(data, path=RUN_PATH, sha256="0" * 64)


# --- real exports ------------------------------------------------------------------------


def test_fr35_matches_its_fit_twin() -> None:
    result = read_fixture("fr35-run-4426508309.tcx")
    # The FIT file of the same run holds 2883 records from 2020-01-11 19:45:27 UTC.
    assert abs(result.t_s.size - 2883) <= 3
    assert result.start_utc == datetime(2020, 1, 11, 19, 45, 27, tzinfo=UTC)
    assert result.format == "tcx"
    assert result.device == "Forerunner 35"
    assert cadence_mode(result.records["cadence"]) == 86  # per-foot, as written
    assert cadence_mode(result.series["cadence_spm"]) == 172
    assert result.cadence_resolution_spm == 2.0
    assert result.records["timestamp"][0] == result.start_utc.timestamp()


def test_fr35_session_summary_and_series() -> None:
    result = read_fixture("fr35-run-4426508309.tcx")
    (session,) = result.sessions
    assert session.sport == "running"
    assert (session.start_s, session.end_s) == (0.0, result.t_s[-1])
    assert session.summary == {"total_distance_m": 8955.93, "total_timer_time_s": 2882.0}
    assert result.timer_stopped == ()
    assert "speed_derived" not in issue_codes(result)  # the file has TPX Speed
    for name in ("lat_deg", "lon_deg", "altitude_m", "distance_m", "heart_rate_bpm",
                 "speed_mps", "cadence_spm"):
        assert result.has(name), name
    assert not result.has("power_w")
    assert result.series["lat_deg"][0] == pytest.approx(40.07986826822162)
    assert np.nanmax(result.series["distance_m"]) == pytest.approx(8955.93, rel=1e-3)


def test_fr220_lap_start_repeats_are_dropped_and_only_real_pauses_kept() -> None:
    result = read_fixture("fr220-short-run.tcx")
    assert result.t_s.size == 46  # 49 trackpoints, 3 repeated at lap starts
    assert "track_time_repeated" in issue_codes(result)
    assert result.device == "Garmin Forerunner 220"
    (session,) = result.sessions
    assert session.summary["total_distance_m"] == pytest.approx(158.71)
    assert session.summary["total_timer_time_s"] == pytest.approx(190.355)
    # The FIT twin's timer events: stop 13:38:19, start 13:38:38, stop 13:41:08, start
    # 13:41:21. The 19-s and 21-s gaps at 114 s and 140 s lie in a lap whose timer ran
    # throughout (smart recording), so they are not pauses.
    assert result.timer_stopped == ((26.0, 45.0), (195.0, 208.0))


def test_fr620_has_run_cadence_on_every_trackpoint() -> None:
    result = read_fixture("fr620-run.tcx")
    assert result.t_s.size == 147
    assert np.all(np.isfinite(result.records["cadence"]))
    assert cadence_mode(result.series["cadence_spm"]) == 2 * cadence_mode(
        result.records["cadence"])
    assert 150 <= cadence_mode(result.series["cadence_spm"]) <= 190
    assert result.sessions[0].summary["total_distance_m"] == pytest.approx(2153.67)
    assert result.device == "Garmin Forerunner 620"


# --- synthetic files -----------------------------------------------------------------------


def test_trackpoint_without_time_is_dropped_with_an_issue() -> None:
    points = steady_run(10)
    points[4] = trackpoint(None, distance=12.0, speed=3.0, run_cadence=85)
    result = read(tcx(activity(lap(*points))))
    assert result.t_s.size == 9
    issue = next(i for i in result.issues if i.code == "track_point_without_time")
    assert "1 of 10" in issue.message


def test_values_are_converted_once() -> None:
    point = trackpoint(START, lat=46.5, lon=-1.25, distance=0.0, hr=140, speed=2.5,
                       run_cadence=84, watts=250)
    result = read(tcx(activity(lap(point, trackpoint(at(1), distance=2.5)))))
    assert result.series["cadence_spm"][0] == 168.0
    assert result.records["cadence"][0] == 84.0
    assert result.series["power_w"][0] == 250.0
    assert result.series["heart_rate_bpm"][0] == 140.0
    assert result.series["lat_deg"][0] == 46.5
    assert result.series["lon_deg"][0] == -1.25
    assert np.isnan(result.series["power_w"][1])
    assert result.start_utc == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def test_plain_cadence_on_a_run_is_per_foot_and_run_cadence_wins() -> None:
    points = [trackpoint(at(0), cadence=80), trackpoint(at(1), cadence=80, run_cadence=86)]
    result = read(tcx(activity(lap(*points))))
    assert list(result.series["cadence_spm"]) == [160.0, 172.0]


def test_time_offsets_are_converted_to_utc() -> None:
    points = [trackpoint("2024-05-01T08:30:00+02:00"), trackpoint("2024-05-01T08:30:01.500+02:00")]
    result = read(tcx(activity(lap(*points))))
    assert result.start_utc == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert list(result.t_s) == [0.0, 1.5]


def test_time_without_zone_is_read_as_utc_with_an_issue() -> None:
    result = read(tcx(activity(lap(trackpoint("2024-05-01T06:30:00"), trackpoint(at(1))))))
    assert result.start_utc == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert "track_time_without_zone" in issue_codes(result)


def test_points_out_of_order_are_sorted() -> None:
    points = steady_run(5)
    result = read(tcx(activity(lap(points[0], points[2], points[1], points[3], points[4]))))
    assert list(result.t_s) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert list(result.series["distance_m"]) == [0.0, 3.0, 6.0, 9.0, 12.0]
    assert "track_points_unsorted" in issue_codes(result)


def test_repeated_time_keeps_the_first_point() -> None:
    points = [trackpoint(at(0), distance=0.0), trackpoint(at(1), distance=3.0),
              trackpoint(at(1), distance=99.0), trackpoint(at(2), distance=6.0)]
    result = read(tcx(activity(lap(*points))))
    assert list(result.series["distance_m"]) == [0.0, 3.0, 6.0]
    assert "track_time_repeated" in issue_codes(result)


def test_speed_is_derived_from_distance_when_absent() -> None:
    points = [trackpoint(at(i), distance=2.5 * i) for i in range(30)]
    result = read(tcx(activity(lap(*points))))
    assert np.allclose(result.series["speed_mps"], 2.5)
    assert "speed_derived" in issue_codes(result)
    assert "speed" not in result.records  # records keep what the file held


def test_speed_is_derived_from_positions_without_distance() -> None:
    points = [trackpoint(at(i), lat=0.0, lon=i * 3e-5) for i in range(30)]
    result = read(tcx(activity(lap(*points))))
    assert np.nanmedian(result.series["speed_mps"]) == pytest.approx(3.336, rel=1e-2)
    assert any("GPS positions" in i.message for i in result.issues)


def test_long_gaps_are_pauses_unless_the_lap_timer_ran_through() -> None:
    first = [trackpoint(at(t), distance=3.0 * t) for t in (0, 1, 2, 30, 31)]  # 28-s gap
    second = [trackpoint(at(t), distance=3.0 * t) for t in (60, 61, 80, 81)]  # 19-s gap
    paused_lap = lap(*first, start=at(0), total_time_s=32.0)  # 60 s elapsed: paused
    steady_lap = lap(*second, start=at(60), total_time_s=21.0)  # 21 s elapsed: timer ran
    result = read(tcx(activity(paused_lap, steady_lap)))
    assert result.timer_stopped == ((2.0, 30.0), (31.0, 60.0))


def test_gaps_without_lap_times_are_pauses() -> None:
    points = [trackpoint(at(t)) for t in (0, 1, 2, 40, 41)]
    result = read(tcx(activity(lap(*points))))
    assert result.timer_stopped == ((2.0, 40.0),)


def test_one_session_per_activity() -> None:
    run = activity(lap(*steady_run(5), distance_m=12.0, total_time_s=4.0), creator="Edge 530")
    ride = activity(lap(trackpoint(at(100)), trackpoint(at(110)), start=at(100),
                        distance_m=80.0, total_time_s=10.0), sport="Biking")
    result = read(tcx(run, ride))
    assert [s.sport for s in result.sessions] == ["running", "cycling"]
    assert [(s.start_s, s.end_s) for s in result.sessions] == [(0.0, 4.0), (100.0, 110.0)]
    assert result.sessions[1].summary == {"total_distance_m": 80.0, "total_timer_time_s": 10.0}
    assert result.device == "Edge 530"


def test_other_sport_is_unknown() -> None:
    result = read(tcx(activity(lap(*steady_run(3)), sport="Other")))
    assert result.sessions[0].sport == "unknown"


def test_no_trackpoints_is_insufficient_data() -> None:
    with pytest.raises(InsufficientDataError, match=r"run\.tcx holds no track points.*Export"):
        read(tcx(activity(lap())))


def test_a_course_is_not_an_activity() -> None:
    data = (b'<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
            b'TrainingCenterDatabase/v2"><Courses><Course><Track><Trackpoint><Time>'
            + START.encode() + b"</Time></Trackpoint></Track></Course></Courses>"
            b"</TrainingCenterDatabase>")
    with pytest.raises(InsufficientDataError, match="course"):
        read(data)


def test_no_timed_points_is_insufficient_data() -> None:
    with pytest.raises(InsufficientDataError, match="none has a readable time"):
        read(tcx(activity(lap(trackpoint(None, distance=1.0), trackpoint("yesterday")))))


def test_truncated_file_is_corrupt() -> None:
    data = tcx(activity(lap(*steady_run(10))))
    with pytest.raises(CorruptFileError, match=r"run\.tcx is damaged: it is not well-formed XML "
                                               r"\(line \d+, column \d+\)"):
        read(data[: len(data) // 2])


def test_a_gpx_is_not_a_tcx() -> None:
    with pytest.raises(UnsupportedFormatError, match="<gpx>"):
        read(b'<gpx xmlns="http://www.topografix.com/GPX/1/1"></gpx>')


def test_dtd_is_refused() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE TrainingCenterDatabase [<!ENTITY a "b">]>' + tcx(
        activity(lap(*steady_run(3)))).split(b"\n", 1)[1]
    with pytest.raises(CorruptFileError, match="DTD"):
        read(data)


def test_leading_blank_lines_are_tolerated() -> None:
    result = read(b"\n  \n" + tcx(activity(lap(*steady_run(3)))))
    assert result.t_s.size == 3


def test_a_clock_that_steps_back_is_repaired_in_file_order(tmp_path: Path) -> None:
    """Issue #12 item 4: the distance keeps counting, so the file order is the truth."""
    start = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    points = []
    for i in range(600):
        stamp = start + timedelta(seconds=i - (120 if i >= 300 else 0))
        points.append(f"<Trackpoint><Time>{stamp.strftime('%Y-%m-%dT%H:%M:%SZ')}</Time>"
                      f"<DistanceMeters>{3.0 * i:.1f}</DistanceMeters></Trackpoint>")
    path = tmp_path / "stepped.tcx"
    path.write_text(
        '<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities><Activity Sport="Running"><Id>x</Id>'
        f'<Lap StartTime="{start.strftime("%Y-%m-%dT%H:%M:%SZ")}"><Track>{"".join(points)}'
        "</Track></Lap></Activity></Activities></TrainingCenterDatabase>")
    activity = read_activity(path)
    assert activity.t_s.size == 600
    np.testing.assert_allclose(activity.t_s, np.arange(600.0))
    assert np.all(np.diff(activity.series["distance_m"]) > 0)  # not shuffled
    assert "clock_repaired" in {i.code for i in activity.issues}
