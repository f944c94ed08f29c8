"""Issue #12's numbers on the real-world corpus (tests/corpus), one line per file.

    .venv/bin/python benchmarks/corpus_report.py

For every file: the verdict (run / refused / error) against ``expectations.csv``, and for runs
the running cadence beside the device's own average and, for run/walk files, beside the
running-only mean read off the file's cadence histogram (records at or above the valley
between its walking and running modes), with the cadence drift claimed and the drift of the
running-only records. Ends with the totals the issue asks for.
"""

from __future__ import annotations

import csv
import sys
import time
import traceback
from pathlib import Path

import numpy as np

import backstride
from backstride.adapters.formats import read_activity
from backstride.errors import BackstrideError

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def _reference(path: Path, report: backstride.WatchReport,
               above_spm: float) -> tuple[float, float]:
    activity = read_activity(path)
    t, cadence, speed = (activity.t_s, activity.series["cadence_spm"],
                         activity.series["speed_mps"])
    inside = np.zeros(t.size, dtype=bool)
    for leg in report.run.legs:
        inside |= (t >= leg.start_s) & (t <= leg.end_s)
    running = inside & (speed >= 0.5) & (cadence >= above_spm) & (cadence <= 240.0)
    order = np.cumsum(running) / running.sum()
    early = cadence[running & (order <= 1 / 3)].mean()
    late = cadence[running & (order > 2 / 3)].mean()
    return float(cadence[running].mean()), float(late / early - 1.0)


def main() -> int:
    with (CORPUS / "expectations.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    tally = {"ok": 0, "wrong": 0, "traceback": 0}
    worst_run_walk = worst_steady = 0.0
    false_drift = 0
    for row in rows:
        path = CORPUS / row["file"]
        started = time.perf_counter()
        try:
            report = backstride.analyze(path)
            verdict, message = "run", ""
        except BackstrideError as exc:
            report, message = None, str(exc)
            verdict = "refused" if "not a run" in message else "error"
        except Exception:  # the count of tracebacks is the point
            traceback.print_exc()
            tally["traceback"] += 1
            continue
        took = time.perf_counter() - started
        ok = verdict == row["verdict"] and (verdict == "run" or row["expect"] in message)
        tally["ok" if ok else "wrong"] += 1
        line = f"{row['file']:<60} {verdict:<8}{'' if ok else ' (expected ' + row['verdict'] + ')'}"
        if report is not None:
            data = backstride.analysis_json(report)
            cadence = data["metrics"]["cadence_spm"]["value"]
            walk_min = data["activity"]["walking_time_s"] / 60
            line += f" walk {walk_min:5.1f} min"
            if cadence is not None:
                line += f" cadence {cadence:6.1f} spm"
                if row["device_cadence_spm"]:
                    device = float(row["device_cadence_spm"])
                    line += f" (device {device:.1f}, {100 * (cadence / device - 1):+.1f} %)"
                    if not row["running_above_spm"] and row["expect"] != "was this partly a walk":
                        worst_steady = max(worst_steady, abs(cadence / device - 1))
                if row["running_above_spm"]:
                    mean, change = _reference(path, report, float(row["running_above_spm"]))
                    worst_run_walk = max(worst_run_walk, abs(cadence / mean - 1))
                    drift = next((d for d in data["drift"] if d["metric"] == "cadence_spm"),
                                 None)
                    claimed = drift is not None and drift["significant"]
                    if claimed and (np.sign(drift["change_pct"]) != np.sign(change)
                                    or abs(change) < 0.01):
                        false_drift += 1
                    said = f"claimed {drift['change_pct']:+.1f} %" if claimed and drift else "none"
                    line += (f" running-only {mean:.1f} ({100 * (cadence / mean - 1):+.1f} %);"
                             f" drift {said} vs running-only {100 * change:+.1f} %")
        else:
            line += f" {message[:90]}"
        print(f"{line}  [{took:.2f} s]")
    print(f"\n{len(rows)} files: {tally['ok']} as expected, {tally['wrong']} not, "
          f"{tally['traceback']} tracebacks")
    print(f"steady runs: worst cadence difference from the device {100 * worst_steady:.2f} %")
    print(f"run/walk runs: worst difference from the running-only mean "
          f"{100 * worst_run_walk:.2f} %; drifts claimed that running-only data do not show: "
          f"{false_drift}")
    return 0 if tally["wrong"] == tally["traceback"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
