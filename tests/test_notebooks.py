"""The notebooks run top to bottom on a batch over the seeds and the government reports."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pipeline.batch import run_batch

from .conftest import REPORTS

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {
    "corpus_overview.ipynb": ["documents_by_year_and_kind.png", "unit_roles.png",
                              "percent_targets.png"],
    "one_plan.ipynb": ["one_plan_phases.png"],
}


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory, seeds_dir, reports_dir):
    out = tmp_path_factory.mktemp("batch")
    progress = run_batch([seeds_dir, REPORTS], out, workers=2)
    assert progress.errors == 0
    return out


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_runs_and_saves_its_figures(name, batch_dir, tmp_path, monkeypatch):
    figures = tmp_path / "figures"
    monkeypatch.setenv("JIHUA_BATCH_DIR", str(batch_dir))
    monkeypatch.setenv("JIHUA_FIGURES", str(figures))
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute(env=dict(os.environ))
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "documents from 21 files; 0 files could not be read" in text
    for png in FIGURES[name]:
        data = (figures / png).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5_000, png


def test_the_committed_notebooks_are_what_build_notebooks_writes(tmp_path):
    import importlib.util

    path = ROOT / "notebooks" / "build_notebooks.py"
    spec = importlib.util.spec_from_file_location("build", path)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    monkey = build.HERE
    build.HERE = tmp_path
    try:
        build.write("corpus_overview.ipynb", build.OVERVIEW)
        build.write("one_plan.ipynb", build.ONE_PLAN)
    finally:
        build.HERE = monkey
    for name in FIGURES:
        fresh = nbformat.read(tmp_path / name, as_version=4)
        committed = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        assert [c.source for c in fresh.cells] == [c.source for c in committed.cells], name
