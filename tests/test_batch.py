"""`jihua batch`: tables that join, error rows instead of crashes, resuming, Dask, timeouts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline import extract_file
from pipeline.batch import TABLES, load_tables, process_file, run_batch

from .conftest import SAMPLE, seed_files

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(folder: Path, copies: int) -> Path:
    """``copies`` distinct files from the sample corpus (a first line makes each unique)."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("*.txt"))
             if p.name != "plan_traditional_gb18030.txt"]
    for i in range(copies):
        body = texts[i % len(texts)]
        (folder / f"f{i:03d}.txt").write_text(f"第{i}份\n{body}", encoding="utf-8")
    return folder


def frames_equal(a: Path, b: Path) -> None:
    ta, tb = load_tables(a), load_tables(b)
    for name in TABLES:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_like=False)
    assert (a / "documents.jsonl").read_bytes() == (b / "documents.jsonl").read_bytes()


def test_tables_join_and_count_what_extract_finds(tmp_path, seeds_dir):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for p in seed_files():
        shutil.copy(p, inputs / p.name)
    (inputs / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (inputs / "empty.txt").write_bytes(b"")
    progress = run_batch([inputs], tmp_path / "out", workers=2)
    tables = load_tables(tmp_path / "out")
    expected = sum(len(extract_file(p)) for p in seed_files())
    assert len(tables["documents"]) == expected == progress.documents
    codes = sorted(extract_file(inputs / n)[0]["error"] for n in ("broken.docx", "empty.txt"))
    assert sorted(tables["errors"]["error"]) == codes == ["binary", "empty"]
    assert all("broken.docx" in m or "empty.txt" in m for m in tables["errors"]["message"])
    docs = tables["documents"].set_index("doc_id")
    for name in ("sections", "phases", "dates", "units", "targets", "tasks"):
        t = tables[name]
        assert len(t) > 0, name
        assert set(t["doc_id"]) <= set(docs.index), name
        joined = t.merge(docs[["span_start", "span_end"]], left_on="doc_id",
                         right_index=True, suffixes=("", "_doc"))
        assert (joined["span_start"] >= joined["span_start_doc"]).all(), name
        assert (joined["span_end"] <= joined["span_end_doc"]).all(), name
    lines = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == expected + 2


def test_an_interrupted_run_resumes_to_the_same_tables(tmp_path):
    corpus = make_corpus(tmp_path / "in", 40)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    run_batch([corpus], whole, workers=1)
    cmd = [sys.executable, "-m", "pipeline.cli", "batch", str(corpus), "-o", str(killed),
           "-j", "1", "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    parts = killed / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("*.jsonl"))) >= 5:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(parts.glob("*.jsonl")))
    assert 5 <= done_before < 40, "the run was not stopped halfway"
    assert not (killed / "documents.jsonl").exists()
    progress = run_batch([corpus], killed, workers=2)
    assert progress.skipped == done_before and progress.files == 40 - done_before
    frames_equal(whole, killed)


def test_a_slow_file_becomes_a_timeout_row_and_the_batch_goes_on(tmp_path):
    inputs = make_corpus(tmp_path / "in", 3)
    big = inputs / "big.txt"
    big.write_text((SAMPLE / "plan_simplified.txt").read_text(encoding="utf-8") * 3000,
                   encoding="utf-8")  # several seconds of work
    record = process_file(str(big), timeout=0.05)
    assert record == [{"schema_version": "1.0", "source": {"path": str(big)},
                       "error": "timed_out",
                       "message": f"{big}: timed out after 0.05 s; the batch went on "
                                  "without it."}]
    progress = run_batch([inputs], tmp_path / "out", workers=2, timeout=1)
    errors = load_tables(tmp_path / "out")["errors"]
    assert list(errors["error"]) == ["timed_out"] and progress.documents >= 3


def test_dask_engine_gives_the_same_output_as_the_local_one(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    corpus = make_corpus(tmp_path / "in", 6)
    run_batch([corpus], tmp_path / "local", workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        run_batch([corpus], tmp_path / "dask", engine="dask",
                  scheduler=cluster.scheduler_address)
    frames_equal(tmp_path / "local", tmp_path / "dask")


def test_batch_cli_shows_progress_and_skips_done_files(tmp_path):
    corpus = make_corpus(tmp_path / "in", 3)
    cmd = [sys.executable, "-m", "pipeline.cli", "batch", str(corpus), "-o", str(tmp_path / "o")]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "3 files processed, 0 already done" in first.stderr and "file/s" in first.stderr
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "0 files processed, 3 already done" in again.stderr
    record = json.loads((tmp_path / "o" / "documents.jsonl").read_text().splitlines()[0])
    assert record["source"]["path"].endswith("f000.txt")


def test_load_tables_says_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `jihua batch` first"):
        load_tables(tmp_path)


def test_a_dead_worker_becomes_an_error_row_and_the_batch_goes_on(tmp_path):
    corpus = make_corpus(tmp_path / "in", 8)
    (corpus / "f003.txt").write_text("第3份\nKILL-THIS-WORKER\n", encoding="utf-8")
    # a fresh interpreter, so that its worker processes see the test hook's variable
    env = {**os.environ, "JIHUA_TEST_KILL": "KILL-THIS-WORKER"}
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "batch", str(corpus), "-o",
                          str(tmp_path / "out"), "-j", "2"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    errors = load_tables(tmp_path / "out")["errors"]
    assert list(errors["path"]) == [str(corpus / "f003.txt")]
    assert errors["message"][0].endswith("(its worker process died); please report it.")
    assert "8 files processed" in out.stderr and "1 errors" in out.stderr


def test_own_output_and_repeated_inputs_are_not_read_twice(tmp_path):
    corpus = make_corpus(tmp_path / "in", 3)
    out = corpus / "out"
    run_batch([corpus, corpus / "f000.txt"], out, workers=1)
    again = run_batch([corpus], out, workers=1)
    assert (again.files, again.skipped, again.errors) == (0, 3, 0)
    docs = load_tables(out)["documents"]
    assert len(docs) == len(docs.drop_duplicates("doc_id"))


def test_a_timed_out_file_is_tried_again_on_the_next_run(tmp_path):
    inputs = make_corpus(tmp_path / "in", 2)
    run_batch([inputs], tmp_path / "out", workers=1, timeout=1e-9)
    assert len(load_tables(tmp_path / "out")["errors"]) == 2
    again = run_batch([inputs], tmp_path / "out", workers=1, timeout=60)
    assert again.files == 2 and again.errors == 0
    assert len(load_tables(tmp_path / "out")["errors"]) == 0
