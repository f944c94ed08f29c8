"""Attacks a local health-data app must survive (from a security review)."""

from __future__ import annotations

import gzip
import time

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of


def test_dns_rebinding_host_is_refused(client: TestClient) -> None:
    reply = client.get("/runs", headers={"host": "evil.example:8765"})
    assert reply.status_code == 403 and "not backstride" in reply.text
    assert "content-security-policy" in reply.headers


def test_cross_site_fetch_is_refused_before_the_app(client: TestClient) -> None:
    reply = client.get("/plan/metronome-170.wav", headers={"sec-fetch-site": "cross-site"})
    assert reply.status_code == 403


def test_foreign_origin_post_is_refused_before_the_body(client: TestClient) -> None:
    token = csrf_of(client, "/pain")
    reply = client.post("/pain", data={"csrf_token": token, "score": "2"},
                        headers={"origin": "http://evil.example"})
    assert reply.status_code == 403


def test_report_csp_is_sandboxed_and_only_on_report_paths(client: TestClient) -> None:
    assert "sandbox allow-scripts" not in client.get("/foo/report").headers[
        "content-security-policy"]
    assert "'unsafe-inline'" not in client.get("/jobs/report").headers[
        "content-security-policy"].split("script-src")[1].split(";")[0]


def test_a_gzip_bomb_upload_is_refused(client: TestClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import backstride.adapters.formats as formats
    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, simulate_run

    monkeypatch.setattr(formats, "MAX_BYTES", 2 * 1024 * 1024)  # a small cap keeps it quick
    run = write_fit_bytes(simulated_run_messages(simulate_run(RunPlan(duration_s=60))))
    bomb = gzip.compress(run + b"\0" * (20 * 1024 * 1024))  # a real FIT, then zeros
    token = csrf_of(client, "/analyse")
    reply = client.post("/analyse", data={"csrf_token": token},
                        files={"file": ("run.fit.gz", bomb, "application/gzip")},
                        follow_redirects=False)
    job_url = reply.headers["location"]
    for _ in range(200):
        job = client.get(job_url, headers={"accept": "application/json"}).json()
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["state"] == "failed" and "compression bomb" in job["error"]


def test_huge_ids_and_odd_names_are_not_server_errors(client: TestClient) -> None:
    assert client.get("/runs/99999999999999999999999").status_code == 422
    token = csrf_of(client, "/analyse")
    for name in ("..", "a/..", "x" * 400):
        reply = client.post("/analyse", data={"csrf_token": token},
                            files={"file": (name, b"<gpx></gpx>", "text/xml")},
                            follow_redirects=False)
        assert reply.status_code in (303, 422), name


def test_a_host_given_to_serve_is_answered(settings) -> None:  # type: ignore[no-untyped-def]
    from backstride.web.app import create_app

    with TestClient(create_app(settings, hosts=("192.168.1.5",)),
                    base_url="http://192.168.1.5:8765") as lan:
        assert lan.get("/").status_code == 200
        assert lan.get("/", headers={"host": "evil.example"}).status_code == 403
