"""The learned tagger as a spaCy component: its spans merged with the rules' ones.

``jihua_model`` runs the character-level model trained by ``models/train.py`` (BIO over
DATE, UNIT, TARGET, PHASE) and merges what it finds into the document's items. Only the
labels named in ``labels`` are merged (default: units, the label the rules miss most);
``merge`` decides conflicts: ``rules_win`` (default) keeps a rule item and drops a model
span that overlaps it, ``model_wins`` does the opposite. A unit the model adds gets its
role from the same role rules as any other unit. Needs the ``model`` extra (torch,
transformers); nothing is downloaded: the weights are read from the given folder.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .units import UnitItem

SEQ = 128
LABELS = ["O", "B-DATE", "I-DATE", "B-UNIT", "I-UNIT", "B-TARGET", "I-TARGET", "B-PHASE",
          "I-PHASE"]
DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "jihua-tagger"


@lru_cache(maxsize=2)
def load_model(path: str) -> tuple[Any, dict[str, int]]:
    """The model and its vocabulary from a folder (config, safetensors, vocab.json)."""
    folder = Path(path)
    if not (folder / "vocab.json").is_file():
        raise FileNotFoundError(f"{folder}: no trained tagger here (vocab.json is missing); "
                                "run models/train.py.")
    import torch
    from transformers import BertForTokenClassification

    model = BertForTokenClassification.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    return model, vocab


def spans(text: str, path: str) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` the model finds in ``text``."""
    import torch

    model, vocab = load_model(path)
    tags: list[int] = []
    with torch.no_grad():
        for s in range(0, len(text), SEQ):
            ids = torch.tensor([encode(text[s : s + SEQ], vocab)])
            tags += model(input_ids=ids).logits[0].argmax(-1).tolist()
    return decode(tags, text)


def encode(text: str, vocab: dict[str, int]) -> list[int]:
    """Character ids (whitespace as one id, unknown characters as [UNK])."""
    return [vocab.get(" " if c.isspace() else c, 1) for c in text]


def decode(tags: list[int], text: str) -> list[tuple[int, int, str]]:
    """Spans from BIO ids; an I- without its B- opens a span; blank spans are dropped."""
    out, start, label = [], None, None
    for i, t in enumerate([*tags, 0]):
        name = LABELS[t]
        if start is not None and (name == "O" or name.startswith("B-") or name[2:] != label):
            out.append((start, i, label))
            start, label = None, None
        if name != "O" and start is None:
            start, label = i, name[2:]
    return [(s, e, lab) for s, e, lab in out if text[s:e].strip()]


def merge_units(items: list[dict[str, Any]], found: list[tuple[int, int, str]], text: str,
                merge: str) -> list[dict[str, Any]]:
    """The units of the rules and of the model, merged; ids renumbered in text order."""

    model_units = [(s, e) for s, e, lab in found if lab == "UNIT"]

    def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    if merge == "model_wins":
        kept = [u for u in items if not any(overlaps((u["start"], u["end"]), m)
                                            for m in model_units)]
        added = model_units
    else:
        kept = list(items)
        added = [m for m in model_units
                 if not any(overlaps((u["start"], u["end"]), m) for u in items)]
    new = []
    for s, e in added:
        unit = checked_unit(text, s, e)
        if unit is not None:
            new.append({"start": s, "end": e, "name": unit.name, "role": unit.role,
                        "source": "model"})
    merged = sorted(kept + new, key=lambda u: (u["start"], u["end"]))
    for k, u in enumerate(merged, 1):
        u["id"] = f"u{k}"
    return merged


def checked_unit(text: str, s: int, e: int) -> UnitItem | None:
    """A span the model calls a unit, as the rules would tag it (name, role), or None.

    The rules' own test: at least two characters, and given work in its context.
    """
    from .units import UnitItem, _canonical, _role, given_work

    if e - s < 2:
        return None
    unit = UnitItem(s, e, _canonical(text[s:e]), *_role(text, s, e, text[s:e]))
    return unit if given_work(unit) else None
