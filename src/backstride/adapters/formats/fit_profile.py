"""The part of the FIT profile (21.x) backstride names and scales.

Fields not listed here are still decoded, as raw numbers under ``field_<num>``; messages not
listed are named ``mesg_<num>``. Scales and offsets follow the profile:
value = raw / scale - offset.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class FieldSpec(NamedTuple):
    name: str
    scale: float = 1.0
    offset: float = 0.0


def _f(name: str, scale: float = 1.0, offset: float = 0.0) -> FieldSpec:
    return FieldSpec(name, scale, offset)


TIMESTAMP_FIELD: Final = 253
MESSAGE_INDEX_FIELD: Final = 254

FILE_ID: Final = 0
SPORT: Final = 12
SESSION: Final = 18
LAP: Final = 19
RECORD: Final = 20
EVENT: Final = 21
DEVICE_INFO: Final = 23
ACTIVITY: Final = 34
FIELD_DESCRIPTION: Final = 206
DEVELOPER_DATA_ID: Final = 207

_COMMON: Final = {253: _f("timestamp"), 254: _f("message_index")}

MESSAGES: Final[dict[int, tuple[str, dict[int, FieldSpec]]]] = {
    FILE_ID: ("file_id", {
        0: _f("type"), 1: _f("manufacturer"), 2: _f("product"), 3: _f("serial_number"),
        4: _f("time_created"), 5: _f("number"), 8: _f("product_name"),
    }),
    49: ("file_creator", {0: _f("software_version"), 1: _f("hardware_version")}),
    SPORT: ("sport", {0: _f("sport"), 1: _f("sub_sport"), 3: _f("name")}),
    SESSION: ("session", {
        **_COMMON, 0: _f("event"), 1: _f("event_type"), 2: _f("start_time"),
        5: _f("sport"), 6: _f("sub_sport"), 7: _f("total_elapsed_time", 1000),
        8: _f("total_timer_time", 1000), 9: _f("total_distance", 100),
        10: _f("total_cycles"), 11: _f("total_calories"), 14: _f("avg_speed", 1000),
        15: _f("max_speed", 1000), 16: _f("avg_heart_rate"), 17: _f("max_heart_rate"),
        18: _f("avg_cadence"), 19: _f("max_cadence"), 20: _f("avg_power"), 21: _f("max_power"),
        22: _f("total_ascent"), 23: _f("total_descent"), 25: _f("first_lap_index"),
        26: _f("num_laps"), 28: _f("trigger"),
        89: _f("avg_vertical_oscillation", 10), 90: _f("avg_stance_time_percent", 100),
        91: _f("avg_stance_time", 10), 92: _f("avg_fractional_cadence", 128),
        124: _f("enhanced_avg_speed", 1000), 125: _f("enhanced_max_speed", 1000),
        132: _f("avg_vertical_ratio", 100), 133: _f("avg_stance_time_balance", 100),
        134: _f("avg_step_length", 10),
    }),
    LAP: ("lap", {
        **_COMMON, 0: _f("event"), 1: _f("event_type"), 2: _f("start_time"),
        7: _f("total_elapsed_time", 1000), 8: _f("total_timer_time", 1000),
        9: _f("total_distance", 100), 10: _f("total_cycles"), 13: _f("avg_speed", 1000),
        15: _f("avg_heart_rate"), 17: _f("avg_cadence"), 19: _f("avg_power"),
        24: _f("lap_trigger"), 25: _f("sport"), 39: _f("sub_sport"),
        77: _f("avg_vertical_oscillation", 10), 78: _f("avg_stance_time_percent", 100),
        79: _f("avg_stance_time", 10), 80: _f("avg_fractional_cadence", 128),
        110: _f("enhanced_avg_speed", 1000), 118: _f("avg_vertical_ratio", 100),
        119: _f("avg_stance_time_balance", 100), 120: _f("avg_step_length", 10),
    }),
    RECORD: ("record", {
        253: _f("timestamp"), 0: _f("position_lat"), 1: _f("position_long"),
        2: _f("altitude", 5, 500), 3: _f("heart_rate"), 4: _f("cadence"),
        5: _f("distance", 100), 6: _f("speed", 1000), 7: _f("power"),
        8: _f("compressed_speed_distance"), 9: _f("grade", 100), 13: _f("temperature"),
        30: _f("left_right_balance"), 39: _f("vertical_oscillation", 10),
        40: _f("stance_time_percent", 100), 41: _f("stance_time", 10),
        53: _f("fractional_cadence", 128), 73: _f("enhanced_speed", 1000),
        78: _f("enhanced_altitude", 5, 500), 83: _f("vertical_ratio", 100),
        84: _f("stance_time_balance", 100), 85: _f("step_length", 10),
    }),
    EVENT: ("event", {
        253: _f("timestamp"), 0: _f("event"), 1: _f("event_type"), 3: _f("data"),
        4: _f("event_group"), 2: _f("data16"),
    }),
    DEVICE_INFO: ("device_info", {
        253: _f("timestamp"), 0: _f("device_index"), 1: _f("device_type"),
        2: _f("manufacturer"), 3: _f("serial_number"), 4: _f("product"),
        5: _f("software_version", 100), 6: _f("hardware_version"), 27: _f("product_name"),
    }),
    ACTIVITY: ("activity", {
        253: _f("timestamp"), 0: _f("total_timer_time", 1000), 1: _f("num_sessions"),
        2: _f("type"), 3: _f("event"), 4: _f("event_type"), 5: _f("local_timestamp"),
    }),
    FIELD_DESCRIPTION: ("field_description", {
        0: _f("developer_data_index"), 1: _f("field_definition_number"),
        2: _f("fit_base_type_id"), 3: _f("field_name"), 6: _f("scale"), 7: _f("offset"),
        8: _f("units"), 14: _f("native_mesg_num"), 15: _f("native_field_num"),
    }),
    DEVELOPER_DATA_ID: ("developer_data_id", {
        0: _f("developer_id"), 1: _f("application_id"), 2: _f("manufacturer_id"),
        3: _f("developer_data_index"), 4: _f("application_version"),
    }),
    78: ("hrv", {0: _f("time", 1000)}),
}

# FIT profile 21.x ``sport`` and ``sub_sport`` enums, by name: a message never shows a number.
SPORTS: Final = {
    0: "generic", 1: "running", 2: "cycling", 3: "transition", 4: "fitness_equipment",
    5: "swimming", 6: "basketball", 7: "soccer", 8: "tennis", 9: "american_football",
    10: "training", 11: "walking", 12: "cross_country_skiing", 13: "alpine_skiing",
    14: "snowboarding", 15: "rowing", 16: "mountaineering", 17: "hiking", 18: "multisport",
    19: "paddling", 20: "flying", 21: "e_biking", 22: "motorcycling", 23: "boating",
    24: "driving", 25: "golf", 26: "hang_gliding", 27: "horseback_riding", 28: "hunting",
    29: "fishing", 30: "inline_skating", 31: "rock_climbing", 32: "sailing",
    33: "ice_skating", 34: "sky_diving", 35: "snowshoeing", 36: "snowmobiling",
    37: "stand_up_paddleboarding", 38: "surfing", 39: "wakeboarding", 40: "water_skiing",
    41: "kayaking", 42: "rafting", 43: "windsurfing", 44: "kitesurfing", 45: "tactical",
    46: "jumpmaster", 47: "boxing", 48: "floor_climbing", 49: "baseball", 53: "diving",
    62: "hiit", 64: "racket", 65: "wheelchair_push_walk", 66: "wheelchair_push_run",
    67: "meditation", 69: "disc_golf", 71: "cricket", 72: "rugby", 73: "hockey",
    74: "lacrosse", 75: "volleyball", 76: "water_tubing", 77: "wakesurfing",
    80: "mixed_martial_arts", 82: "snorkeling", 83: "dance", 84: "jump_rope",
}
SUB_SPORTS: Final = {
    0: "generic", 1: "treadmill", 2: "street", 3: "trail", 4: "track", 5: "spin",
    6: "indoor_cycling", 7: "road", 8: "mountain", 9: "downhill", 10: "recumbent",
    11: "cyclocross", 12: "hand_cycling", 13: "track_cycling", 14: "indoor_rowing",
    15: "elliptical", 16: "stair_climbing", 17: "lap_swimming", 18: "open_water",
    19: "flexibility_training", 20: "strength_training", 21: "warm_up", 22: "match",
    23: "exercise", 24: "challenge", 25: "indoor_skiing", 26: "cardio_training",
    27: "indoor_walking", 28: "e_bike_fitness", 29: "bmx", 30: "casual_walking",
    31: "speed_walking", 32: "bike_to_run_transition", 33: "run_to_bike_transition",
    34: "swim_to_bike_transition", 35: "atv", 36: "motocross", 37: "backcountry",
    38: "resort", 39: "rc_drone", 40: "wingsuit", 41: "whitewater", 42: "skate_skiing",
    43: "yoga", 44: "pilates", 45: "indoor_running", 46: "gravel_cycling",
    47: "e_bike_mountain", 48: "commuting", 49: "mixed_surface", 50: "navigate",
    51: "track_me", 52: "map", 53: "single_gas_diving", 54: "multi_gas_diving",
    55: "gauge_diving", 56: "apnea_diving", 57: "apnea_hunting", 58: "virtual_activity",
    59: "obstacle", 62: "breathing", 65: "sail_race", 67: "ultra", 68: "indoor_climbing",
    69: "bouldering", 70: "hiit", 73: "amrap", 74: "emom", 75: "tabata", 84: "pickleball",
    85: "padel", 86: "indoor_wheelchair_walk", 87: "indoor_wheelchair_run",
    88: "indoor_hand_cycling",
}
FILE_TYPE_ACTIVITY: Final = 4
FILE_TYPES: Final = {
    1: "device", 2: "settings", 3: "sport settings", 4: "activity", 5: "workout",
    6: "course", 7: "schedules", 9: "weight", 10: "totals", 11: "goals",
    14: "blood pressure", 15: "monitoring", 20: "activity summary", 28: "daily monitoring",
    32: "monitoring", 34: "segment", 35: "segment list", 40: "exercise title",
}

MANUFACTURERS: Final = {
    1: "Garmin", 15: "Dynastream", 23: "Suunto", 32: "Wahoo Fitness", 69: "Stages Cycling",
    71: "TomTom", 89: "Tacx", 95: "Stryd", 123: "Polar", 255: "Development", 260: "Zwift",
    265: "Strava", 289: "Hammerhead", 294: "Coros", 310: "Apple",
}
GARMIN_PRODUCTS: Final = {
    1036: "Edge 500", 1328: "Forerunner 910XT", 1623: "Forerunner 620", 1632: "Forerunner 220",
    1765: "Forerunner 920XT", 1967: "fenix 2", 2431: "Forerunner 235", 2503: "Forerunner 35",
    2697: "fenix 5", 3113: "Forerunner 945", 3992: "Forerunner 255", 4024: "Forerunner 955",
    988: "Forerunner 60", 1436: "Forerunner 70", 1018: "Forerunner 310XT",
    1124: "Forerunner 110", 1345: "Forerunner 410",
}

# Timer events (event 0): which event_types stop and which start the timer.
EVENT_TIMER: Final = 0
TIMER_STOP_TYPES: Final = frozenset({1, 4, 8, 9})
TIMER_START_TYPES: Final = frozenset({0})

FIT_EPOCH_UNIX_S: Final = 631_065_600  # 1989-12-31T00:00:00Z
RELATIVE_TIME_LIMIT: Final = 0x10000000  # below: device-relative seconds (DOMAIN.md §2 quirk 8)
