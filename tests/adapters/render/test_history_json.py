"""backstride.shoes/1 and backstride.pain/1 from the typed records (dates as ISO text)."""

from __future__ import annotations

from datetime import date

from backstride.adapters.render.history_json import pain_json, shoes_json
from backstride.adapters.storage.records import PainRecord, ShoeRecord


def test_shoes_json_keeps_the_contract_keys_and_iso_dates() -> None:
    shoe = ShoeRecord(id=2, name="Pegasus", added_on=date(2024, 5, 1), retired_on=None,
                      default_from=date(2024, 5, 2), default_to=None, n_runs=3,
                      distance_m=12_345.0, status="ok")
    doc = shoes_json([shoe], warn_m=482_803.2, replace_m=804_672.0)
    assert doc == {"schema": "backstride.shoes/1", "warn_m": 482_803.2, "replace_m": 804_672.0,
                   "shoes": [{"id": 2, "name": "Pegasus", "added_on": "2024-05-01",
                              "retired_on": None, "default_from": "2024-05-02",
                              "default_to": None, "n_runs": 3, "distance_m": 12_345.0,
                              "status": "ok"}]}


def test_pain_json_keeps_the_contract_keys() -> None:
    entry = PainRecord(id=7, run_id=None, recorded_on=date(2024, 5, 3), kind="during", score=4,
                       location="low back", onset_min=35.0, onset_km=None, note=None)
    assert pain_json([entry]) == {"schema": "backstride.pain/1", "entries": [
        {"id": 7, "run_id": None, "recorded_on": "2024-05-03", "kind": "during", "score": 4,
         "location": "low back", "onset_min": 35.0, "onset_km": None, "note": None}]}
