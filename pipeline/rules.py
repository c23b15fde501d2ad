"""Rules are data: the TSV files in ``pipeline/data``, loaded once and validated.

Every file has a header row and an ``id`` and ``comment`` column; patterns are regular
expressions. :func:`validate` reports problems as ``file:line id: problem``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

DATA = Path(str(resources.files("pipeline") / "data"))
REQUIRED = {
    "furniture.tsv": ("id", "scope", "pattern", "comment"),
    "page_furniture.tsv": ("id", "band", "pattern", "comment"),
    "ocr_fixes.tsv": ("id", "pattern", "replacement", "comment"),
    "genre.tsv": ("id", "kind", "word", "decisive", "comment"),
    "section_kinds.tsv": ("id", "kind", "priority", "pattern", "comment"),
    "kind_cues.tsv": ("id", "kind", "pattern", "comment"),
    "date_words.tsv": ("id", "group", "word"),
    "target_units.tsv": ("id", "unit", "scale", "base"),
    "comparators.tsv": ("id", "position", "comparator", "priority", "pattern"),
    "target_cues.tsv": ("id", "cue", "pattern"),
    "target_words.tsv": ("id", "form", "word"),
    "unit_heads.tsv": ("id", "type", "word"),
    "unit_roles.tsv": ("id", "position", "role", "priority", "pattern", "keep", "bare"),
    "indicators.tsv": ("id", "canonical", "direction", "priority", "pattern"),
    "audit_periods.tsv": ("id", "tense", "period", "years", "priority", "pattern"),
    "audit_skip.tsv": ("id", "pattern"),
    "audit_words.tsv": ("id", "verdict", "pattern"),
    "task_cues.tsv": ("id", "use", "pattern", "comment", "evidence"),
}
CHOICES = {
    "use": {"action", "skip_section", "goal_section", "skip_sentence", "closing", "lead_in",
            "label", "heading_units", "event_date", "table_task", "table_lead", "table_cooperating",
            "table_unit", "table_deadline", "table_number", "set_up"},
    "scope": {"line", "tail"},
    "band": {"top", "bottom", "bottom_centre", "any"},
    "kind": {"plan", "report", "problems", "other"},
    "position": {"before", "after", "around", "name"},
    "direction": {"higher", "lower"},
    "decisive": {"yes", "no"},
    "keep": {"yes", "no"},
    "bare": {"yes", "no"},
    "role": {"lead", "responsible", "cooperating", "supervising", "authority", "report_to",
             "other"},
    "type": {"suffix", "word", "whole", "exclude", "bare", "prefix", "stop"},
    "group": {"recurrence", "part_of_year", "season", "holiday", "plan_period", "relative",
              "whole_year", "fused", "named_period", "not_date", "value_cue", "activity"},
    "tense": {"past", "future", "auto"},
    "verdict": {"not_met"},
    "period": {"annual", "multi_year", "auto"},
    "years": {"prev", "this", "next", "last5", "next5", "plan", "upto", "year"},
}


@dataclass(frozen=True)
class Rule:
    file: str
    line: int
    fields: dict[str, str]

    @property
    def id(self) -> str:
        return self.fields["id"]

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.fields["pattern"])


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _read(name: str, folder: Path = DATA) -> list[Rule]:
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Rule(name, n, dict(row)) for n, row in enumerate(reader, start=2)]


@cache
def load(name: str) -> tuple[Rule, ...]:
    """The rules of one data file: by ``priority``, highest first, where the file has one
    (the order of the lines never decides); else in file order."""
    problems = validate(name)
    if problems:
        raise ValueError("invalid rule file:\n" + "\n".join(problems))
    rules = _read(name)
    if "priority" in REQUIRED[name]:
        rules.sort(key=lambda r: -int(r["priority"]))
    return tuple(rules)


def validate(name: str, folder: Path = DATA) -> list[str]:
    """Every problem in ``name`` as ``file:line id: problem``; an empty list when clean."""
    problems = []
    seen: set[str] = set()
    for rule in _read(name, folder):
        where = f"{name}:{rule.line} {rule.fields.get('id') or '?'}"
        for column in REQUIRED[name]:
            if not (rule.fields.get(column) or "").strip():
                problems.append(f"{where}: empty {column}")
        if None in rule.fields:
            problems.append(f"{where}: more columns than the header")
        if rule.fields.get("id") in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(rule.fields.get("id") or "")
        for column, allowed in CHOICES.items():
            value = rule.fields.get(column)
            if column in REQUIRED[name] and value and value not in allowed:
                problems.append(f"{where}: {column} {value!r} is not one of {sorted(allowed)}")
        if "pattern" in REQUIRED[name] and rule.fields.get("pattern"):
            try:
                re.compile(rule.fields["pattern"])
            except re.error as exc:
                problems.append(f"{where}: bad pattern ({exc})")
        if "priority" in REQUIRED[name] and not (rule.fields.get("priority") or "").isdigit():
            problems.append(f"{where}: priority must be a whole number")
    return problems
