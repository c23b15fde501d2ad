"""Generate the committed JSON Schema from the models: ``python -m pipeline.schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .record import Document, ErrorRecord

SCHEMA_PATH = Path(__file__).parent / "record.schema.json"


def record_schema() -> dict:
    """One JSON Lines record: a document or an error record."""
    doc = Document.model_json_schema(ref_template="#/$defs/{model}")
    err = ErrorRecord.model_json_schema(ref_template="#/$defs/{model}")
    defs = {**doc.pop("$defs", {}), **err.pop("$defs", {})}
    defs["Document"] = doc
    defs["ErrorRecord"] = err
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "jihua record",
        "description": "One line of `jihua extract` output: a document or an error record.",
        "oneOf": [{"$ref": "#/$defs/Document"}, {"$ref": "#/$defs/ErrorRecord"}],
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(record_schema(), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
