"""Shared test helpers: the real sample files live in ../shared/fixtures, never in this repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"
WATCH = FIXTURES / "watch"
VIDEO = FIXTURES / "video"


def fixture_file(*parts: str) -> Path:
    """Path of a shared fixture; the test is skipped (with the reason) when it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        if os.environ.get("BACKSTRIDE_REQUIRE_FIXTURES") == "1":
            pytest.fail(f"required fixture missing: {path}")
        pytest.skip(f"shared fixture {'/'.join(parts)} not found beside the repo ({FIXTURES})")
    return path


@pytest.fixture
def watch_file() -> object:
    return lambda name: fixture_file("watch", name)


def issue_codes(result: object) -> set[str]:
    """The codes of an activity's or an analysis's issues."""
    return {issue.code for issue in result.issues}  # type: ignore[attr-defined]


def cadence_mode(values: object) -> float:
    """Most common non-zero value (cadence exports are per-foot integers)."""
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    moving = array[array > 0]
    unique, counts = np.unique(moving, return_counts=True)
    return float(unique[np.argmax(counts)])
