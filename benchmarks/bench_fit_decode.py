"""FIT decoding speed: backstride vs fitdecode vs pyfitparsernative, side by side in one run.

    python benchmarks/bench_fit_decode.py [--repeat N] [--records N] [--json OUT]

What is timed, per file, in one process and interleaved (A, B, C, A, B, C, ... over the
repeats, after one untimed warm-up call of each):

* backstride  ``backstride.read_activity(path)``: the public call, i.e. read the file, sniff the
  format, SHA-256, decode every message of every type to numpy columns, and convert to an
  Activity (SI series, sessions, timer stops).
* fitdecode   iterate ``fitdecode.FitReader(path, check_crc=CrcCheck.WARN)`` over all frames
  and read every data message's fields (``[(f.name, f.value) for f in frame.fields]``): a fair
  "decode everything" loop. Its exceptions are caught; the records decoded before it stopped
  are counted.
* pyfitparsernative (Rust)  ``pyfitparsernative.parse_fit_file(str(path))``; it raises on a bad
  CRC, chained files, an early end of file and undefined local messages, keeping nothing.

Files: a generated activity of ``--records`` 1 Hz records with full running dynamics (written
to a temp dir; generating it is timed separately and not counted), every FIT fixture of at least
50 KB in ../shared/fixtures/watch/ (relative to the repo root), and the malformed fixtures in a
separate robustness table.

Exit status 1 when backstride is less than 20x faster than fitdecode (ratio of medians) on the
generated file or on any well-formed fixture of at least 50 KB; 0 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import fitdecode
import numpy as np
import pyfitparsernative

import backstride

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "watch"
MIN_FIXTURE_BYTES = 50 * 1024
MALFORMED_EXTRA = ("strava-android-run-undefined-local-mesg.fit",)
REQUIRED_SPEEDUP = 20.0
TOOLS = ("backstride", "fitdecode", "pyfitparsernative")

# fitdecode warns (UserWarning) on every CRC mismatch with CrcCheck.WARN; keep the output clean
# (the fitdecode runner also records them itself).
warnings.filterwarnings("ignore", category=UserWarning, module=r"fitdecode(\..*)?")


# --- the three decoders --------------------------------------------------------------------
# Each runner returns (records kept, note). Only the call itself is inside the timer; counting
# records in the result happens outside it (``count``), except for fitdecode where the
# iteration *is* the decoding.


@dataclass
class Outcome:
    records: int
    note: str
    seconds: float


def _run_backstride(path: Path) -> Outcome:
    t0 = time.perf_counter()
    try:
        activity = backstride.read_activity(path)
    except Exception as exc:  # reported, not hidden
        return Outcome(0, f"raised: {type(exc).__name__}", time.perf_counter() - t0)
    elapsed = time.perf_counter() - t0
    rec = activity.messages.get("record", {})
    n = len(rec["_offset"]) if "_offset" in rec else 0
    codes = sorted({i.code for i in activity.issues})
    note = "ok" if not codes else "kept; issues: " + ", ".join(codes)
    return Outcome(n, note, elapsed)


def _run_fitdecode(path: Path) -> Outcome:
    n = 0
    note = "ok"
    t0 = time.perf_counter()
    # CRC mismatches arrive as UserWarnings (CrcCheck.WARN): caught here, counted in the note.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.WARN) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage):
                        _values = [(f.name, f.value) for f in frame.fields]
                        if frame.name == "record":
                            n += 1
        except Exception as exc:  # reported, not hidden
            note = f"stopped: {type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - t0
    crc = sum(1 for w in caught if "CRC" in str(w.message))
    if crc:
        note += f"; {crc} CRC mismatch warning(s), data kept"
    return Outcome(n, note, elapsed)


def _run_pyfitparsernative(path: Path) -> Outcome:
    t0 = time.perf_counter()
    try:
        messages = pyfitparsernative.parse_fit_file(str(path))
    except Exception as exc:  # reported, not hidden
        return Outcome(0, f"raised: {type(exc).__name__}: {exc}", time.perf_counter() - t0)
    elapsed = time.perf_counter() - t0
    n = sum(1 for m in messages if m.get("message_type") == "record")
    return Outcome(n, "ok", elapsed)


RUNNERS: dict[str, Callable[[Path], Outcome]] = {
    "backstride": _run_backstride,
    "fitdecode": _run_fitdecode,
    "pyfitparsernative": _run_pyfitparsernative,
}


# --- measuring -----------------------------------------------------------------------------


@dataclass
class ToolResult:
    records: int
    note: str
    times_s: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)

    @property
    def best_s(self) -> float:
        return min(self.times_s)


@dataclass
class FileResult:
    name: str
    kind: str  # "generated", "fixture" or "malformed"
    size_bytes: int
    tools: dict[str, ToolResult]

    def ratio(self, other: str) -> float:
        return self.tools[other].median_s / self.tools["backstride"].median_s


def measure(path: Path, kind: str, repeat: int) -> FileResult:
    tools: dict[str, ToolResult] = {}
    for name, runner in RUNNERS.items():  # warm-up, untimed; also gives counts and notes
        warm = runner(path)
        tools[name] = ToolResult(warm.records, warm.note)
    for _ in range(repeat):
        for name, runner in RUNNERS.items():
            gc.collect()  # garbage of the previous tool is not charged to this one
            outcome = runner(path)
            tools[name].times_s.append(outcome.seconds)
    return FileResult(path.name, kind, path.stat().st_size, tools)


def generate(records: int, folder: Path) -> tuple[Path, float]:
    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, simulate_run

    t0 = time.perf_counter()
    data = write_fit_bytes(simulated_run_messages(simulate_run(RunPlan(duration_s=records),
                                                               seed=7)))
    path = folder / f"generated-run-{records}-records-dynamics.fit"
    path.write_bytes(data)
    return path, time.perf_counter() - t0


def fixture_files() -> tuple[list[Path], list[Path], str | None]:
    """(well-formed FIT fixtures >= 50 KB, malformed fixtures, reason when skipped)."""
    if not FIXTURES.is_dir():
        return [], [], f"fixture folder {FIXTURES} is absent: fixtures skipped"
    fits = sorted(FIXTURES.glob("*.fit"))
    malformed = [p for p in fits if p.name.startswith("edge-") or p.name in MALFORMED_EXTRA]
    large = [p for p in fits if p not in malformed and p.stat().st_size >= MIN_FIXTURE_BYTES]
    large.sort(key=lambda p: p.stat().st_size, reverse=True)
    return large, malformed, None


# --- reporting -----------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "fitdecode": version("fitdecode"),
        "pyfitparsernative": version("pyfitparsernative"),
        "backstride": version("backstride"),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def speed_table(results: list[FileResult]) -> str:
    rows = [["file", "KB", "records bs/fd/pfpn", "bs ms", "(best)", "fitdecode ms",
             "pfpn ms", "x fitdecode", "x pfpn"]]
    for r in results:
        t = r.tools
        rows.append([
            r.name, f"{r.size_bytes / 1024:.0f}",
            "/".join(str(t[n].records) for n in TOOLS),
            f"{t['backstride'].median_s * 1e3:.2f}", f"{t['backstride'].best_s * 1e3:.2f}",
            f"{t['fitdecode'].median_s * 1e3:.1f}", f"{t['pyfitparsernative'].median_s * 1e3:.1f}",
            f"{r.ratio('fitdecode'):.1f}", f"{r.ratio('pyfitparsernative'):.1f}",
        ])
    return _table(rows, right=set(range(1, 9)))


def robustness_table(results: list[FileResult]) -> str:
    rows = [["file", "KB", "records bs/fd/pfpn", "bs ms", "fitdecode ms", "pfpn ms"]]
    for r in results:
        t = r.tools
        rows.append([
            r.name, f"{r.size_bytes / 1024:.1f}", "/".join(str(t[n].records) for n in TOOLS),
            f"{t['backstride'].median_s * 1e3:.2f}", f"{t['fitdecode'].median_s * 1e3:.2f}",
            f"{t['pyfitparsernative'].median_s * 1e3:.2f}",
        ])
    out = [_table(rows, right={1, 2, 3, 4, 5}), ""]
    for r in results:
        out.append(f"{r.name}:")
        for n in TOOLS:
            out.append(f"  {n:<18} {r.tools[n].records:>6} records  {r.tools[n].note}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tool and file")
    parser.add_argument("--records", type=int, default=50_000,
                        help="records (seconds at 1 Hz) in the generated file")
    parser.add_argument("--json", type=Path, help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.records < 2:
        parser.error("--repeat must be >= 1 and --records >= 2")

    env = environment()
    print(f"date: {env['date_utc']}")
    print(f"python {env['python']} ({env['implementation']}), numpy {env['numpy']}, "
          f"fitdecode {env['fitdecode']}, pyfitparsernative {env['pyfitparsernative']}, "
          f"backstride {env['backstride']}")
    print(f"cpu: {env['cpu']}, os.cpu_count() = {env['cpu_count']}; {env['platform']}")
    print(f"repeats: {args.repeat} timed runs per tool and file, interleaved, after one warm-up; "
          "ms are medians, 'x' columns are ratios of medians")
    print()

    main_results: list[FileResult] = []
    robust_results: list[FileResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        generated, gen_s = generate(args.records, Path(tmp))
        print(f"generated {generated.name}: {generated.stat().st_size / 1024:.0f} KB "
              f"in {gen_s:.2f} s (not counted)")
        main_results.append(measure(generated, "generated", args.repeat))
    large, malformed, skipped = fixture_files()
    if skipped:
        print(f"skipped: {skipped}")
    for path in large:
        main_results.append(measure(path, "fixture", args.repeat))
    for path in malformed:
        robust_results.append(measure(path, "malformed", args.repeat))

    print()
    print("Speed (generated file and well-formed fixtures >= 50 KB)")
    print(speed_table(main_results))
    if robust_results:
        print()
        print("Robustness (malformed fixtures): records kept by each tool")
        print(robustness_table(robust_results))

    failing = [r for r in main_results if r.ratio("fitdecode") < REQUIRED_SPEEDUP]
    print()
    if failing:
        for r in failing:
            print(f"FAIL: {r.name}: {r.ratio('fitdecode'):.1f}x fitdecode "
                  f"(< {REQUIRED_SPEEDUP:.0f}x required)")
    else:
        lowest = min(r.ratio("fitdecode") for r in main_results)
        print(f"OK: backstride.read_activity is >= {REQUIRED_SPEEDUP:.0f}x faster than fitdecode "
              f"on every file above (lowest {lowest:.1f}x)")

    if args.json:
        payload = {
            "environment": env,
            "repeat": args.repeat,
            "records": args.records,
            "generation_s": gen_s,
            "required_speedup_vs_fitdecode": REQUIRED_SPEEDUP,
            "files": [
                {
                    "name": r.name, "kind": r.kind, "size_bytes": r.size_bytes,
                    "speedup_vs_fitdecode": r.ratio("fitdecode"),
                    "speedup_vs_pyfitparsernative": r.ratio("pyfitparsernative"),
                    "tools": {n: {**asdict(t), "median_s": t.median_s, "best_s": t.best_s}
                              for n, t in r.tools.items()},
                }
                for r in main_results + robust_results
            ],
            "passed": not failing,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"numbers written to {args.json}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
