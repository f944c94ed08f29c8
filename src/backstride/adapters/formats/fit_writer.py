"""Write a simulated run as a real FIT activity file, with pyfitparsernative's encoder (MIT).

Values are handed over in profile units (mm, ms, %, per-foot rpm); the encoder applies the
profile scale. The simulator already quantised every value to the stored resolution, so the
file holds exactly the simulated truth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from backstride.core.simulate import SimulatedRun
from backstride.errors import MissingDependencyError

Message = dict[str, Any]


def _iso(start: datetime, offset_s: float) -> str:
    return (start + timedelta(seconds=float(offset_s))).strftime("%Y-%m-%dT%H:%M:%S")


def simulated_run_messages(run: SimulatedRun) -> list[Message]:
    start = run.plan.start_utc
    stamps = [_iso(start, t) for t in run.t_s]
    per_foot = run.cadence_spm / 2.0
    whole = np.floor(per_foot)
    messages: list[Message] = [
        {"message_type": "file_id", "type": "activity", "manufacturer": "development",
         "product": 1, "product_name": "backstride simulator", "serial_number": 20240501,
         "time_created": stamps[0]},
        {"message_type": "event", "timestamp": stamps[0], "event": "timer",
         "event_type": "start", "event_group": 0},
    ]
    stops = iter(run.timer_stops)
    pending = next(stops, None)
    for i, stamp in enumerate(stamps):
        if pending is not None and run.t_s[i] >= pending[1]:
            messages.append(_timer_event(start, pending[0], "stop_all"))
            messages.append(_timer_event(start, pending[1], "start"))
            pending = next(stops, None)
        messages.append({
            "message_type": "record", "timestamp": stamp,
            "distance": float(run.distance_m[i]), "enhanced_speed": float(run.speed_mps[i]),
            "heart_rate": int(run.heart_rate_bpm[i]), "cadence": int(whole[i]),
            "fractional_cadence": float(per_foot[i] - whole[i]),
            "vertical_oscillation": round(float(run.vertical_oscillation_m[i]) * 1e3, 1),
            "stance_time": round(float(run.ground_contact_time_s[i]) * 1e3, 1),
            "stance_time_balance": round(float(run.gct_balance_left_frac[i]) * 1e2, 2),
            "vertical_ratio": round(float(run.vertical_ratio_frac[i]) * 1e2, 2),
            "step_length": round(float(run.step_length_m[i]) * 1e3, 1),
        })
    end = float(run.t_s[-1])
    timer = end - sum(b - a for a, b in run.timer_stops)
    messages.append(_timer_event(start, end, "stop_all"))
    common = {"timestamp": _iso(start, end), "start_time": stamps[0],
              "total_elapsed_time": end, "total_timer_time": timer,
              "total_distance": float(run.distance_m[-1]), "sport": "running",
              "sub_sport": "street"}
    messages.append({"message_type": "lap", **common})
    messages.append({"message_type": "session", **common, "num_laps": 1, "first_lap_index": 0})
    messages.append({"message_type": "activity", "timestamp": _iso(start, end),
                     "total_timer_time": timer, "num_sessions": 1, "type": "manual",
                     "event": "activity", "event_type": "stop"})
    return messages


def _timer_event(start: datetime, at_s: float, kind: str) -> Message:
    return {"message_type": "event", "timestamp": _iso(start, at_s), "event": "timer",
            "event_type": kind, "event_group": 0}


def write_fit_bytes(messages: list[Message]) -> bytes:
    try:
        import pyfitparsernative
    except ImportError as exc:  # a base dependency; only a broken install gets here
        raise MissingDependencyError("Writing FIT files", "all") from exc
    return bytes(pyfitparsernative.write_fit_bytes(messages))
