"""The one place SI core names become the contract's named units (and display units)."""

from __future__ import annotations

from typing import Final, NamedTuple


class Unit(NamedTuple):
    key: str  # contract key, e.g. "ground_contact_time_ms"
    factor: float  # SI value x factor = contract value
    unit: str
    label: str
    decimals: int  # shown in text and HTML


METRIC_UNITS: Final[dict[str, Unit]] = {
    "cadence_spm": Unit("cadence_spm", 1.0, "spm", "Cadence", 1),
    "ground_contact_time_s": Unit("ground_contact_time_ms", 1e3, "ms", "Ground contact time", 0),
    "gct_balance_left_frac": Unit("gct_balance_left_pct", 1e2, "%",
                                  "GCT balance, left (side unverified)", 1),
    "gct_imbalance_frac": Unit("gct_imbalance_pct", 1e2, "%", "GCT imbalance from 50/50", 1),
    "vertical_oscillation_m": Unit("vertical_oscillation_mm", 1e3, "mm",
                                   "Vertical oscillation", 1),
    "vertical_ratio_frac": Unit("vertical_ratio_pct", 1e2, "%", "Vertical ratio", 2),
    "step_length_m": Unit("step_length_m", 1.0, "m", "Step length", 3),
    "speed_mps": Unit("speed_mps", 1.0, "m/s", "Speed", 2),
    "power_w": Unit("power_w", 1.0, "W", "Power", 0),
    "heart_rate_bpm": Unit("heart_rate_bpm", 1.0, "bpm", "Heart rate", 0),
    "form_power_w": Unit("form_power_w", 1.0, "W", "Form power (Stryd)", 0),
    "air_power_w": Unit("air_power_w", 1.0, "W", "Air power (Stryd)", 0),
    "leg_spring_stiffness_n_per_m": Unit("leg_spring_stiffness_kn_m", 1e-3, "kN/m",
                                         "Leg spring stiffness (Stryd)", 1),
    # Video (DOMAIN.md §3.6): per-step medians; angles in degrees, lengths in leg lengths.
    "overstride_frac_leg": Unit("overstride_frac_leg", 1.0, "leg lengths", "Overstride", 3),
    "overstride_m": Unit("overstride_m", 1.0, "m", "Overstride", 3),
    "shank_angle_at_contact_deg": Unit("shank_angle_at_contact_deg", 1.0, "°",
                                       "Shin angle at contact", 1),
    "knee_flexion_at_contact_deg": Unit("knee_flexion_at_contact_deg", 1.0, "°",
                                        "Knee flexion at contact", 1),
    "knee_flexion_midstance_deg": Unit("knee_flexion_midstance_deg", 1.0, "°",
                                       "Knee flexion at midstance", 1),
    "trunk_lean_deg": Unit("trunk_lean_deg", 1.0, "°", "Trunk lean (forward +)", 1),
    "trunk_lean_range_deg": Unit("trunk_lean_range_deg", 1.0, "°",
                                 "Trunk lean range within a stride", 1),
    "vertical_oscillation_frac_leg": Unit("vertical_oscillation_frac_leg", 1.0, "leg lengths",
                                          "Vertical oscillation", 3),
    "hip_extension_deg": Unit("hip_extension_deg", 1.0, "°", "Hip extension (thigh angle)", 1),
    "pelvic_drop_deg": Unit("pelvic_drop_deg", 1.0, "°", "Pelvic drop", 1),
    "step_width_frac_leg": Unit("step_width_frac_leg", 1.0, "leg lengths", "Step width", 3),
    "step_width_m": Unit("step_width_m", 1.0, "m", "Step width", 3),
    "lateral_sway_frac_leg": Unit("lateral_sway_frac_leg", 1.0, "leg lengths",
                                  "Lateral sway of the hips", 3),
}
M_PER_MILE: Final = 1609.344
M_PER_KM: Final = 1000.0


def to_contract(name: str, value: float | None) -> float | None:
    """SI value -> contract unit, rounded to remove binary noise (not to hide precision)."""
    if value is None:
        return None
    return round(value * METRIC_UNITS[name].factor, 6)


# contract key -> (core name, factor): the way back, for what is read from stored JSON.
_FROM_CONTRACT: Final = {unit.key: (name, unit.factor) for name, unit in METRIC_UNITS.items()}


def core_name(key: str) -> str:
    """The core (SI) name of a contract key; a key of no known metric is kept as it is."""
    return _FROM_CONTRACT.get(key, (key, 1.0))[0]


def from_contract(key: str, value: float) -> tuple[str, float]:
    """A stored contract value (``ground_contact_time_ms``: 250) as core's name and SI value
    (``ground_contact_time_s``: 0.25); unknown keys pass through unchanged."""
    name, factor = _FROM_CONTRACT.get(key, (key, 1.0))
    return name, value / factor


def contract_key(name: str) -> str:
    """The contract key of a core name (itself when it has none)."""
    unit = METRIC_UNITS.get(name)
    return name if unit is None else unit.key


def contract_factor(name: str) -> float:
    """SI value x factor = contract value (1 for names without a contract unit)."""
    unit = METRIC_UNITS.get(name)
    return 1.0 if unit is None else unit.factor


def pace_text(speed_mps: float, units: str) -> str:
    """min:s per km or per mile."""
    if speed_mps <= 0:
        return "–"
    per = M_PER_MILE if units == "imperial" else M_PER_KM
    seconds = round(per / speed_mps)
    unit = "mi" if units == "imperial" else "km"
    return f"{seconds // 60}:{seconds % 60:02d} /{unit}"


def distance_text(distance_m: float, units: str) -> str:
    if units == "imperial":
        return f"{distance_m / M_PER_MILE:.2f} mi"
    return f"{distance_m / M_PER_KM:.2f} km"
