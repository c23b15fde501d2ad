"""Check that every span of a record points at exactly the characters it claims."""

from __future__ import annotations

from pipeline.clean import clean
from pipeline.normalize import fold, to_simplified


def as_simplified(original: str) -> str:
    """What the pipeline makes of a slice of the original: cleaned, then t2s."""
    return to_simplified(clean(original).text)


def check_record_spans(record: dict, source_text: str) -> list[str]:
    """Every mismatch between a record's spans and the source text (empty when sound)."""
    problems = []
    s, e = record["span"]
    if source_text[s:e] != record["text_original"]:
        problems.append(f"doc {record['doc_index']}: text_original is not source[{s}:{e}]")
    if record["title"] is not None:
        ts, te = record["title_span"]
        if as_simplified(source_text[ts:te]) != record["title"]:
            problems.append(f"doc {record['doc_index']}: title span {ts, te}")
    for sec in record["sections"]:
        hs, he = sec["heading_span"]
        if as_simplified(source_text[hs:he]) != sec["heading"]:
            problems.append(f"{sec['id']}: heading {sec['heading']!r} != "
                            f"{as_simplified(source_text[hs:he])!r}")
        ss, se = sec["span"]
        if not (s <= ss <= hs and he <= se <= e):
            problems.append(f"{sec['id']}: span {ss, se} does not hold its heading in the doc")
        if not fold(as_simplified(source_text[ss:se])).startswith(sec["marker"]):
            problems.append(f"{sec['id']}: span does not start at its marker {sec['marker']}")
    doc_lines = {x.strip() for x in as_simplified(source_text[s:e]).split("\n")}
    for line in record["text_simplified"].split("\n"):
        if line not in doc_lines:
            problems.append(f"doc {record['doc_index']}: line {line[:20]!r} not in its span")
    for group in ("phases", "dates", "units", "targets", "tasks"):
        for item in record.get(group, []):
            a, b = item["span"]
            if not (s <= a < b <= e):
                problems.append(f"{item['id']}: span {a, b} outside the document")
            elif as_simplified(source_text[a:b]) != item["text"]:
                problems.append(f"{item['id']}: text {item['text']!r} != "
                                f"{as_simplified(source_text[a:b])!r}")
    for w in record["warnings"]:
        if w["span"] is not None and not (s <= w["span"][0] < w["span"][1] <= e):
            problems.append(f"warning {w['code']} span {w['span']} outside the document")
    return problems
