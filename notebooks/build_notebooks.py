"""Writes the notebooks of this folder from the cells below (run it after editing them).

    python notebooks/build_notebooks.py

Both notebooks read a `jihua batch` output folder, `$JIHUA_BATCH_DIR` (default
`out/batch`, made by `jihua batch ../shared/seeds ../shared/external/gov-work-reports -o
out/batch`), and save their figures as PNG into `$JIHUA_FIGURES` (default
`notebooks/figures`). Plot labels are in English or ids so that no CJK font is needed;
the Chinese names are in the tables beside each plot.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import os
from pathlib import Path

import matplotlib.pyplot as plt

from pipeline.batch import load_tables

plt.switch_backend("Agg")  # figures go to files

root = Path.cwd() if (Path.cwd() / "pipeline").is_dir() else Path.cwd().parent
batch = Path(os.environ.get("JIHUA_BATCH_DIR", root / "out" / "batch"))
figures = Path(os.environ.get("JIHUA_FIGURES", root / "notebooks" / "figures"))
figures.mkdir(parents=True, exist_ok=True)
t = load_tables(batch)
docs = t["documents"]
print(f"{len(docs)} documents from {docs['path'].nunique()} files; "
      f"{len(t['errors'])} files could not be read")"""

OVERVIEW = [
    new_markdown_cell(
        "# A corpus of plans at a glance\n\n"
        "What `jihua batch` found in a folder of plans and reports: how many documents of "
        "each kind and year, who is made responsible most often, how plans are phased, and "
        "which indicators they set, with what values."),
    new_code_cell(SETUP),
    new_markdown_cell("## Documents by kind and year"),
    new_code_cell("""\
by_year = docs.assign(year=docs["year"].astype("Int64")).pivot_table(
    index="year", columns="kind", values="doc_id", aggfunc="count", fill_value=0)
print(by_year.to_string())
ax = by_year.plot.bar(stacked=True, figsize=(9, 4), title="Documents by year and kind")
ax.set_xlabel("year the document states (none: no year)")
ax.set_ylabel("documents")
plt.tight_layout()
plt.savefig(figures / "documents_by_year_and_kind.png", dpi=120)
print("documents without a year:", int(docs["year"].isna().sum()))"""),
    new_markdown_cell("## Who is made responsible most often"),
    new_code_cell("""\
units = t["units"]
top = (units.groupby("name").agg(mentions=("id", "size"), documents=("doc_id", "nunique"))
       .sort_values(["documents", "mentions"], ascending=False).head(20))
print(top.to_string())
roles = units["role"].value_counts()
ax = roles.plot.barh(figsize=(7, 3.5), title="Roles of responsible units (all mentions)")
ax.set_xlabel("mentions")
plt.tight_layout()
plt.savefig(figures / "unit_roles.png", dpi=120)"""),
    new_markdown_cell("## Typical phase structures"),
    new_code_cell("""\
phases = t["phases"].sort_values(["doc_id", "ordinal"])
per_doc = phases.groupby("doc_id").agg(phases=("id", "size"),
                                       names=("name", lambda s: " → ".join(s)))
print(per_doc["phases"].value_counts().sort_index().rename("documents").to_string())
print(per_doc.head(10).to_string())
print("phases with a period:", int(phases["period"].notna().sum()), "of", len(phases))
print(phases["period_type"].value_counts(dropna=False).to_string())"""),
    new_markdown_cell("## Target indicators and their values"),
    new_code_cell("""\
targets = t["targets"]
print(targets.groupby("kind").size().rename("targets").to_string())
common = targets.groupby(["indicator", "unit"]).size().sort_values(ascending=False).head(15)
print(common.rename("count").to_string())
pct = targets[(targets["unit"] == "%") & targets["value"].notna()]
fig, ax = plt.subplots(figsize=(8, 4))
for kind, group in pct.groupby("kind"):
    ax.hist(group["value"].clip(upper=100), bins=20, alpha=0.6, label=kind)
ax.set_title("Percentage figures: committed (target) and achieved (actual)")
ax.set_xlabel("value (%)")
ax.set_ylabel("figures")
ax.legend()
plt.tight_layout()
plt.savefig(figures / "percent_targets.png", dpi=120)
print(pct.groupby("comparator")["value"].describe().round(1).to_string())"""),
]

ONE_PLAN = [
    new_markdown_cell(
        "# One plan, explored\n\n"
        "A single plan from the batch tables: its outline, a timeline of its phases, who is "
        "responsible for what, and its targets. Set `JIHUA_DOC_ID` to pick another; by "
        "default it is the document with the most phases."),
    new_code_cell(SETUP),
    new_code_cell("""\
phases_all = t["phases"]
doc_id = os.environ.get("JIHUA_DOC_ID") or phases_all["doc_id"].value_counts().index[0]
doc = docs.set_index("doc_id").loc[doc_id]
print(doc_id, "|", doc["title"], "|", doc["kind"], "| year", doc["year"], "|", doc["path"])"""),
    new_markdown_cell("## Outline"),
    new_code_cell("""\
sections = t["sections"][t["sections"]["doc_id"] == doc_id]
for s in sections.itertuples():
    print("    " * (s.level - 1) + f"{s.marker} {s.heading}  [{s.kind}]")"""),
    new_markdown_cell("## Phases on a time axis\n\n"
                      "Periods are EDTF; an unknown or template year (`XXXX`, `20XX`) is "
                      "drawn as the year 2000. A deadline phase (`../2008-08-20`) starts "
                      "where the one before it ends."),
    new_code_cell("""\
import pandas as pd

from pipeline.edtf import bounds

phases = phases_all[phases_all["doc_id"] == doc_id].sort_values("ordinal")
rows, previous_end = [], None
for p in phases.itertuples():
    b = bounds(p.period)
    start, end = b if b else (None, None)
    start = start or previous_end or end
    if start is None or end is None:
        continue
    rows.append({"phase": f"P{p.ordinal}", "name": p.name, "period": p.period,
                 "start": pd.Timestamp(start), "end": pd.Timestamp(end)})
    previous_end = end
timeline = pd.DataFrame(rows)
print(timeline.to_string(index=False))
fig, ax = plt.subplots(figsize=(9, 0.6 * max(len(timeline), 1) + 1.5))
for i, r in enumerate(timeline.itertuples()):
    days = (r.end - r.start).days + 1
    ax.barh(i, days, left=r.start, height=0.5)
    ax.text(r.start, i, f" {r.phase}", va="center")
ax.set_yticks(range(len(timeline)), timeline["phase"] if len(timeline) else [])
ax.invert_yaxis()
ax.set_title(f"Phases of {doc_id}")
fig.autofmt_xdate()
plt.tight_layout()
plt.savefig(figures / "one_plan_phases.png", dpi=120)"""),
    new_markdown_cell("## Who does what, by when, to what level"),
    new_code_cell("""\
units = t["units"][t["units"]["doc_id"] == doc_id]
print(units[["id", "name", "role"]].to_string(index=False))
targets = t["targets"][t["targets"]["doc_id"] == doc_id]
print(targets[["id", "indicator", "comparator", "value", "unit", "kind", "deadline"]]
      .to_string(index=False))
tasks = t["tasks"][t["tasks"]["doc_id"] == doc_id]
print(f"{len(tasks)} tasks;",
      int((tasks["responsible"].map(len) > 0).sum()), "name a responsible unit,",
      int((tasks["dates"].map(len) > 0).sum()), "a date,",
      int((tasks["targets"].map(len) > 0).sum()), "a target")"""),
]


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    write("corpus_overview.ipynb", OVERVIEW)
    write("one_plan.ipynb", ONE_PLAN)
