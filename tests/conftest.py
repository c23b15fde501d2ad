"""Shared fixtures. Real inputs live in ../shared (or $JIHUA_SHARED), outside the repo.

A user's clone has no ../shared: the tests that need it skip with a reason. CI sets
JIHUA_REQUIRE_SHARED=1, and there a missing folder fails instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
SAMPLE = ROOT / "corpora" / "sample"
CASES = Path(__file__).parent / "cases"


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        reason = f"the seed pages are not at {SEEDS} (set JIHUA_SHARED to the shared folder)"
        if os.environ.get("JIHUA_REQUIRE_SHARED"):
            pytest.fail(reason)
        pytest.skip(reason)
    return SEEDS
