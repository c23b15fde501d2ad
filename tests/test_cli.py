"""The CLI through click's runner: exit codes, exact messages, and the README."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from click.testing import CliRunner

from pipeline import __version__
from pipeline.cli import main

from .conftest import ROOT, SAMPLE


def test_extract_sample_corpus_to_file(tmp_path):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["extract", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    titles = [r.get("title") for r in records]
    assert "滨江县人民医院2025年创建文明城市工作实施方案" in titles
    assert titles.count("医院工作计划1") == 1 and titles.count("医院工作计划2") == 1
    assert all("error" not in r for r in records)
    assert result.stderr.strip().splitlines()[-1] == f"5 files, {len(records)} documents, 0 errors"
    assert not (tmp_path / "out.jsonl.part").exists()


def test_extract_to_stdout_pretty():
    path = SAMPLE / "report_simplified.txt"
    result = CliRunner().invoke(main, ["extract", str(path), "--pretty", "-q"])
    assert result.exit_code == 0
    assert result.stdout.startswith("{\n  \"schema_version\"")
    record = json.loads(result.stdout)
    assert record["kind"] == "mixed"
    assert record["source"]["encoding"] == "utf-8-sig"


def test_missing_file_is_an_error_record_with_a_message(tmp_path):
    missing = tmp_path / "nope.txt"
    result = CliRunner().invoke(main, ["extract", str(missing)])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["error"] == "not_found"
    assert f"error: {missing}: no such file or directory." in result.stderr


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert re.search(rf"jihua {name}\b", readme), f"`jihua {name}` is not in the README"
    for script in ("bash scripts/demo.sh", "bash scripts/test.sh"):
        assert script in readme


def test_extract_reads_standard_input_in_any_encoding():
    text = (SAMPLE / "plan_simplified.txt").read_text(encoding="utf-8")
    piped = CliRunner().invoke(main, ["extract", "-", "-q"], input=text.encode("gb18030"))
    assert piped.exit_code == 0, piped.output
    record = json.loads(piped.stdout.splitlines()[0])
    direct = json.loads(CliRunner().invoke(
        main, ["extract", str(SAMPLE / "plan_simplified.txt"), "-q"]).stdout.splitlines()[0])
    assert record["source"]["path"] == "<stdin>"
    assert record["source"]["encoding"] == "gb18030"
    assert record["title"] == direct["title"] and record["units"] == direct["units"]


def test_empty_standard_input_is_an_error_record_naming_it():
    result = CliRunner().invoke(main, ["extract", "-"], input=b"")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["error"] == "empty"
    assert "error: <stdin>:" in result.stderr


def test_version_and_python_dash_m():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"jihua, version {__version__}"
    run = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == f"jihua, version {__version__}"


def test_model_without_its_extra_names_the_extra_and_fails():
    # torch and transformers made unimportable, as in the base install
    script = ("import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None; "
              "from pipeline.cli import main; main(['extract', sys.argv[1], '--model'])")
    run = subprocess.run([sys.executable, "-c", script, str(SAMPLE / "plan_simplified.txt")],
                         capture_output=True, text=True)
    assert run.returncode != 0 and run.stdout == ""
    assert run.stderr.strip() == ("Error: --model needs the 'model' extra, which is not "
                                  "installed (torch): pip install -e '.[model]'.")
