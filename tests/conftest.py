"""Shared fixtures. Real inputs live in ../shared (or $JIHUA_SHARED), outside the repo.

A user's clone has no ../shared: the tests that need it skip with a reason. CI sets
JIHUA_REQUIRE_SHARED=1, and there a missing folder fails instead of skipping.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
REPORTS = SHARED / "external" / "gov-work-reports"
SAMPLE = ROOT / "corpora" / "sample"
CASES = Path(__file__).parent / "cases"


def case_param(row: dict) -> pytest.param:
    """A row of a case table as a test parameter, named by its id; a row with ``xfail``
    (the reason) is a strict expected failure."""
    marks = [pytest.mark.xfail(reason=row["xfail"], strict=True)] if row.get("xfail") else []
    return pytest.param(row, id=row["id"], marks=marks)


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


BACKENDS = ["sqlite", "postgresql"]
_names = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for the session (tests/pgcluster.py), stopped at the
    end. Without the server or the postgres extra the PostgreSQL tests skip with a reason;
    where JIHUA_REQUIRE_POSTGRES is set (CI), they fail instead."""
    from tests.pgcluster import Cluster, server_bin

    bindir = server_bin()
    reason = None
    if bindir is None:
        reason = ("the PostgreSQL server is not installed (as root: apt-get install "
                  "postgresql postgresql-contrib; or set JIHUA_PG_BIN)")
    else:
        try:
            import psycopg  # noqa: F401
            import psycopg_pool  # noqa: F401
        except ImportError:
            reason = "the postgres extra is not installed (pip install 'jihua[postgres]')"
    if reason:
        if os.environ.get("JIHUA_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = Cluster(bindir).start()
    yield cluster
    cluster.stop()


def new_target(backend: str, request: pytest.FixtureRequest, folder: Path) -> str | Path:
    """The target of a new, empty database on ``backend``: a file in ``folder`` or a new
    database in the session's cluster."""
    name = f"plans{next(_names)}"
    if backend == "sqlite":
        return folder / f"{name}.db"
    return request.getfixturevalue("postgres").create_database(name)


@pytest.fixture(params=BACKENDS)
def new_database(request, tmp_path):
    """A function giving the target of a new empty database, once per backend."""
    return lambda: new_target(request.param, request, tmp_path)
