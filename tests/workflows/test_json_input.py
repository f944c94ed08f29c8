"""Every JSON file a user gives goes through one reader that cannot lose a red flag: malformed
answers files (duplicate keys, huge numbers, deep nesting, look-alike letters, bad encodings)
each give one ``backstride: error:`` line and exit 1 on every path (triage --answers, selftest
--results, plan --analysis, plan --answers, web uploads); BOMs and UTF-16 are read."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from backstride.cli import cli
from backstride.config import Settings
from backstride.core.simulate import demo_answers, demo_selftests
from backstride.errors import InputError
from backstride.web.app import create_app
from backstride.workflows._json_input import (
    MAX_DEPTH,
    lookalike_problem,
    nesting_depth,
    parse_json_bytes,
)
from tests.web.conftest import csrf_of

ANSWERS = demo_answers()
EMERGENCY_THEN_NO = (json.dumps(ANSWERS)[:-1] + ', "bladder_change": true, '
                     '"bladder_change": false}').replace('"bladder_change": false, ', "", 1)


def _answers_text(**changes: object) -> str:
    return json.dumps({**ANSWERS, **changes})


# name -> (file bytes, a phrase the one error line must hold)
MALFORMED: dict[str, tuple[bytes, str]] = {
    "duplicate key, emergency then no": (
        EMERGENCY_THEN_NO.encode(), 'the key "bladder_change" is given twice (true, then false)'),
    "duplicate key nested": (b'{"a": {"b": 1, "b": 2}}', 'the key "b" is given twice'),
    "5000-digit age": (_answers_text(age_years=0).replace('"age_years": 0',
                                                          '"age_years": ' + "9" * 5000).encode(),
                       "a number 5000 digits long"),
    "5000-digit negative": (b'{"age_years": -' + b"1" * 5000 + b"}", "5000 digits long"),
    "5000-digit float": (b'{"x": 1.' + b"5" * 5000 + b"}", "characters long"),
    "float overflow": (b'{"x": 1e999}', "too large"),
    "NaN": (b'{"x": NaN}', "NaN, which is not a number JSON allows"),
    "Infinity": (b'{"x": -Infinity}', "-Infinity"),
    "100,000-deep list": (b"[" * 100_000 + b"]" * 100_000, "nests brackets 100000 deep"),
    "100,000-deep object": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "100000 deep"),
    "deep unbalanced": (b"[" * 50_000, "50000 deep"),
    "Cyrillic e in a key": (_answers_text().replace('"fever"', '"f\u0435ver"').encode(),
                            "Cyrillic letter '\u0435' (U+0435) that looks like Latin 'e'"),
    "Cyrillic e escaped": (b'{"f\\u0435ver": true}', "(U+0435) that looks like Latin 'e'"),
    "Greek omicron": ('{"b\u03bfwel_incontinence": true}'.encode(), "Greek letter"),
    "zero-width space": ('{"fe\u200bver": true}'.encode(), "invisible character (U+200B"),
    "full-width letter": ('{"\uff46ever": true}'.encode(), "looks like Latin 'f'"),
    "accented key": ('{"f\u00e9ver": true}'.encode(), "(U+00E9), which no backstride key has"),
    "Latin-1 bytes": ('{"note": "caf\u00e9"}'.encode("latin-1"), "not valid UTF-8"),
    "UTF-16 BOM then junk": (codecs.BOM_UTF16_LE + b"\x00\xd8", "not valid UTF-16"),
    "not JSON": (b"{not json", "is not valid JSON (line 1, column 2"),
    "empty": (b"", "is not valid JSON"),
    "a list": (b"[1, 2]", "must hold one JSON object"),
    "a string": (b'"hello"', "not str"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_file_is_refused_in_one_line(name: str) -> None:
    data, phrase = MALFORMED[name]
    with pytest.raises(InputError) as caught:
        parse_json_bytes(data, name="a.json", what="triage answers")
    message = str(caught.value)
    assert phrase in message and "\n" not in message and message.startswith("a.json ")


@pytest.mark.parametrize("encode", [
    lambda text: codecs.BOM_UTF8 + text.encode(),
    lambda text: text.encode("utf-16"),  # with its byte-order mark, as Notepad saves it
    lambda text: text.encode("utf-16-le"),
    lambda text: text.encode("utf-32"),
], ids=["utf-8 BOM", "utf-16 BOM", "utf-16-le no BOM", "utf-32 BOM"])
def test_byte_order_marks_and_utf16_are_read(encode: object) -> None:
    text = json.dumps({**ANSWERS, "note_unused": "d\u00e9j\u00e0"})
    assert parse_json_bytes(encode(text), name="a.json", what="x") == json.loads(text)  # type: ignore[operator]


def test_depth_is_counted_outside_strings_only() -> None:
    assert nesting_depth('{"a": "[[[[{{{{", "b": [[1]]}') == 3
    assert nesting_depth('{"a": "\\"[[["}') == 1
    deep_ok = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_json_bytes(f'{{"a": {deep_ok}}}'.encode(), name="a", what="x")["a"] != []
    with pytest.raises(InputError, match="nests brackets 33 deep"):
        parse_json_bytes(("[" * 33 + "]" * 33).encode(), name="a", what="x")


def test_ascii_keys_pass_and_values_may_be_anything() -> None:
    assert lookalike_problem("fever") is None
    assert parse_json_bytes('{"note": "f\u0435ver ok in a value"}'.encode(), name="a",
                            what="x") == {"note": "f\u0435ver ok in a value"}


# --- every path: CLI and web --------------------------------------------------------------


def _one_error_line(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("backstride: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("name", list(MALFORMED))
def test_every_malformed_file_gives_one_error_line_on_every_cli_path(home: Path,
                                                                       name: str) -> None:
    data, phrase = MALFORMED[name]
    bad = home / "bad.json"
    bad.write_bytes(data)
    good_answers = home / "answers.json"
    good_answers.write_text(json.dumps(ANSWERS))
    for args in (["triage", "--answers", str(bad)],
                 ["plan", "--answers", str(bad)],
                 ["selftest", "--results", str(bad)],
                 ["plan", "--answers", str(good_answers), "--analysis", str(bad)],
                 ["plan", "--answers", str(good_answers), "--results", str(bad)]):
        assert phrase in _one_error_line(args), args


def test_a_bom_answers_file_is_assessed(home: Path) -> None:
    path = home / "notepad.json"
    path.write_bytes(codecs.BOM_UTF8 + json.dumps(ANSWERS).encode())
    assert CliRunner().invoke(cli, ["triage", "--answers", str(path)]).exit_code == 0
    path.write_bytes(json.dumps(demo_selftests()).encode("utf-16"))
    assert CliRunner().invoke(cli, ["selftest", "--results", str(path)]).exit_code == 0
    path.write_bytes(codecs.BOM_UTF8 + json.dumps({**ANSWERS, "fever": True}).encode())
    result = CliRunner().invoke(cli, ["triage", "--answers", str(path), "--json", "-"])
    assert result.exit_code == 0 and json.loads(result.stdout)["level"] == "urgent"


@pytest.mark.parametrize("name", list(MALFORMED))
def test_every_malformed_upload_is_refused_on_the_page(tmp_path: Path, name: str) -> None:
    data, phrase = MALFORMED[name]
    with TestClient(create_app(Settings(data_dir=tmp_path / "data")),
                    base_url="http://127.0.0.1:8765") as client:
        token = csrf_of(client, "/triage")
        reply = client.post("/triage/upload", data={"csrf_token": token},
                            files={"file": ("answers.json", data, "application/json")})
        assert reply.status_code == 422
        import html

        assert phrase in html.unescape(reply.text)
        assert client.get("/triage/result", follow_redirects=False).status_code == 303


def test_web_form_with_a_5000_digit_age_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data")),
                    base_url="http://127.0.0.1:8765") as client:
        token = csrf_of(client, "/triage")
        form = {k: ("yes" if v is True else "no" if v is False else str(v))
                for k, v in ANSWERS.items() if k not in ("schema", "startback")}
        reply = client.post("/triage", data={**form, "age_years": "9" * 5000,
                                             "csrf_token": token})
        assert reply.status_code == 422 and "How old are you" in reply.text
        import re

        shown = re.sub(r"<[^>]+>", " ", reply.text)  # the page names the question, not the key
        assert "age_years" not in shown and "Question 18 (your age)" in shown
        assert "9" * 20 not in shown  # the typed digits are cut short in the sentence
