"""Print a readable excerpt of a JSON Lines output of `jihua extract`.

One line per record (file, document, title, kind, year, how many items of each kind),
then the richest document record (the one with the most tagged items) in full but
shortened: one line per field and per item, lists cut to their first two items, long
strings cut with an ellipsis.

    python scripts/excerpt.py out/sample.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GROUPS = ("sections", "phases", "dates", "units", "targets", "tasks")


def shorten(value: Any, items: int = 2, chars: int = 70) -> Any:
    if isinstance(value, str):
        return value if len(value) <= chars else value[:chars] + "…"
    if isinstance(value, list):
        kept = [shorten(v, items, chars) for v in value[:items]]
        return [*kept, f"… {len(value) - items} more"] if len(value) > items else kept
    if isinstance(value, dict):
        return {k: shorten(v, items, chars) for k, v in value.items()}
    return value


def summary(record: dict[str, Any]) -> str:
    where = f"{record['source']['path']}"
    if "error" in record:
        return f"{where}: error {record['error']}: {record['message']}"
    year = record["year"] if record["year"] is not None else "year unknown"
    counts = ", ".join(f"{len(record[g])} {g}" for g in GROUPS)
    return f"{where} #{record['doc_index']}: {record['title']} ({record['kind']}, {year}): {counts}"


def main(path: str) -> int:
    records = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    print(f"{path}: {len(records)} records")
    for record in records:
        print("  " + summary(record))
    documents = [r for r in records if "error" not in r]
    if documents:
        richest = max(documents, key=lambda r: sum(len(r[g]) for g in GROUPS[1:]))
        print(f"\n{summary(richest)}, shortened:")
        print(render(shorten(richest)))
    return 0


def render(record: dict[str, Any]) -> str:
    """JSON with one line per field, and one line per item of a list of items."""
    def dump(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False)

    lines = []
    for key, value in record.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(f"    {dump(v)}" for v in value)
            lines.append(f"  {dump(key)}: [\n{inner}\n  ]")
        else:
            lines.append(f"  {dump(key)}: {dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
