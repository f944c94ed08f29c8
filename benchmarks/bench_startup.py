"""Start-up cost of the hot commands, as whole processes, against ``python -c "import click"``.

    python benchmarks/bench_startup.py [--repeat N] [--json OUT] [--check]

Each command runs as its own process, interleaved with the baseline (baseline, command 1,
baseline, command 2, ... for every repeat, after one untimed warm-up round), so that a busy
machine slows both sides alike. Per command it reports the median wall time and the median CPU
time (user + system of the child, from ``resource.getrusage``: the figure least disturbed by
other work on the machine), and their ratios to the baseline's medians in the same run.

Commands (inputs are generated into a temp folder first, untimed):

* ``backstride --version``
* ``backstride triage --answers F --json -`` (the demo's answers; it records the triage in a
  throwaway history database)
* ``backstride metronome --spm 170 --minutes 1 --out F.wav``
* ``backstride analyze RUN.fit --json -``: a simulated one-hour run with running dynamics
  (3,600 records), end to end.

Targets (issue 16): --version <= 2x, triage <= 4x, metronome <= 5x, analyze <= 8x, on CPU time.
``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TARGETS = {"--version": 2.0, "triage": 4.0, "metronome": 5.0, "analyze": 8.0}


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


def _run(argv: list[str], env: dict[str, str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}): "
                         f"{result.stderr.decode(errors='replace').strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall_s=wall, cpu_s=cpu)


def _inputs(folder: Path) -> dict[str, Path]:
    """A one-hour simulated FIT run and the demo's triage answers, written untimed."""
    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, demo_answers, simulate_run

    fit = folder / "one-hour.fit"
    fit.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=3600.0)))))
    answers = folder / "answers.json"
    answers.write_text(json.dumps(demo_answers()), encoding="utf-8")
    return {"fit": fit, "answers": answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="Write the figures as JSON here.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args()

    exe = [sys.executable, "-m", "backstride.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = _inputs(folder)
        env = {**os.environ, "BACKSTRIDE_DATA_DIR": str(folder / "data"), "PYTHONWARNINGS": ""}
        commands = {
            "--version": [*exe, "--version"],
            "triage": [*exe, "triage", "--answers", str(inputs["answers"]), "--json", "-"],
            "metronome": [*exe, "metronome", "--spm", "170", "--minutes", "1", "--out",
                          str(folder / "click.wav")],
            "analyze": [*exe, "analyze", str(inputs["fit"]), "--json", "-"],
        }
        baseline = [sys.executable, "-c", "import click"]
        for argv in (baseline, *commands.values()):  # warm-up: page cache, .pyc files
            _run(argv, env)
        base: list[Timing] = []
        runs: dict[str, list[Timing]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv in commands.items():
                base.append(_run(baseline, env))
                runs[name].append(_run(argv, env))

    base_wall = statistics.median(t.wall_s for t in base)
    base_cpu = statistics.median(t.cpu_s for t in base)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{args.repeat} runs each, interleaved with the baseline")
    print(f"baseline python -c 'import click': wall {base_wall * 1000:.0f} ms, "
          f"CPU {base_cpu * 1000:.0f} ms")
    print(f"{'command':<12} {'wall ms':>8} {'x wall':>7} {'CPU ms':>8} {'x CPU':>7} "
          f"{'target':>7}")
    figures: dict[str, dict[str, float]] = {}
    missed = []
    for name, timings in runs.items():
        wall = statistics.median(t.wall_s for t in timings)
        cpu = statistics.median(t.cpu_s for t in timings)
        ratio_cpu = cpu / base_cpu
        figures[name] = {"wall_s": wall, "cpu_s": cpu, "ratio_wall": wall / base_wall,
                         "ratio_cpu": ratio_cpu, "target": TARGETS[name]}
        flag = "" if ratio_cpu <= TARGETS[name] else "  MISSED"
        if flag:
            missed.append(name)
        print(f"{name:<12} {wall * 1000:8.0f} {wall / base_wall:7.2f} {cpu * 1000:8.0f} "
              f"{ratio_cpu:7.2f} {TARGETS[name]:6.0f}x{flag}")
    if args.json is not None:
        args.json.write_text(json.dumps({"baseline": {"wall_s": base_wall, "cpu_s": base_cpu},
                                         "commands": figures}, indent=2) + "\n")
    if args.check and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
