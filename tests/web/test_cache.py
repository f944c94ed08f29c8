"""Whole-history pages are cached by history version: a write shows at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of


def test_trends_page_follows_the_history(client: TestClient) -> None:
    first = client.get("/trends").text
    assert client.get("/trends").text == first  # served from the cache
    token = csrf_of(client, "/pain")
    reply = client.post("/pain", data={"csrf_token": token, "score": "3", "kind": "other"},
                        follow_redirects=True)
    assert reply.status_code == 200
    assert client.app.state.cache  # type: ignore[attr-defined]
    versions = {key[-2] for key in client.app.state.cache}  # type: ignore[attr-defined]
    client.get("/trends")
    assert len({key[-2] for key in client.app.state.cache}) == len(versions) + 1  # type: ignore[attr-defined]


def test_runs_page_is_paged(client: TestClient) -> None:
    reply = client.get("/runs?page=7")
    assert reply.status_code == 200 and "No runs yet" in reply.text


def test_run_json_download(client: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, simulate_run
    from backstride.workflows import import_paths, list_runs

    run = tmp_path / "r.fit"
    run.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=600), seed=2))))
    settings = client.app.state.settings  # type: ignore[attr-defined]
    import_paths([run], settings=settings, workers=1)
    run_id = list_runs(settings=settings)[0].id
    reply = client.get(f"/runs/{run_id}/analysis.json")
    assert reply.status_code == 200 and "attachment" in reply.headers["content-disposition"]
    assert json.loads(reply.text)["schema"] == "backstride.analysis/1"
    assert "r.fit" in client.get(f"/runs/{run_id}").text
