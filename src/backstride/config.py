"""Settings: defaults < BACKSTRIDE_* environment variables < command-line flags.

One frozen dataclass built once at the entry point and passed down; each field carries its help
text, and the docs list is generated from the fields (``settings_help``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from backstride.errors import ConfigError

UNITS = ("metric", "imperial")
SHOE_RANGE_M = (402_336.0, 1_287_475.2)  # 250-800 mi, as Strava allows


def _default_data_dir() -> Path:
    return Path(user_data_dir("backstride", appauthor=False))


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir,
                           metadata={"help": "Database and saved keypoints"})
    db: str | None = field(default=None, metadata={
        "help": "SQLAlchemy URL of the history database (default: a SQLite file in data_dir)"})
    units: str = field(default="metric", metadata={
        "help": "Display units: metric or imperial (JSON keeps the units its keys name)"})
    emergency_number: str = field(default="your local emergency number", metadata={
        "help": "Named in emergency triage actions"})
    shoe_warn_distance_m: float = field(default=482_803.0, metadata={
        "help": "Shoe mileage warning: 300 mi, the low end of the reference text's 300-500 mi "
                "(a convention; 250-800 mi allowed)"})
    shoe_replace_distance_m: float = field(default=804_672.0, metadata={
        "help": "Shoe replacement distance: 500 mi (a convention; 250-800 mi allowed)"})

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise ConfigError(f"units must be one of {', '.join(UNITS)}, not {self.units!r}.")
        for name in ("shoe_warn_distance_m", "shoe_replace_distance_m"):
            value = getattr(self, name)
            if not SHOE_RANGE_M[0] <= value <= SHOE_RANGE_M[1]:
                raise ConfigError(f"{name} must be between {SHOE_RANGE_M[0]:.0f} and "
                                  f"{SHOE_RANGE_M[1]:.0f} m (250-800 mi), not {value:g}.")
        if self.shoe_warn_distance_m > self.shoe_replace_distance_m:
            raise ConfigError("shoe_warn_distance_m must not exceed shoe_replace_distance_m.")


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f"BACKSTRIDE_{f.name.upper()}")
        if raw is not None and raw != "":
            values[f.name] = _parse(f.name, raw)
    for key, value in (overrides or {}).items():
        if key not in {f.name for f in fields(Settings)}:
            names = ", ".join(f.name for f in fields(Settings))
            raise ConfigError(f"Unknown setting {key!r}; valid settings: {names}.")
        if value is not None:
            values[key] = value
    return Settings(**values)


def _parse(name: str, raw: str) -> Any:
    if name == "data_dir":
        return Path(raw)
    if name.endswith("_m"):
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"BACKSTRIDE_{name.upper()} must be a number of metres, "
                              f"not {raw!r}.") from exc
    return raw


def settings_help() -> list[tuple[str, str, str]]:
    """(setting, environment variable, help) for the docs."""
    return [(f.name, f"BACKSTRIDE_{f.name.upper()}", str(f.metadata["help"]))
            for f in fields(Settings)]
