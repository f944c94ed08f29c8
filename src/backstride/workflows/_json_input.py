"""The one reader for every JSON file a user gives backstride (triage answers, self-test
results, an analysis for the plan, and the same files uploaded to the web app).

A red flag must never be lost on the way in, so this refuses, with one line that names the
problem, what ``json.loads`` would silently accept or crash on (docs/safety.md, "Answers that
cannot lose a flag"):

- a key given twice in one object (``json`` keeps the last value: an emergency ``true``
  followed by ``false`` would vanish);
- a number too long to be an answer (Python's int-string limit raises ``ValueError`` at
  4300 digits; anything past 18 digits is refused before it is converted);
- ``NaN``/``Infinity`` and a float that overflows to infinity;
- nesting deeper than :data:`MAX_DEPTH`, checked on the raw text before ``json.loads``
  recurses (a 100,000-deep value would raise ``RecursionError``);
- a key with a character outside ASCII (every backstride key is plain ASCII): a look-alike
  letter such as Cyrillic "е" is named with its code point and the Latin letter it imitates.

UTF-8 (with or without a byte-order mark) and UTF-16/UTF-32 with a byte-order mark are
accepted, as Notepad and Excel write them.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from typing import Any, Final

from backstride.errors import InputError

MAX_DEPTH: Final = 32  # backstride's own files nest at most 5 deep
MAX_INT_DIGITS: Final = 18  # an age, a day count, a run id: never more than 18 digits
MAX_FLOAT_CHARS: Final = 40  # repr() of any float is at most 24 characters
MAX_BYTES: Final = 16 * 1024 * 1024

_BOMS: Final = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Letters that look like Latin ones (Unicode's confusables, the ones keyboards produce).
_LOOKALIKE: Final = {
    **dict(zip("аеорсухіјѕԁһӏԛԝ", "aeopcyxijsdhlqw", strict=True)),  # Cyrillic small
    **dict(zip("АВЕКМНОРСТХІЈЅ", "ABEKMHOPCTXIJS", strict=True)),  # Cyrillic capital
    **dict(zip("αοιρνκτυχ", "aoipvktux", strict=True)),  # Greek small
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),  # Greek capital
}
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET: Final = re.compile(r"[\[\]{}]")


class _Refused(Exception):
    """Raised inside json.loads's hooks; turned into one InputError line."""


def decode_json_bytes(data: bytes, *, name: str, what: str) -> str:
    """The text of a JSON file: a byte-order mark picks the encoding, else UTF-8."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)),
                    None) or json.detect_encoding(data)  # UTF-16/32 without a mark, else UTF-8
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} cannot be read as text: byte {exc.start} is not valid {exc.encoding.upper()}"
            f". Save the {what} as UTF-8 (or UTF-16 with a byte-order mark) and try again."
        ) from exc


def nesting_depth(text: str) -> int:
    """How deeply brackets nest in JSON text, strings skipped (no recursion, no parse)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _visible(text: str) -> str:
    """A key as it can be shown on one line: control and invisible characters escaped."""
    return "".join(ch if ch.isprintable() and ch != '"' else f"\\u{ord(ch):04x}" for ch in text)


def lookalike_problem(key: str) -> str | None:
    """Why a key with a non-ASCII character cannot be a backstride key, in words."""
    odd = next((ch for ch in key if not ch.isascii()), None)
    if odd is None:
        return None
    code = f"U+{ord(odd):04X}"
    latin = _LOOKALIKE.get(odd) or next(
        (c for c in unicodedata.normalize("NFKC", odd) if c.isascii() and c.isalnum()), None)
    unicode_name = unicodedata.name(odd, "")
    if latin is not None:
        script = unicode_name.split(" ")[0].capitalize() if unicode_name else "non-Latin"
        script = "full-width" if script == "Fullwidth" else script
        return (f"the key \"{_visible(key)}\" contains a {script} letter '{odd}' ({code}) that "
                f"looks like Latin '{latin}'; type the key again in plain letters")
    if not odd.isprintable() or unicodedata.category(odd) in ("Cf", "Zs", "Zl", "Zp"):
        return (f"the key \"{_visible(key)}\" contains an invisible character ({code}"
                f"{', ' + unicode_name.lower() if unicode_name else ''}); type the key again")
    return (f"the key \"{_visible(key)}\" contains '{odd}' ({code}), which no backstride key "
            "has (keys are plain ASCII letters, digits and _); type the key again")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        problem = lookalike_problem(key)
        if problem is not None:
            raise _Refused(problem)
        if key in seen:
            raise _Refused(
                f"the key \"{key}\" is given twice ({_short(seen[key])}, then {_short(value)}); "
                "a JSON object holds each key once, so nothing was assessed. Keep the right "
                "answer, delete the other and try again")
        seen[key] = value
    return seen


def _short(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=True)
    return shown if len(shown) <= 30 else shown[:27] + "..."


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"it holds a number {digits} digits long ({text[:12]}...); no answer "
                       f"has more than {MAX_INT_DIGITS} digits. Correct that number and try again")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_FLOAT_CHARS:
        raise _Refused(f"it holds a number {len(text)} characters long ({text[:12]}...); "
                       "write it with fewer digits and try again")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"the number {text} is too large to be an answer. Correct it and try again")
    return value


def _constant(text: str) -> Any:
    raise _Refused(f"it holds {text}, which is not a number JSON allows. Give a number or "
                   '"unsure" instead')


def parse_json_bytes(data: bytes, *, name: str, what: str) -> dict[str, Any]:
    """One JSON object from a user's file; an InputError of one line otherwise."""
    if len(data) > MAX_BYTES:
        raise InputError(f"{name} is {len(data) / 2**20:.0f} MiB; a {what} file is a few "
                         "kilobytes. Give the right file.")
    text = decode_json_bytes(data, name=name, what=what)
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise InputError(f"{name} nests brackets {depth} deep; a {what} file nests at most "
                         f"{MAX_DEPTH}. Give the right file.")
    try:
        parsed = json.loads(text, object_pairs_hook=_object, parse_int=_int,
                            parse_float=_float, parse_constant=_constant)
    except _Refused as exc:
        raise InputError(f"{name} cannot be used: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}). Fix the file or answer again.") from None
    except (ValueError, RecursionError) as exc:  # a limit json itself hit: still one line
        raise InputError(f"{name} cannot be read as JSON ({type(exc).__name__}). Give a "
                         f"{what} file as backstride writes it.") from None
    if not isinstance(parsed, dict):
        raise InputError(f"{name} must hold one JSON object ({what}), not "
                         f"{type(parsed).__name__}.")
    return parsed
