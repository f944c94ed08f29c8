from __future__ import annotations

from pathlib import Path

import pytest

from backstride.config import load_settings, settings_help
from backstride.errors import ConfigError


def test_environment_then_flags() -> None:
    env = {"BACKSTRIDE_UNITS": "imperial", "BACKSTRIDE_DATA_DIR": "/tmp/x",
           "BACKSTRIDE_SHOE_WARN_DISTANCE_M": "450000"}
    settings = load_settings({"units": "metric"}, environ=env)
    assert settings.units == "metric" and settings.data_dir == Path("/tmp/x")
    assert settings.shoe_warn_distance_m == 450_000.0


@pytest.mark.parametrize(("overrides", "message"), [
    ({"units": "furlongs"}, "units must be one of"),
    ({"shoe_replace_distance_m": 2_000_000.0}, "250-800 mi"),
    ({"shoe_warn_distance_m": 700_000.0, "shoe_replace_distance_m": 600_000.0},
     "must not exceed"),
    ({"colour": "red"}, "Unknown setting 'colour'"),
])
def test_bad_settings_are_refused_with_the_valid_values(overrides: dict[str, object],
                                                        message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides, environ={})


def test_bad_number_in_the_environment() -> None:
    with pytest.raises(ConfigError, match="number of metres"):
        load_settings(environ={"BACKSTRIDE_SHOE_WARN_DISTANCE_M": "lots"})


def test_every_setting_is_documented() -> None:
    names = {name for name, _env, _help in settings_help()}
    assert names == {"data_dir", "db", "units", "emergency_number", "shoe_warn_distance_m",
                     "shoe_replace_distance_m"}
    assert all(help_text for _name, _env, help_text in settings_help())
