"""Settings: defaults < saved settings < BACKSTRIDE_* environment variables < command-line flags.

Saved settings are the few a person edits in the web app (``EDITABLE``: the emergency number),
kept in ``<data_dir>/settings.json``.

One frozen dataclass built once at the entry point and passed down; each field carries its help
text, and the docs list is generated from the fields (``settings_help``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from backstride.errors import ConfigError

UNITS = ("metric", "imperial")
EDITABLE = ("emergency_number",)  # saved by the web app in <data_dir>/settings.json
SAVED_SETTINGS = "settings.json"
MAX_EMERGENCY_NUMBER_CHARS = 60
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

    @property
    def database_url(self) -> str:
        """The history database: ``db``, else the SQLite file ``backstride.db`` in data_dir."""
        return self.db or f"sqlite:///{self.data_dir / 'backstride.db'}"

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
        number = self.emergency_number
        if not number.strip() or len(number) > MAX_EMERGENCY_NUMBER_CHARS \
                or not number.isprintable():
            raise ConfigError(
                f"emergency_number must be 1 to {MAX_EMERGENCY_NUMBER_CHARS} printable "
                f"characters on one line (such as 112, 911 or \"999 or 111\"), not "
                f"{number[:MAX_EMERGENCY_NUMBER_CHARS]!r}.")


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    overrides = overrides or {}
    data_dir = overrides.get("data_dir") or (
        Path(env["BACKSTRIDE_DATA_DIR"]) if env.get("BACKSTRIDE_DATA_DIR") else None)
    values: dict[str, Any] = saved_settings(Path(data_dir) if data_dir else _default_data_dir())
    for f in fields(Settings):
        raw = env.get(f"BACKSTRIDE_{f.name.upper()}")
        if raw is not None and raw != "":
            values[f.name] = _parse(f.name, raw)
    for key, value in overrides.items():
        if key not in {f.name for f in fields(Settings)}:
            names = ", ".join(f.name for f in fields(Settings))
            raise ConfigError(f"Unknown setting {key!r}; valid settings: {names}.")
        if value is not None:
            values[key] = value
    return Settings(**values)


def saved_settings(data_dir: Path) -> dict[str, Any]:
    """The settings saved in the web app (``EDITABLE`` keys only); none when no file."""
    path = data_dir / SAVED_SETTINGS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read ({type(exc).__name__}); fix or delete it, "
                          "then set the emergency number again in the web app.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object; delete it and set the emergency "
                          "number again in the web app.")
    return {key: str(data[key]) for key in EDITABLE if key in data}


def save_setting(settings: Settings, name: str, value: str) -> Settings:
    """Check one editable setting, save it in ``<data_dir>/settings.json`` and return the
    settings with it; ConfigError (nothing saved) when the value is not allowed."""
    from dataclasses import replace

    if name not in EDITABLE:
        raise ConfigError(f"{name} cannot be changed here; editable: {', '.join(EDITABLE)}.")
    changes: dict[str, Any] = {name: value.strip()}
    updated = replace(settings, **changes)
    path = settings.data_dir / SAVED_SETTINGS
    saved = {**saved_settings(settings.data_dir), name: value.strip()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{SAVED_SETTINGS}.tmp")
    tmp.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return updated


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
