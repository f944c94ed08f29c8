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

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise ConfigError(f"units must be one of {', '.join(UNITS)}, not {self.units!r}.")


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f"BACKSTRIDE_{f.name.upper()}")
        if raw is not None and raw != "":
            values[f.name] = Path(raw) if f.name == "data_dir" else raw
    for key, value in (overrides or {}).items():
        if key not in {f.name for f in fields(Settings)}:
            names = ", ".join(f.name for f in fields(Settings))
            raise ConfigError(f"Unknown setting {key!r}; valid settings: {names}.")
        if value is not None:
            values[key] = value
    return Settings(**values)


def settings_help() -> list[tuple[str, str, str]]:
    """(setting, environment variable, help) for the docs."""
    return [(f.name, f"BACKSTRIDE_{f.name.upper()}", str(f.metadata["help"]))
            for f in fields(Settings)]
