"""Export archives and folders: every archive is generated here, nothing is committed."""

from __future__ import annotations

import gzip
import io
import os
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from backstride.adapters import archives
from backstride.adapters.archives import ImportItem, ImportProblem, iter_import_items
from backstride.adapters.archives.common import Meta
from backstride.adapters.archives.strava import strava_index
from backstride.adapters.formats import read_activity_bytes
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.core.activity import Activity
from backstride.core.simulate import RunPlan, simulate_run
from tests.conftest import fixture_file, issue_codes

Out = ImportItem | ImportProblem


@cache
def fit_bytes(seed: int) -> bytes:
    """A small real FIT activity; each seed gives different bytes."""
    plan = RunPlan(duration_s=60 + seed, pauses=(), walks=())
    return write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=seed)))


GPX = (b'<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="Test" version="1.1" '
       b'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type><trkseg>'
       + b"".join(f'<trkpt lat="0" lon="{i * 3e-5:.5f}"><time>2024-05-01T06:30:{i:02d}Z</time>'
                  f"</trkpt>".encode() for i in range(30))
       + b"</trkseg></trk></gpx>")
TCX = (b'<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
       b'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
       b'<Activity Sport="Running"><Id>2024-05-01T06:30:00Z</Id><Lap StartTime="2024-05-01T06:30'
       b':00Z"><TotalTimeSeconds>30</TotalTimeSeconds><DistanceMeters>90</DistanceMeters><Track>'
       + b"".join(f"<Trackpoint><Time>2024-05-01T06:30:{i:02d}Z</Time><DistanceMeters>{i * 3}"
                  f"</DistanceMeters></Trackpoint>".encode() for i in range(30))
       + b"</Track></Lap></Activity></Activities></TrainingCenterDatabase>")


def make_zip(members: Iterable[tuple[str, bytes]], *,
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_import(*paths: Path) -> list[Out]:
    return list(iter_import_items(list(paths)))


def items(outs: list[Out]) -> list[ImportItem]:
    return [out for out in outs if isinstance(out, ImportItem)]


def problems(outs: list[Out]) -> list[ImportProblem]:
    return [out for out in outs if isinstance(out, ImportProblem)]


# --- the item type ----------------------------------------------------------------------------

def test_an_item_holds_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ImportItem(name="x")
    with pytest.raises(ValueError, match="exactly one"):
        ImportItem(name="x", path=Path("a.fit"), data=b"")


# --- plain files and folders ------------------------------------------------------------------

def test_files_are_sniffed_by_content_not_name(tmp_path: Path) -> None:
    fit = write(tmp_path / "run.dat", fit_bytes(1))
    gpx_gz = write(tmp_path / "run.gpx.gz", gzip.compress(GPX))
    random_file = write(tmp_path / "notes.bin", os.urandom(3000))
    empty = write(tmp_path / "empty.fit", b"")
    bad_gz = write(tmp_path / "broken.fit.gz", b"\x1f\x8b\x08\x00garbage-not-deflate")
    missing = tmp_path / "missing.fit"

    outs = run_import(fit, gpx_gz, random_file, empty, bad_gz, missing)

    assert [(type(o).__name__, o.name) for o in outs] == [
        ("ImportItem", str(fit)), ("ImportItem", str(gpx_gz)),
        ("ImportProblem", str(random_file)), ("ImportProblem", str(empty)),
        ("ImportProblem", str(bad_gz)), ("ImportProblem", str(missing)),
    ]
    first = items(outs)[0]
    assert first.path == fit and first.data is None and first.activity is None
    errors = [p.error for p in problems(outs)]
    assert "not a FIT, TCX or GPX activity" in errors[0]
    assert "empty" in errors[1] and "damaged gzip" in errors[2] and "does not exist" in errors[3]


def test_a_folder_is_walked_sorted_skipping_hidden_and_counting_the_rest(tmp_path: Path) -> None:
    write(tmp_path / "b" / "run.tcx", TCX)
    write(tmp_path / "a.fit", fit_bytes(1))
    write(tmp_path / ".hidden.fit", fit_bytes(2))
    write(tmp_path / ".git" / "x.fit", fit_bytes(3))
    write(tmp_path / "c.zip", make_zip([("inner/run.gpx", GPX)]))
    write(tmp_path / "notes.txt", b"hello")
    write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0")

    outs = run_import(tmp_path)

    assert [o.name for o in items(outs)] == [
        str(tmp_path / "a.fit"), str(tmp_path / "b" / "run.tcx"),
        f"{tmp_path / 'c.zip'}!inner/run.gpx"]
    [summary] = problems(outs)
    assert summary.name == str(tmp_path)
    assert summary.error.startswith("2 files here are neither activities nor exports")
    assert "notes.txt" in summary.error


def test_a_broken_activity_in_a_folder_is_reported_not_counted(tmp_path: Path) -> None:
    write(tmp_path / "broken.fit", b"this is not a FIT file at all")
    [problem] = run_import(tmp_path)
    assert isinstance(problem, ImportProblem) and problem.name.endswith("broken.fit")


# --- zip safety -------------------------------------------------------------------------------

def test_a_zip_bomb_member_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("good.fit", fit_bytes(1))
        with archive.open("bomb.fit", "w") as member:
            for _ in range(8):
                member.write(bytes(1024 * 1024))  # 8 MiB of zeros -> about 8 KB
    outs = run_import(path)
    [problem] = problems(outs)
    assert problem.name == f"{path}!bomb.fit"
    assert "200:1" in problem.error and "zip bomb" in problem.error
    assert [o.name for o in items(outs)] == [f"{path}!good.fit"]


def test_a_member_above_the_size_cap_is_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives.limits, "MAX_MEMBER_BYTES", 1000)
    path = write(tmp_path / "big.zip", make_zip([("run.fit", fit_bytes(1))]))
    [problem] = run_import(path)
    assert isinstance(problem, ImportProblem)
    assert "above the 1000 bytes limit for one archive member" in problem.error


def test_the_archive_budget_stops_the_archive(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives.limits, "MAX_ARCHIVE_BYTES", len(fit_bytes(1)) + 10)
    path = write(tmp_path / "many.zip", make_zip(
        [("a.fit", fit_bytes(1)), ("b.fit", fit_bytes(2)), ("c.fit", fit_bytes(3))]))
    outs = run_import(path)
    assert [o.name for o in items(outs)] == [f"{path}!a.fit"]
    [problem] = problems(outs)
    assert problem.name == f"{path}!b.fit" and "import stopped here" in problem.error


def test_a_header_that_understates_the_size_cannot_make_it_read_more(tmp_path: Path) -> None:
    data = fit_bytes(1)
    raw = bytearray(make_zip([("run.fit", data)], compression=zipfile.ZIP_STORED))
    local, central = raw.index(b"PK\x03\x04"), raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, 100)  # uncompressed size, local header
    struct.pack_into("<I", raw, central + 24, 100)  # and central directory
    [problem] = run_import(write(tmp_path / "liar.zip", bytes(raw)))
    assert isinstance(problem, ImportProblem) and problem.name.endswith("!run.fit")
    assert "damaged inside the archive" in problem.error


def test_members_with_climbing_or_absolute_paths_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "evil.zip", make_zip(
        [("../../evil.fit", fit_bytes(1)), ("/etc/abs.fit", fit_bytes(2)),
         ("ok/run.fit", fit_bytes(3))]))
    outs = run_import(path)
    assert [o.name for o in items(outs)] == [f"{path}!ok/run.fit"]
    unsafe = problems(outs)
    assert {p.name for p in unsafe} == {f"{path}!../../evil.fit", f"{path}!/etc/abs.fit"}
    assert all(p.error.startswith("unsafe path") and "skipped" in p.error for p in unsafe)
    assert not (tmp_path.parent / "evil.fit").exists()


def test_a_zip_with_a_huge_file_list_is_refused_before_loading_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives.limits, "MAX_DIRECTORY_BYTES", 200)
    members = [(f"run{i}.fit", fit_bytes(1)) for i in range(5)]
    [problem] = run_import(write(tmp_path / "many.zip", make_zip(members)))
    assert isinstance(problem, ImportProblem) and "file list takes" in problem.error


def test_too_many_members_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives.limits, "MAX_MEMBERS", 2)
    members = [(f"run{i}.fit", fit_bytes(1)) for i in range(3)]
    [problem] = run_import(write(tmp_path / "many.zip", make_zip(members)))
    assert isinstance(problem, ImportProblem) and "more than the 2" in problem.error


def test_a_corrupt_zip_is_a_problem(tmp_path: Path) -> None:
    whole = make_zip([("a.fit", fit_bytes(1)), ("b.fit", fit_bytes(2))])
    path = write(tmp_path / "cut.zip", whole[: len(whole) // 2])
    [problem] = run_import(path)
    assert isinstance(problem, ImportProblem) and problem.name == str(path)
    assert "damaged zip archive" in problem.error


def test_a_crc_error_is_a_problem_for_that_member(tmp_path: Path) -> None:
    raw = bytearray(make_zip([("a.fit", fit_bytes(1))], compression=zipfile.ZIP_STORED))
    raw[raw.index(b".FIT") + 40] ^= 0xFF  # flip a byte inside the stored member
    [problem] = run_import(write(tmp_path / "crc.zip", bytes(raw)))
    assert isinstance(problem, ImportProblem) and "CRC" in problem.error


def test_a_zip_without_activities_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "photos.zip", make_zip([("a.jpg", b"\xff\xd8"), ("b.txt", b"x")]))
    [problem] = run_import(path)
    assert isinstance(problem, ImportProblem) and "holds no FIT, TCX or GPX" in problem.error


def test_a_member_named_fit_that_is_not_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.zip", make_zip([("fake.fit", b"not a fit file")]))
    [problem] = run_import(path)
    assert isinstance(problem, ImportProblem) and problem.name == f"{path}!fake.fit"


# --- Garmin -----------------------------------------------------------------------------------

UPLOADED = "DI_CONNECT/DI-Connect-Uploaded-Files"


def test_a_garmin_export_yields_each_fit_once_from_the_zips_inside(tmp_path: Path) -> None:
    part1 = make_zip([("7001_ACTIVITY.fit", fit_bytes(1)), ("7002_ACTIVITY.fit", fit_bytes(2))])
    part2 = make_zip([("7003_ACTIVITY.fit", fit_bytes(3)), ("copy.fit", fit_bytes(1))])
    path = write(tmp_path / "export.zip", make_zip([
        ("DI_CONNECT/DI-Connect-Fitness/me_0_summarizedActivities.json", b"[]"),
        ("DI_CONNECT/DI-Connect-Wellness/monitor.fit", fit_bytes(4)),  # not an activity upload
        (f"{UPLOADED}/UploadedFiles_0-_Part1.zip", part1),
        (f"{UPLOADED}/UploadedFiles_0-_Part2.zip", part2),
    ]))

    outs = run_import(path)

    assert problems(outs) == []
    assert [o.name for o in outs] == [
        f"{path}!{UPLOADED}/UploadedFiles_0-_Part1.zip!7001_ACTIVITY.fit",
        f"{path}!{UPLOADED}/UploadedFiles_0-_Part1.zip!7002_ACTIVITY.fit",
        f"{path}!{UPLOADED}/UploadedFiles_0-_Part2.zip!7003_ACTIVITY.fit",
    ]
    decoded = [read_activity_bytes(o.data or b"", Path(o.name)) for o in items(outs)]
    assert [a.format for a in decoded] == ["fit", "fit", "fit"]


def test_real_watch_files_inside_a_garmin_export(tmp_path: Path) -> None:
    names = ("fr220-short-run.fit", "garmin-fenix-5-run.fit")
    files = [(name, fixture_file("watch", name).read_bytes()) for name in names]
    path = write(tmp_path / "export.zip",
                 make_zip([(f"{UPLOADED}/UploadedFiles_0-_Part1.zip", make_zip(files))]))
    found = items(run_import(path))
    assert [o.name.rsplit("!", 1)[1] for o in found] == list(names)
    assert [o.data for o in found] == [data for _, data in files]


def test_zips_nest_at_most_three_deep(tmp_path: Path) -> None:
    level3 = make_zip([("deep.fit", fit_bytes(1)), ("level4.zip",
                                                    make_zip([("deeper.fit", fit_bytes(2))]))])
    path = write(tmp_path / "outer.zip", make_zip([("level2.zip", make_zip(
        [("level3.zip", level3)]))]))
    outs = run_import(path)
    assert [o.name for o in items(outs)] == [f"{path}!level2.zip!level3.zip!deep.fit"]
    [problem] = problems(outs)
    assert problem.name == f"{path}!level2.zip!level3.zip!level4.zip"
    assert "more than 3 levels deep" in problem.error


# --- Strava -----------------------------------------------------------------------------------

STRAVA_CSV = (
    "ACTIVITY ID,Activity Date,activity name,Activity type,Relative Effort,Distance,FILENAME,"
    "Distance,Some Column Nobody Knows\n"
    '101,"May 1, 2024, 6:30:00 AM",Morning Run,Run,12,5.0,activities/101.fit.gz,5000.0,x\n'
    '102,"May 2, 2024, 6:30:00 AM","Lunch, with a comma",Run,,3.0,activities/102.gpx.gz,3000,\n'
    '103,"May 3, 2024, 6:30:00 AM",Ride home,Ride,,10,activities/103.tcx.gz,10000,\n'
    '104,"May 4, 2024, 6:30:00 AM",Manual entry,Run,,4,,4000,\n'
    '105,"May 5, 2024, 6:30:00 AM",Lost,Run,,4,activities/105.fit.gz,4000,\n'
)


def strava_members() -> list[tuple[str, bytes]]:
    return [
        ("activities.csv", STRAVA_CSV.encode()),
        ("activities/101.fit.gz", gzip.compress(fit_bytes(1))),
        ("activities/102.gpx.gz", gzip.compress(GPX)),
        ("activities/103.tcx.gz", gzip.compress(TCX)),
        ("activities/999.fit", fit_bytes(9)),  # not listed: not imported
        ("comments.csv", b"Comment Date,Comment\n"),
        ("profile.csv", b"Athlete ID,Email Address\n"),
    ]


def test_a_strava_export_imports_the_listed_files_with_their_type_and_name(
        tmp_path: Path) -> None:
    path = write(tmp_path / "export_12345.zip", make_zip(strava_members()))
    outs = run_import(path)

    found = items(outs)
    assert [(o.name, o.activity_type, o.activity_name) for o in found] == [
        (f"{path}!activities/101.fit.gz", "Run", "Morning Run"),
        (f"{path}!activities/102.gpx.gz", "Run", "Lunch, with a comma"),
        (f"{path}!activities/103.tcx.gz", "Ride", "Ride home"),
    ]
    assert all((o.data or b"")[:2] == b"\x1f\x8b" for o in found)  # passed through gzipped
    formats = [read_activity_bytes(o.data or b"", Path(o.name)).format for o in found]
    assert formats == ["fit", "gpx", "tcx"]
    [missing] = problems(outs)
    assert missing.name == f"{path}!activities.csv"
    assert "1 files listed in activities.csv are not in the export" in missing.error
    assert "activities/105.fit.gz" in missing.error


def test_a_strava_export_in_its_own_folder_inside_the_zip(tmp_path: Path) -> None:
    members = [(f"export_1/{name}", data) for name, data in strava_members()]
    outs = run_import(write(tmp_path / "strava.zip", make_zip(members)))
    assert [o.name.rsplit("!", 1)[1] for o in items(outs)] == [
        "export_1/activities/101.fit.gz", "export_1/activities/102.gpx.gz",
        "export_1/activities/103.tcx.gz"]


def test_a_german_strava_csv_is_understood() -> None:
    raw = ("Aktivitäts-ID,Aktivitätsdatum,Name der Aktivität,Aktivitätsart,Dateiname\n"
           "8,\"1. Jan. 2026\",Feierabendrunde,Lauf,activities/8.fit.gz\n").encode("utf-8-sig")
    index = strava_index(raw)
    assert index == {"activities/8.fit.gz": Meta("Lauf", "Feierabendrunde")}


def test_a_strava_csv_without_known_headers_finds_the_filename_by_content() -> None:
    raw = b"Id,Datei\n1,activities/1.gpx\n2,\n"
    assert strava_index(raw) == {"activities/1.gpx": Meta()}


def test_an_unusable_strava_csv_imports_every_activity_file_without_a_problem(
        tmp_path: Path) -> None:
    members = [("activities.csv", b"foo,bar\n1,2\n"), *strava_members()[1:]]
    outs = run_import(write(tmp_path / "strava.zip", make_zip(members)))
    assert problems(outs) == []
    assert [o.name.rsplit("!", 1)[1] for o in outs] == [
        "activities/101.fit.gz", "activities/102.gpx.gz", "activities/103.tcx.gz",
        "activities/999.fit"]


def test_a_strava_csv_with_a_climbing_path_is_reported(tmp_path: Path) -> None:
    members = [("activities.csv", b"Filename\n../../etc/passwd\nactivities/1.fit\n"),
               ("activities/1.fit", fit_bytes(1))]
    outs = run_import(write(tmp_path / "strava.zip", make_zip(members)))
    assert len(items(outs)) == 1
    [problem] = problems(outs)
    assert problem.name.endswith("!../../etc/passwd") and "unsafe path" in problem.error


def test_an_unzipped_strava_folder_yields_just_its_activity_files(tmp_path: Path) -> None:
    folder = tmp_path / "export_12345"
    for name, data in strava_members():
        write(folder / name, data)
    write(folder / "media" / "photo.jpg", b"\xff\xd8")
    outs = run_import(folder)
    assert [(o.path, o.activity_type) for o in items(outs)] == [
        (folder / "activities" / "101.fit.gz", "Run"),
        (folder / "activities" / "102.gpx.gz", "Run"),
        (folder / "activities" / "103.tcx.gz", "Ride"),
    ]
    [missing] = problems(outs)
    assert missing.name == str(folder / "activities.csv") and "105.fit.gz" in missing.error


# --- Apple Health -----------------------------------------------------------------------------

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth                   CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex                 CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType                     CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse   CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent ((MetadataEntry)*)>
<!ATTLIST WorkoutEvent
  type                 CDATA #REQUIRED
  date                 CDATA #REQUIRED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #REQUIRED
  average              CDATA #IMPLIED
  minimum              CDATA #IMPLIED
  maximum              CDATA #IMPLIED
  sum                  CDATA #IMPLIED
  unit                 CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
]>
<HealthData locale="en_GB">
 <ExportDate value="2024-06-01 10:00:00 +0200"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1985-01-01" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>
"""  # noqa: E501  (Apple's own DTD, verbatim in form)
FOOTER = "</HealthData>\n"
WATCH = "Jo’s Apple Watch"
DEVICE = ("&lt;&lt;HKDevice: 0x281d38f50&gt;, name:Apple Watch, manufacturer:Apple Inc., "
          "model:Watch, hardware:Watch6,2, software:10.4&gt;")


def rec(kind: str, unit: str, value: float | str, start: str, end: str | None = None, *,
        source: str = WATCH) -> str:
    day = "2024-05-01"
    return (f' <Record type="HKQuantityTypeIdentifier{kind}" sourceName="{source}" '
            f'sourceVersion="10.4" device="{DEVICE}" unit="{unit}" creationDate="{day} 07:00:00 '
            f'+0200" startDate="{day} {start} +0200" endDate="{day} {end or start} +0200" '
            f'value="{value}">\n  <MetadataEntry key="HKMetadataKeySyncVersion" value="1"/>\n'
            " </Record>\n")


def workout(kind: str = "Running", start: str = "2024-05-01 06:30:00 +0200",
            end: str = "2024-05-01 06:40:00 +0200", *, body: str = "",
            distance: str = 'totalDistance="2.0" totalDistanceUnit="km" ') -> str:
    return (f' <Workout workoutActivityType="HKWorkoutActivityType{kind}" duration="9.5" '
            f'durationUnit="min" {distance}totalEnergyBurned="150" totalEnergyBurnedUnit="kcal" '
            f'sourceName="{WATCH}" sourceVersion="10.4" device="{DEVICE}" creationDate="{end}" '
            f'startDate="{start}" endDate="{end}">\n{body} </Workout>\n')


RUN_BODY = (
    '  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n'
    '  <WorkoutEvent type="HKWorkoutEventTypePause" date="2024-05-01 06:35:00 +0200"/>\n'
    '  <WorkoutEvent type="HKWorkoutEventTypeResume" date="2024-05-01 06:35:30 +0200"/>\n'
    '  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="2024-05-01 '
    '06:30:00 +0200" endDate="2024-05-01 06:40:00 +0200" average="150" minimum="120" '
    'maximum="170" unit="count/min"/>\n'
)
RECORDS = "".join([
    rec("HeartRate", "count/min", 101, "06:29:00"),  # before the run
    rec("RunningGroundContactTime", "ms", 250, "06:31:00"),
    rec("RunningGroundContactTime", "s", 0.26, "06:32:00"),
    rec("RunningVerticalOscillation", "cm", 8.5, "06:31:00"),
    rec("RunningVerticalOscillation", "mm", 90, "06:32:00"),
    rec("RunningStrideLength", "m", 1.1, "06:31:00"),
    rec("RunningStrideLength", "cm", 120, "06:32:00"),
    rec("RunningPower", "W", 250, "06:31:00"),
    rec("RunningPower", "kcal/hr", 900, "06:33:00"),  # a unit nobody converts
    rec("RunningSpeed", "km/hr", 10.8, "06:31:00"),
    rec("RunningSpeed", "mi/hr", 6.0, "06:32:00"),
    rec("StepCount", "count", 170, "06:31:00", "06:32:00"),
    rec("StepCount", "count", 85, "06:32:00", "06:32:30"),
    rec("StepCount", "count", 400, "06:39:00", "06:41:00"),  # runs past the workout's end
    rec("DistanceWalkingRunning", "km", 0.2, "06:31:00", "06:32:00"),
    rec("DistanceWalkingRunning", "m", 150, "06:32:00", "06:32:30"),
    rec("HeartRate", "count/min", 150, "06:31:00"),
    rec("ActiveEnergyBurned", "kcal", 5, "06:31:00", "06:32:00"),  # not kept
    rec("HeartRate", "count/min", 102, "06:41:00"),  # after the run
])
CYCLING = workout("Cycling", "2024-05-01 18:00:00 +0200", "2024-05-01 19:00:00 +0200") + rec(
    "HeartRate", "count/min", 130, "18:30:00")
CORRELATION = (
    ' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Cuff" '
    'startDate="2024-05-01 06:35:00 +0200" endDate="2024-05-01 06:35:00 +0200">\n'
    + rec("HeartRate", "count/min", 999, "06:35:00", source="Cuff").replace(
        "HeartRate", "BloodPressureSystolic")
    + " </Correlation>\n"
)
NAN = np.nan


def health_xml(*parts: str) -> bytes:
    return (HEADER + "".join(parts) + FOOTER).encode()


def health_zip(tmp_path: Path, xml: bytes, name: str = "export.zip") -> Path:
    return write(tmp_path / name, make_zip([
        ("apple_health_export/export.xml", xml),
        ("apple_health_export/export_cda.xml", b"<ClinicalDocument/>"),
        ("apple_health_export/workout-routes/route_2024-05-01_6.30am.gpx", GPX),
    ]))


def only_activity(outs: list[Out]) -> Activity:
    assert problems(outs) == []
    [item] = items(outs)
    assert item.activity is not None and item.path is None and item.data is None
    return item.activity


def test_an_apple_health_run_is_converted_by_each_records_unit(tmp_path: Path) -> None:
    # Records first, workouts last, as Apple writes them; a cycling workout to ignore.
    path = health_zip(tmp_path, health_xml(RECORDS, CORRELATION, CYCLING,
                                           workout(body=RUN_BODY)))
    outs = run_import(path)
    [item] = items(outs)
    assert item.name == (f"{path}!apple_health_export/export.xml#2024-05-01 06:30:00 +0200")
    activity = only_activity(outs)

    assert activity.format == "apple_health"
    assert activity.start_utc == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    assert activity.device == WATCH
    np.testing.assert_array_equal(activity.t_s, [60.0, 90.0, 120.0, 135.0])
    expected = {
        "ground_contact_time_s": [0.25, NAN, 0.26, NAN],
        "vertical_oscillation_m": [0.085, NAN, 0.09, NAN],
        "step_length_m": [1.1, NAN, 1.2, NAN],
        "power_w": [250.0, NAN, NAN, NAN],
        "speed_mps": [3.0, NAN, 6.0 * 0.44704, NAN],
        "cadence_spm": [NAN, 170.0, NAN, 170.0],  # 170 steps / 1 min, 85 steps / 0.5 min
        "distance_m": [NAN, 100.0, NAN, 275.0],  # cumulative, at each record's midpoint
        "heart_rate_bpm": [150.0, NAN, NAN, NAN],
    }
    assert set(activity.series) == set(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(activity.series[name], values, rtol=1e-12, err_msg=name)
    [session] = activity.sessions
    assert (session.sport, session.sub_sport, session.start_s, session.end_s) == (
        "running", None, 0.0, 600.0)
    assert dict(session.summary) == {"total_distance_m": 2000.0, "total_elapsed_time_s": 600.0,
                                     "total_timer_time_s": 570.0}
    assert activity.timer_stopped == ((300.0, 330.0),)
    assert issue_codes(activity) == {"apple_health_unknown_unit"}
    assert "'kcal/hr'" in activity.issues[0].message
    assert activity.cadence_resolution_spm == pytest.approx(1 / 0.75)


def test_the_fingerprint_is_stable_and_tells_workouts_apart(tmp_path: Path) -> None:
    xml = health_xml(RECORDS, workout(body=RUN_BODY))
    first = only_activity(run_import(health_zip(tmp_path, xml, "a.zip")))
    again = only_activity(run_import(health_zip(tmp_path, xml, "b.zip")))
    other = only_activity(run_import(health_zip(tmp_path, xml.replace(b'"250"', b'"251"'),
                                                "c.zip")))
    assert first.sha256 == again.sha256 != other.sha256
    assert len(first.sha256) == 64


def test_newer_exports_give_the_distance_as_a_workout_statistic(tmp_path: Path) -> None:
    stats = ('  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" '
             'startDate="2024-05-01 06:30:00 +0200" endDate="2024-05-01 06:40:00 +0200" '
             'sum="1.5" unit="mi"/>\n  <MetadataEntry key="HKIndoorWorkout" value="1"/>\n')
    xml = health_xml(workout(body=stats, distance=""), RECORDS)
    activity = only_activity(run_import(health_zip(tmp_path, xml)))
    [session] = activity.sessions
    assert session.summary["total_distance_m"] == pytest.approx(1.5 * 1609.344)
    assert session.sub_sport == "treadmill"


def test_steps_from_phone_and_watch_are_not_counted_twice(tmp_path: Path) -> None:
    phone = rec("StepCount", "count", 999, "06:31:00", "06:32:00", source="Jo’s iPhone")
    activity = only_activity(run_import(health_zip(tmp_path, health_xml(
        workout(), RECORDS, phone))))
    assert np.nanmax(activity.series["cadence_spm"]) == 170.0
    assert issue_codes(activity) >= {"apple_health_several_sources"}


def test_a_workout_with_only_totals_is_a_clear_problem(tmp_path: Path) -> None:
    outs = run_import(health_zip(tmp_path, health_xml(
        workout(start="2024-05-03 06:30:00 +0200", end="2024-05-03 06:40:00 +0200"))))
    [problem] = outs
    assert isinstance(problem, ImportProblem)
    assert problem.error.startswith("the running workout on 2024-05-03 06:30 has only totals")


def test_an_export_without_running_workouts_says_so(tmp_path: Path) -> None:
    [problem] = run_import(health_zip(tmp_path, health_xml(CYCLING)))
    assert isinstance(problem, ImportProblem) and "no running workouts" in problem.error


def test_a_truncated_export_keeps_the_workouts_before_the_cut(tmp_path: Path) -> None:
    second = workout(start="2024-05-02 06:30:00 +0200", end="2024-05-02 06:40:00 +0200")
    whole = health_xml(workout(body=RUN_BODY), RECORDS, second,
                       RECORDS.replace("2024-05-01", "2024-05-02"))
    cut = whole[: whole.index(b"<Workout", whole.index(b"</Workout>")) + 40]
    outs = run_import(health_zip(tmp_path, cut))
    assert [type(o) for o in outs] == [ImportItem, ImportProblem]
    activity = items(outs)[0].activity
    assert activity is not None and activity.start_utc == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    problem = problems(outs)[0]
    assert problem.error.startswith("export.xml is cut off or damaged at line")
    assert "running workouts imported from before that point: 1" in problem.error


def test_an_export_declaring_an_entity_is_refused(tmp_path: Path) -> None:
    hostile = health_xml(RECORDS, workout()).replace(
        b"<!ELEMENT ExportDate EMPTY>", b'<!ENTITY lol "lololol"><!ELEMENT ExportDate EMPTY>')
    [problem] = run_import(health_zip(tmp_path, hostile))
    assert isinstance(problem, ImportProblem)
    assert "declares an XML entity" in problem.error and "nothing was imported" in problem.error


def test_an_unzipped_export_and_a_bare_export_xml_are_read_too(tmp_path: Path) -> None:
    folder = tmp_path / "apple_health_export"
    write(folder / "export.xml", health_xml(RECORDS, workout()))
    write(folder / "workout-routes" / "route_2024-05-01_6.30am.gpx", GPX)  # repeats the run
    from_folder = only_activity(run_import(tmp_path))
    from_file = only_activity(run_import(folder / "export.xml"))
    assert from_folder.sha256 == from_file.sha256


def test_a_damaged_export_member_keeps_what_was_read(tmp_path: Path) -> None:
    xml = health_xml(workout(), RECORDS, "".join(
        rec("HeartRate", "count/min", 100 + i % 50, f"12:{i // 60 % 60:02d}:{i % 60:02d}")
        for i in range(2000)))
    raw = bytearray(make_zip([("apple_health_export/export.xml", xml)],
                             compression=zipfile.ZIP_STORED))
    raw[len(raw) - 2000] ^= 0xFF  # late in the member: a CRC error at its end
    outs = run_import(write(tmp_path / "export.zip", bytes(raw)))
    assert [type(o) for o in outs] == [ImportItem, ImportProblem]
    assert "damaged" in problems(outs)[0].error


# --- memory on a large export -----------------------------------------------------------------

def _write_big_export(path: Path, n_workouts: int = 20) -> int:
    """~50 MB of export.xml, written into the zip as a stream; returns its size."""
    size = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(
            "apple_health_export/export.xml", "w") as member:
        def put(text: str) -> None:
            nonlocal size
            data = text.encode()
            size += len(data)
            member.write(data)

        put(HEADER)
        for day in range(1, n_workouts + 1):
            date = f"2024-03-{day:02d}"
            lines = []
            for second in range(0, 6 * 3600, 3):  # every 3 s from 06:00 to 12:00
                hh, mm, ss = 6 + second // 3600, second // 60 % 60, second % 60
                stamp = f"{date} {hh:02d}:{mm:02d}:{ss:02d} +0100"
                lines.append(
                    f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="{WATCH}" '
                    f'sourceVersion="10.4" device="{DEVICE}" unit="count/min" '
                    f'creationDate="{stamp}" startDate="{stamp}" endDate="{stamp}" '
                    f'value="{120 + second % 40}"/>\n')
                if second % 60 == 0:
                    lines.append(lines[-1].replace("HeartRate", "StepCount").replace(
                        "count/min", "count").replace(f'endDate="{stamp}"', (
                            f'endDate="{date} {hh:02d}:{mm:02d}:59 +0100"')))
            put("".join(lines))
            put(workout(start=f"{date} 07:00:00 +0100", end=f"{date} 07:45:00 +0100"))
        put(FOOTER)
    return size


@pytest.mark.slow
def test_a_large_export_is_streamed_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    size = _write_big_export(path)
    assert size > 45e6

    tracemalloc.start()
    try:
        started = time.perf_counter()
        outs = run_import(path)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(items(outs)) == 20 and problems(outs) == []
    first = items(outs)[0].activity
    assert first is not None
    assert np.nanmin(first.series["cadence_spm"]) > 100
    print(f"export.xml {size / 1e6:.0f} MB: peak traced memory {peak / 1e6:.1f} MB, "
          f"{elapsed:.1f} s")
    assert peak < size / 5
