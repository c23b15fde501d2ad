"""The spaCy pipeline: jieba segmentation and one component per thing we tag.

``spacy.blank("zh")`` with :class:`~pipeline.nlp.tokenizer.JiebaTokenizer`, then the
components ``jihua_dates``, ``jihua_phases``, ``jihua_units``, ``jihua_targets`` and
``jihua_tasks``, registered with ``@Language.factory``; each is a :class:`Tagger` whose
``match`` finds items and ``set_annotations`` writes token-aligned spans into its own
``doc.spans`` group (``jihua_dates``, ``jihua_phases``, …; the span's ``kb_id_`` is the
item's id) and the items themselves, with their exact character offsets, into
``doc._.items``; ``Span._.item`` gives the item of a span. The document's context (its
sections, their kinds, its title year) comes in ``doc._.context``, set by :func:`annotate`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from . import dates as date_rules
from . import phases as phase_rules
from . import targets as target_rules
from . import tasks as task_rules
from . import units as unit_rules
from .phases import SectionInfo
from .tokenizer import JiebaTokenizer  # registers "jihua.jieba_tokenizer.v1"

TOKENIZER = "jihua.jieba_tokenizer.v1"

__all__ = [
    "COMPONENTS",
    "Context",
    "JiebaTokenizer",
    "SectionInfo",
    "Tagger",
    "annotate",
    "load",
    "use_model",
]
COMPONENTS = ("jihua_dates", "jihua_phases", "jihua_units", "jihua_targets", "jihua_tasks")


@dataclass
class Context:
    """What the taggers need to know about a document beyond its text."""

    sections: list[SectionInfo] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # section id -> kind
    default_kind: str = "plan"
    title_year: str | None = None
    quiet: list[tuple[int, int]] = field(default_factory=list)  # a site's series heading
    title: list[tuple[int, int]] = field(default_factory=list)  # the document's title line

    def kind_at(self, i: int) -> str:
        """The kind of the deepest section holding offset ``i``."""
        best = None
        for s in self.sections:
            if s.span[0] <= i < s.span[1]:
                best = s
        return self.kinds.get(best.id, self.default_kind) if best else self.default_kind


if not Doc.has_extension("context"):
    Doc.set_extension("context", default=None)
    Doc.set_extension("items", default=None)
    Span.set_extension("item", getter=lambda span: _item_of(span))


def _item_of(span: Span) -> dict[str, Any] | None:
    items = span.doc._.items or {}
    for group in items.values():
        for it in group:
            if it["id"] == span.kb_id_:
                return it
    return None


def _store(doc: Doc, group: str, items: list[dict[str, Any]], label_key: str) -> None:
    if doc._.items is None:
        doc._.items = {}
    doc._.items[group] = items
    starts = _token_starts(doc)
    spans = []
    for it in items:
        if it["end"] <= it["start"]:
            continue
        # the tokens that hold the item's characters (Doc.char_span's "expand", without
        # walking every token of the document for each item)
        first = bisect.bisect_right(starts, it["start"]) - 1
        last = bisect.bisect_left(starts, it["end"])
        label = str(it.get(label_key) or group)
        spans.append(Span(doc, first, last, label=label, kb_id=it["id"]))
    doc.spans["jihua_" + group] = spans


def _text(doc: Doc) -> str:
    """The document's text; ``Doc.text`` rebuilds it from every token at each call."""
    if "text" not in doc.user_data:
        doc.user_data["text"] = doc.text
    return doc.user_data["text"]


def _token_starts(doc: Doc) -> list[int]:
    if "token_starts" not in doc.user_data:
        words = doc.user_data.get("words") or [t.text for t in doc]
        starts, at = [], 0
        for w in words:
            starts.append(at)
            at += len(w)
        doc.user_data["token_starts"] = starts
    return doc.user_data["token_starts"]


class Tagger:
    """One jihua component: :meth:`match` finds the items, :meth:`set_annotations` stores
    them in ``doc._.items[group]`` and as spans in ``doc.spans["jihua_" + group]``."""

    group = ""
    label_key = ""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.match(doc))
        return doc

    def match(self, doc: Doc) -> list[dict[str, Any]]:
        raise NotImplementedError

    def set_annotations(self, doc: Doc, items: list[dict[str, Any]]) -> None:
        _store(doc, self.group, items, self.label_key)


class DateTagger(Tagger):
    group, label_key = "dates", "type"

    def match(self, doc: Doc) -> list[dict[str, Any]]:
        ctx: Context = doc._.context or Context()
        found = date_rules.extract(
            _text(doc), quiet=ctx.quiet, title_year=ctx.title_year, kind_at=ctx.kind_at
        )
        return [
            {
                "id": f"d{k}",
                "start": d.start,
                "end": d.end,
                "type": d.type,
                "value": d.value,
                "value_max": d.value_max,
                "year_source": d.year_source,
            }
            for k, d in enumerate(found, 1)
        ]


class PhaseTagger(Tagger):
    group, label_key = "phases", "name"

    def match(self, doc: Doc) -> list[dict[str, Any]]:
        ctx: Context = doc._.context or Context()
        dates = doc._.items["dates"]
        found = phase_rules.extract(
            _text(doc), ctx.sections, [(d["start"], d["end"], d["type"]) for d in dates]
        )
        return [
            {
                "id": f"p{k}",
                "start": p.start,
                "end": p.end,
                "ordinal": p.ordinal,
                "name": p.name,
                "section": p.section,
                "period": dates[p.period]["id"] if p.period is not None else None,
            }
            for k, p in enumerate(found, 1)
        ]


class UnitTagger(Tagger):
    group, label_key = "units", "role"

    def match(self, doc: Doc) -> list[dict[str, Any]]:
        ctx: Context = doc._.context or Context()
        words = doc.user_data.get("words") or [t.text for t in doc]
        found = unit_rules.extract(words, _text(doc), ctx.quiet + ctx.title)
        return [
            {"id": f"u{k}", "start": u.start, "end": u.end, "name": u.name, "role": u.role,
             "split": u.split}
            for k, u in enumerate(found, 1)
        ]


class TargetTagger(Tagger):
    group, label_key = "targets", "kind"

    def match(self, doc: Doc) -> list[dict[str, Any]]:
        ctx: Context = doc._.context or Context()
        dates = [(d["start"], d["end"], d["type"], d["value"]) for d in doc._.items["dates"]]
        found = target_rules.extract(_text(doc), ctx.kind_at, dates)
        return [
            {
                "id": f"t{k}",
                "start": t.start,
                "end": t.end,
                "indicator": t.indicator,
                "comparator": t.comparator,
                "value": t.value,
                "value_max": t.value_max,
                "unit": t.unit,
                "kind": t.kind,
                "period": t.period,
            }
            for k, t in enumerate(found, 1)
        ]


class TaskTagger(Tagger):
    group, label_key = "tasks", "section"

    def match(self, doc: Doc) -> list[dict[str, Any]]:
        ctx: Context = doc._.context or Context()
        found = task_rules.extract(_text(doc), ctx, doc._.items)
        units = doc._.items["units"]
        if any(u["id"].startswith("u+") for u in units):
            # units named only by a table cell: back into document order, ids renumbered
            units.sort(key=lambda u: (u["start"], u["end"]))
            new = {u["id"]: f"u{k}" for k, u in enumerate(units, 1)}
            for u in units:
                u["id"] = new[u["id"]]
            for t in found:
                t["responsible"] = [new[x] for x in t["responsible"]]
                for r in t["roles"]:
                    r["unit"] = new[r["unit"]]
            _store(doc, "units", units, "role")
        return [dict(t, id=f"k{k}") for k, t in enumerate(found, 1)]


ASSIGNS = ["doc.spans", "doc._.items"]
CONTEXT = ["doc._.context"]


@Language.factory("jihua_dates", assigns=ASSIGNS, requires=CONTEXT)
def make_dates(nlp: Language, name: str) -> DateTagger:
    return DateTagger(nlp, name)


@Language.factory("jihua_phases", assigns=ASSIGNS, requires=[*CONTEXT, "doc._.items"])
def make_phases(nlp: Language, name: str) -> PhaseTagger:
    return PhaseTagger(nlp, name)


@Language.factory("jihua_units", assigns=ASSIGNS, requires=CONTEXT)
def make_units(nlp: Language, name: str) -> UnitTagger:
    return UnitTagger(nlp, name)


@Language.factory("jihua_targets", assigns=ASSIGNS, requires=[*CONTEXT, "doc._.items"])
def make_targets(nlp: Language, name: str) -> TargetTagger:
    return TargetTagger(nlp, name)


@Language.factory("jihua_tasks", assigns=ASSIGNS, requires=[*CONTEXT, "doc._.items"])
def make_tasks(nlp: Language, name: str) -> TaskTagger:
    return TaskTagger(nlp, name)


@Language.factory(
    "jihua_model",
    default_config={"path": "", "merge": "rules_win", "labels": ["UNIT"]},
    assigns=ASSIGNS,
    requires=["doc._.items"],
)
def make_model(nlp: Language, name: str, path: str, merge: str, labels: list[str]) -> Any:
    """The learned tagger (pipeline/nlp/learned.py), merged into the rules' items."""
    from . import learned

    if merge not in ("rules_win", "model_wins"):
        raise ValueError(f"jihua_model: merge must be rules_win or model_wins, not {merge!r}")
    folder = path or str(learned.DEFAULT_MODEL)
    learned.load_model(folder)  # fail at build time, with the folder named

    def tag(doc: Doc) -> Doc:
        if "UNIT" in labels:
            found = learned.spans(_text(doc), folder)
            units = learned.merge_units(doc._.items["units"], found, _text(doc), merge)
            _store(doc, "units", units, "role")
        return doc

    return tag


_MODEL: str | None = None


def use_model(path: str | None) -> None:
    """Run the learned tagger (from ``path``, or models/jihua-tagger if empty) after the
    rules in every document from now on; ``None`` goes back to the rules alone."""
    global _MODEL
    _MODEL = path


@lru_cache(maxsize=2)
def load(model: str | None = None) -> Language:
    """The pipeline (built once per process; nothing is downloaded). With ``model`` (a
    folder, or "" for models/jihua-tagger), the learned tagger runs after the units."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    # No parser or NER here: memory is linear in the text, and a document is at most
    # assemble.MAX_DOC_CHARS long, past spaCy's default guard of 1 M characters.
    nlp.max_length = 8_000_000
    for name in COMPONENTS:
        nlp.add_pipe(name)
    if model is not None:
        nlp.add_pipe("jihua_model", after="jihua_units", config={"path": model})
    return nlp


def annotate(text: str, context: Context) -> Doc:
    """Run every component on one document's text with its context."""
    nlp = load(_MODEL)
    doc = nlp.make_doc(text)
    doc._.context = context
    doc._.items = {}
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc
