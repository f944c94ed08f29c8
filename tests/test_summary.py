"""`backstride summary` and the web app's summary: one printable page for the clinician, HTML
and PDF (read back with pypdf), in words: no answer keys, rule ids or finding ids."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from backstride.cli import cli
from backstride.config import Settings
from backstride.core.simulate import demo_answers, demo_selftests
from backstride.core.triage import ANSWER_NAMES, RED_FLAGS, unsure_answers
from backstride.web.app import create_app

ANALYSIS = {"schema": "backstride.analysis/1",
            "activity": {"start_utc": "2024-05-01T06:30:00Z"},
            "metrics": {"cadence_spm": {"status": "ok", "value": 156.2}}, "findings": []}
# ids a clinician would have to decode (those with an underscore; "fever" is also a word)
IDS = {n for n in (*ANSWER_NAMES, *(r.id for r in RED_FLAGS), "weak_gluteus_medius",
                   "tight_hip_flexors", "pre_run_activation", "long_sitting") if "_" in n}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def _history(home: Path) -> None:
    """An urgent triage cleared by a clinician, self-tests, pain, a plan."""
    assert _run("triage", "--answers", str(_write(home / "a.json", {
        **demo_answers(), "fever": True, "night_pain": "unsure"})))[0] == 0
    assert _run("clearance", "--by", "Dr Rao", "--note", "fine to run")[0] == 0
    assert _run("selftest", "--results", str(_write(home / "t.json", demo_selftests())))[0] == 0
    assert _run("plan", "--analysis", str(_write(home / "run.json", ANALYSIS)))[0] == 0
    assert _run("pain", "add", "4", "--when", "after_run", "--where", "lower back")[0] == 0


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _has_no_ids(text: str) -> None:
    assert not [name for name in IDS if re.search(rf"\b{name}\b", text)], text


def _check(text: str) -> None:
    for phrase in (
            "Back pain summary for your clinician",
            "Cleared by Dr Rao on",  # the clearance
            "Note: fine to run",
            "Red flags raised",
            "Urgent: Fever, chills or sweats with back pain can mean an infection",
            'You answered "not sure" about night pain',  # the one line
            "Do you have a fever, chills or sweats with the pain? Yes",  # answers in words
            "How old are you, in whole years? 38 years",
            "STarT Back", "Score 4 of 9",
            "Pain diary", "4 of 10", "after a run", "lower back",
            "Self-tests against norms", "Prone plank",
            "Current plan", "Weeks 1–3: cadence 164 steps/min"):
        assert phrase in text, phrase
    _has_no_ids(text)


def test_summary_html_and_pdf_say_it_all_in_words(home: Path) -> None:
    _history(home)
    code, out, _ = _run("summary", "--out", "s.html")
    assert code == 0 and out.startswith("Summary for your clinician: s.html")
    html = (home / "s.html").read_text()
    assert "<script" not in html and "<link" not in html  # self-contained, printable
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    import html as html_module

    _check(html_module.unescape(text))
    code, _, _ = _run("summary", "--out", "s.pdf")
    assert code == 0
    data = (home / "s.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    _check(_pdf_text(data))


def test_summary_with_nothing_on_record_says_so(home: Path) -> None:
    assert _run("summary", "--out", "s.pdf")[0] == 0
    text = _pdf_text((home / "s.pdf").read_bytes())
    assert "No red-flag questions have been answered in backstride yet." in text
    assert "No runs recorded." in text and "No plan made yet." in text


def test_summary_refuses_another_file_type_in_one_line(home: Path) -> None:
    code, _, err = _run("summary", "--out", "s.docx")
    assert code == 1 and err.count("backstride: error:") == 1 and ".html or .pdf" in err


def test_web_summary_page_and_pdf(tmp_path: Path) -> None:
    from backstride import workflows

    settings = Settings(data_dir=tmp_path / "data")
    workflows.assess_back(unsure_answers({"bladder_change": True}), settings=settings)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        page = client.get("/summary")
        assert page.status_code == 200 and "Back pain summary for your clinician" in page.text
        assert "Emergency: New bladder trouble" in page.text
        pdf = client.get("/summary.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert "attachment" in pdf.headers["content-disposition"]
        text = _pdf_text(pdf.content)
        assert "the other 25 questions were not asked" in text
        assert "Not asked (stopped at an emergency answer)" in text
        _has_no_ids(text)
        assert 'href="/summary.pdf"' in client.get("/triage/result").text


def test_pdf_without_the_unicode_font_spells_dashes_out(home: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from backstride.adapters.render import summary

    monkeypatch.setattr(summary, "DEJAVU", home / "no-fonts")
    _history(home)
    assert _run("summary", "--out", "s.pdf")[0] == 0
    text = _pdf_text((home / "s.pdf").read_bytes())
    assert "Weeks 1-3: cadence 164 steps/min" in text and "Cleared by Dr Rao" in text
