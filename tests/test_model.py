"""The learned tagger: loads from the committed weights, merges with the rules, spans sound."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import nlp
from pipeline.assemble import extract_file

from .conftest import seed_files
from .spans import check_record_spans

pytest.importorskip("torch")
pytest.importorskip("transformers")
from pipeline.nlp.learned import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def with_model():
    nlp.use_model("")
    yield
    nlp.use_model(None)


def test_the_model_runs_after_the_units_and_keeps_every_rule_unit(with_model, seeds_dir):
    assert (DEFAULT_MODEL / "model.safetensors").is_file()
    assert nlp.load("").pipe_names.index("jihua_model") == nlp.load("").pipe_names.index(
        "jihua_units") + 1
    added = 0
    for path in seed_files():
        text = path.read_text(encoding="utf-8")
        merged = extract_file(path)
        nlp.use_model(None)
        rules = extract_file(path)
        nlp.use_model("")
        for m, r in zip(merged, rules, strict=True):
            assert check_record_spans(m, text) == []
            spans = {tuple(u["span"]) for u in m["units"]}
            assert {tuple(u["span"]) for u in r["units"]} <= spans  # rules win
            added += len(m["units"]) - len(r["units"])
            assert all(u["role"] for u in m["units"])
    assert added >= 0


def test_model_wins_replaces_overlapping_rule_units():
    from pipeline.nlp.learned import merge_units

    text = "由院办负责,院感科配合。"
    rules = [{"start": 1, "end": 3, "name": "院办", "role": "responsible", "id": "u1"}]
    found = [(0, 3, "UNIT"), (6, 9, "UNIT")]
    kept = merge_units(rules, found, text, "rules_win")
    assert [(u["start"], u["end"]) for u in kept] == [(1, 3), (6, 9)]
    won = merge_units(rules, found, text, "model_wins")
    assert [(u["start"], u["end"]) for u in won] == [(0, 3), (6, 9)]
    assert [u["id"] for u in won] == ["u1", "u2"] and won[1]["role"] == "cooperating"


def test_cli_model_flag_names_a_missing_folder(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract",
                          str(ROOT / "corpora" / "sample" / "plan_simplified.txt"),
                          "--model", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1 and "vocab.json is missing" in out.stderr
