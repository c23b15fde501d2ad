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
REPORTS = SHARED / "external" / "gov-work-reports"
SAMPLE = ROOT / "corpora" / "sample"
CASES = Path(__file__).parent / "cases"


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return _require(SEEDS, "the seed pages")


def _require(folder: Path, what: str) -> Path:
    if not folder.is_dir():
        reason = f"{what} are not at {folder} (set JIHUA_SHARED to the shared folder)"
        if os.environ.get("JIHUA_REQUIRE_SHARED"):
            pytest.fail(reason)
        pytest.skip(reason)
    return folder


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    return _require(REPORTS, "the government work reports")
