"""Batch runs over thousands of files: parts per file, JSON Lines and Parquet tables.

``run_batch(inputs, out_dir)`` processes every file on all CPU cores (processes) or on a
Dask cluster, and writes into ``out_dir``:

- ``parts/`` — one JSON Lines file per input file, named by the file's content hash and
  path, written atomically when the file is done. A re-run skips every file whose part is
  there (same content, same path), so an interrupted run resumes where it stopped.
- ``documents.jsonl`` — every record (document or error), in input order.
- ``documents.parquet``, ``sections.parquet``, ``phases.parquet``, ``dates.parquet``,
  ``units.parquet``, ``targets.parquet``, ``tasks.parquet``, ``errors.parquet`` — one row
  per item, each with ``doc_id`` (:func:`document_id`), ``path`` and its span, so the
  tables join on ``doc_id``;
- ``task_links.parquet`` — one row per link of a task (``task``, ``kind``: unit, deadline,
  date, target, phase or section, ``item`` id, the unit's ``role`` for this task, and
  ``inherited_from``: heading, phase, table, lead_in, previous_sentence or null), joining
  ``tasks`` to the item tables on ``(doc_id, task)`` and ``(doc_id, item)``.

The final files are assembled from the parts in input order and written row group by row
group, so memory does not grow with the corpus, and the output of a resumed run equals
that of an uninterrupted one. :func:`load_tables` reads the tables back as DataFrames.

Scans are the slow inputs: the time limit of a file grows by ``PAGE_TIMEOUT`` for each page
it sends to OCR, and the pages read so far are counted in :class:`Progress` (``pages``),
which the progress bar shows while the files are still running.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .assemble import error_record, iter_file, iter_paths
from .errors import Code, InputError

TABLES = ("documents", "sections", "phases", "dates", "units", "targets", "tasks", "task_links",
          "errors")
ROW_GROUP = 20_000
DEFAULT_TIMEOUT = 300
PAGE_TIMEOUT = 60  # seconds more for each page a file sends to OCR (a page takes ~5-15 s)

# Column types of every table (pyarrow type names), so that every run writes one schema.
COLUMNS: dict[str, dict[str, str]] = {
    "documents": {"doc_id": "string", "path": "string", "sha256": "string",
                  "encoding": "string", "format": "string", "doc_index": "int64",
                  "title": "string", "kind": "string", "year": "int64",
                  "year_source": "string", "span_start": "int64", "span_end": "int64",
                  "n_sections": "int64", "n_phases": "int64", "n_dates": "int64",
                  "n_units": "int64", "n_targets": "int64", "n_tasks": "int64",
                  "n_warnings": "int64", "text_simplified": "string"},
    "sections": {"doc_id": "string", "path": "string", "id": "string", "level": "int64",
                 "marker": "string", "heading": "string", "kind": "string",
                 "parent": "string", "span_start": "int64", "span_end": "int64"},
    "phases": {"doc_id": "string", "path": "string", "id": "string", "ordinal": "int64",
               "name": "string", "text": "string", "period": "string",
               "period_type": "string", "section": "string", "span_start": "int64",
               "span_end": "int64"},
    "dates": {"doc_id": "string", "path": "string", "id": "string", "text": "string",
              "type": "string", "value": "string", "year_source": "string",
              "span_start": "int64", "span_end": "int64"},
    "units": {"doc_id": "string", "path": "string", "id": "string", "text": "string",
              "name": "string", "role": "string", "span_start": "int64", "span_end": "int64"},
    "targets": {"doc_id": "string", "path": "string", "id": "string", "text": "string",
                "indicator": "string", "comparator": "string", "value": "float64",
                "value_max": "float64", "unit": "string", "kind": "string",
                "deadline": "string", "responsible": "list<string>",
                "span_start": "int64", "span_end": "int64"},
    "tasks": {"doc_id": "string", "path": "string", "id": "string", "text": "string",
              "section": "string", "phase": "string", "responsible": "list<string>",
              "dates": "list<string>", "targets": "list<string>", "span_start": "int64",
              "span_end": "int64", "deadline": "string", "deadline_value": "string"},
    # one row per link of a task: kind unit|date|target|phase|section, the item's id, the
    # unit's role for this task, and where a link given from outside came from
    "task_links": {"doc_id": "string", "path": "string", "task": "string", "kind": "string",
                   "item": "string", "role": "string", "inherited_from": "string"},
    "errors": {"path": "string", "sha256": "string", "error": "string", "message": "string"},
}


class FileTimeout(Exception):
    """A file took longer than the batch's per-file limit."""


def file_key(path: Path) -> str:
    """The name of a file's part: its content hash, and a hash of its path."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    where = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:12]
    return f"{digest.hexdigest()}-{where}"


def process_file(path: str, timeout: float | None = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
    """The records of one file, or one error record (unreadable, or past ``timeout`` s).

    The time limit needs the main thread of a process (SIGALRM), as the local engine's
    worker processes have; elsewhere (Dask's worker threads) it is not enforced.
    """
    from . import ocr

    use_alarm = bool(timeout) and threading.current_thread() is threading.main_thread()
    limit = timeout

    def on_page(done: int, total: int | None) -> None:
        nonlocal limit
        if done == 0 and total and use_alarm and limit:
            extra = PAGE_TIMEOUT * total  # a scan: more time, as many pages as it has
            limit += extra
            left = signal.getitimer(signal.ITIMER_REAL)[0]
            signal.setitimer(signal.ITIMER_REAL, left + extra)
        if done and _page_counter is not None:
            with _page_counter.get_lock():
                _page_counter.value += 1
        if hook is not None:
            hook(done, total)

    if use_alarm:
        def expire(signum: int, frame: Any) -> None:
            raise FileTimeout

        previous = signal.signal(signal.SIGALRM, expire)
    hook, ocr.on_page = ocr.on_page, on_page
    try:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, float(timeout))  # type: ignore[arg-type]
        return list(iter_file(path))
    except FileTimeout:
        return [timeout_record(path, limit)]
    except Exception as exc:  # a bug on one file must not stop the batch
        return [error_record(InputError(Code.FAILED, str(path), type(exc).__name__))]
    finally:
        ocr.on_page = hook
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


_page_counter: Any = None  # a shared count of the OCR pages read, in each worker


def _init_worker(counter: Any) -> None:
    global _page_counter
    _page_counter = counter
    warm_up()


def timeout_record(path: str, timeout: float | None) -> dict[str, Any]:
    return error_record(InputError(Code.TIMED_OUT, str(path), f"{timeout:g}"))


def warm_up() -> None:
    """Load the libraries and the tagging pipeline now, so no file's time limit pays for it."""
    from .assemble import extract_text

    extract_text("医院工作计划\n一、目标\n3月底前完成,满意度达到90%以上,由院办负责。", "<warm-up>")


def _work(args: tuple[str, float | None, Path]) -> tuple[str, int, int]:
    """Process one file and write its part here, in the worker: only counts go back."""
    path, timeout, part = args
    marker = os.environ.get("JIHUA_TEST_KILL")
    if marker and marker.encode() in Path(path).read_bytes()[:200]:
        os._exit(9)  # tests only: a worker that dies the way an out-of-memory kill does
    records = process_file(path, timeout)
    _write_part(part, records)
    errors = sum("error" in r for r in records)
    return path, len(records) - errors, errors


@dataclass
class Progress:
    """What a batch has done so far (shown on the progress bar, returned at the end)."""

    files: int = 0
    skipped: int = 0
    documents: int = 0
    errors: int = 0
    seconds: float = 0.0
    failed_files: list[str] = field(default_factory=list)
    pages: int = 0  # pages read by OCR so far (scans)


def run_batch(inputs: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
              workers: int | None = None, timeout: float | None = DEFAULT_TIMEOUT,
              engine: str = "local", scheduler: str | None = None,
              on_progress: Callable[[Progress, int], None] | None = None) -> Progress:
    """Process every file under ``inputs`` into ``out_dir`` (see the module docstring)."""
    out = Path(out_dir)
    parts = out / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    inside = out.resolve()
    files, seen = [], set()
    for p in iter_paths(inputs):
        real = p.resolve()
        if real in seen or real.is_relative_to(inside):
            continue  # a file named twice, or our own output inside an input folder
        seen.add(real)
        files.append(p)
    keys = {str(p): _safe_key(p) for p in files}
    todo = [str(p) for p in files if not _done(parts / f"{keys[str(p)]}.jsonl")]
    progress = Progress(skipped=len(files) - len(todo))
    start = time.perf_counter()
    order = [parts / f"{keys[str(p)]}.jsonl" for p in files]
    # parts finished before this run, and those this run finishes (a part left by an
    # earlier timeout is there too, but not ready until it has been done again)
    ready = {part for part in order if _done(part)}
    assembler = Assembler(out)
    next_up = 0

    def advance() -> None:
        """Append every part that is ready, in input order (while the workers go on)."""
        nonlocal next_up
        while next_up < len(order) and order[next_up] in ready:
            assembler.add(order[next_up])
            next_up += 1

    def done(path: str, documents: int, errors: int) -> None:
        ready.add(parts / f"{keys[path]}.jsonl")
        advance()
        progress.files += 1
        progress.documents += documents
        progress.errors += errors
        if errors:
            progress.failed_files.append(path)
        progress.seconds = time.perf_counter() - start
        if on_progress:
            on_progress(progress, len(todo))

    def pages(count: int) -> None:
        if count != progress.pages:
            progress.pages = count
            progress.seconds = time.perf_counter() - start
            if on_progress:
                on_progress(progress, len(todo))

    jobs = [(p, timeout, parts / f"{keys[p]}.jsonl") for p in todo]
    try:
        if engine == "dask":
            _run_dask(jobs, scheduler, done)
        elif engine == "local":
            _run_local(jobs, workers, done, pages)
        else:
            raise ValueError(f"unknown engine {engine!r}; use 'local' or 'dask'")
        advance()
        if next_up != len(order):
            raise RuntimeError(f"{out}: {len(order) - next_up} files have no part after the run")
    except BaseException:
        assembler.close(commit=False)  # the parts stay: a re-run resumes from them
        raise
    assembler.close()
    progress.seconds = time.perf_counter() - start
    return progress


RETRY = {Code.TIMED_OUT.value, Code.FAILED.value}


def _done(part: Path) -> bool:
    """Whether a part holds a finished file: a timeout or a crash is tried again."""
    if not part.exists():
        return False
    with part.open(encoding="utf-8") as fh:
        first = fh.readline()
    return not any(f'"error":"{code}"' in first for code in RETRY)


def _safe_key(path: Path) -> str:
    try:
        return file_key(path)
    except OSError:  # unreadable or vanished: processed (into an error record) every time
        return "unreadable-" + hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:24]


Job = tuple[str, float | None, Path]


def _run_local(jobs: list[Job], workers: int | None, done: Callable[[str, int, int], None],
               pages: Callable[[int], None] = lambda n: None) -> None:
    import multiprocessing as mp

    global _page_counter
    workers = workers or os.cpu_count() or 1
    ctx = mp.get_context("forkserver")
    counter = ctx.Value("i", 0)
    if workers == 1 or len(jobs) <= 1:
        if jobs:
            warm_up()
        from . import ocr

        hook = ocr.on_page
        _page_counter = counter
        try:
            for job in jobs:
                # process_file's hook counts the page, then calls this one to show it
                ocr.on_page = lambda done, total: pages(counter.value)
                done(*_work(job))
                pages(counter.value)
        finally:
            ocr.on_page, _page_counter = hook, None
        return
    from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = list(reversed(jobs))
    suspects: list[Job] = []
    fruitless = 0  # pools in a row that broke before finishing anything
    while pending:
        if fruitless >= 3:  # the workers cannot even start: say so for every file left
            for job in reversed(pending):
                _write_part(job[2], [error_record(InputError(
                    Code.FAILED, job[0], "worker processes could not start"))])
                done(job[0], 0, 1)
            return
        progress_before = len(pending)
        # max_tasks_per_child keeps each worker's memory from creeping over a long run
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(counter,), max_tasks_per_child=500) as pool:
            running = {}
            broken = False
            while (pending or running) and not broken:
                while pending and len(running) < 2 * workers:
                    job = pending.pop()
                    try:
                        running[pool.submit(_work, job)] = job
                    except BrokenProcessPool:  # a worker died before this was handed out
                        pending.append(job)
                        broken = True
                        break
                if not running:
                    break
                # once broken, every job in flight ends at once (with the error)
                finished, _ = wait(running, timeout=None if broken else 1.0,
                                   return_when=ALL_COMPLETED if broken else FIRST_COMPLETED)
                pages(counter.value)
                for future in finished:
                    job = running.pop(future)
                    try:
                        done(*future.result())
                    except BrokenProcessPool:
                        broken = True
                        suspects.append(job)
            pending.extend(running.values())  # not finished when the pool broke: try again
        # A worker died (killed, out of memory) while one of these was in flight: each is
        # tried alone, so only the file that kills its worker becomes an error row.
        for job in suspects:
            with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker,
                                     initargs=(counter,)) as alone:
                try:
                    done(*alone.submit(_work, job).result())
                except BrokenProcessPool:
                    _write_part(job[2], [error_record(InputError(
                        Code.FAILED, job[0], "its worker process died"))])
                    done(job[0], 0, 1)
        fruitless = fruitless + 1 if not suspects and len(pending) >= progress_before else 0
        suspects.clear()


def _run_dask(jobs: list[Job], scheduler: str | None,
              done: Callable[[str, int, int], None]) -> None:
    """Records come back to this process, which writes the parts: the cluster's machines
    need not share a file system with it."""
    from dask.distributed import Client, as_completed

    client = Client(scheduler) if scheduler else Client(processes=True)
    try:
        futures = client.map(process_file, [p for p, _, _ in jobs],
                             timeout=jobs[0][1] if jobs else None, pure=False)
        where = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        for future in as_completed(futures):
            path, _, part = where[future.key]
            records = future.result()
            _write_part(part, records)
            errors = sum("error" in r for r in records)
            done(path, len(records) - errors, errors)
            future.release()
    finally:
        client.close()


def _write_part(path: Path, records: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        for r in records:
            fh.write(orjson.dumps(r))
            fh.write(b"\n")
    tmp.replace(path)


def _read_part(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each record of a part, with its JSON line as written (copied on as it is)."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line if line.endswith("\n") else line + "\n", orjson.loads(line)


class Assembler:
    """Appends parts, in input order, to ``documents.jsonl`` and the Parquet tables.

    Everything is written to ``*.part`` files and renamed by :meth:`close`, so a reader
    never sees half a table; rows are flushed every ``ROW_GROUP`` rows, so memory stays flat.
    """

    def __init__(self, out: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.out = out
        self.schemas = {name: pa.schema([(c, _arrow_type(t)) for c, t in cols.items()])
                        for name, cols in COLUMNS.items()}
        self.writers = {name: pq.ParquetWriter(out / f"{name}.parquet.part", self.schemas[name])
                        for name in TABLES}
        self.buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.jsonl = (out / "documents.jsonl.part").open("w", encoding="utf-8")

    def add(self, part: Path) -> None:
        for line, record in _read_part(part):
            self.jsonl.write(line)
            for name, rows in table_rows(record, part).items():
                self.buffers[name].extend(rows)
                if len(self.buffers[name]) >= ROW_GROUP:
                    self._flush(name)

    def _flush(self, name: str) -> None:
        import pyarrow as pa

        if self.buffers[name]:
            table = pa.Table.from_pylist(self.buffers[name], self.schemas[name])
            self.writers[name].write_table(table)
            self.buffers[name] = []

    def close(self, *, commit: bool = True) -> None:
        try:
            if commit:
                for name in TABLES:  # an empty table still has its schema and columns
                    self._flush(name)
        finally:
            for w in self.writers.values():
                w.close()
            self.jsonl.close()
        if commit:
            for name in TABLES:
                (self.out / f"{name}.parquet.part").replace(self.out / f"{name}.parquet")
            (self.out / "documents.jsonl.part").replace(self.out / "documents.jsonl")


def assemble_outputs(part_files: list[Path], out: Path) -> None:
    """``documents.jsonl`` and the Parquet tables from the parts, in the order given."""
    assembler = Assembler(out)
    try:
        for part in part_files:
            assembler.add(part)
    except BaseException:
        assembler.close(commit=False)
        raise
    assembler.close()


def _arrow_type(name: str) -> Any:
    import pyarrow as pa

    if name.startswith("list<"):
        return pa.list_(_arrow_type(name[5:-1]))
    return {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}[name]


def document_id(path: str, sha256: str, doc_index: int) -> str:
    """A document's id in the tables and the database: its content, path and place (two
    copies of one file at two paths are two documents)."""
    where = hashlib.sha256(path.encode("utf-8")).hexdigest()[:8]
    return f"{sha256[:16]}-{where}:{doc_index}"


def table_rows(record: dict[str, Any], part: Path | None = None) -> dict[str, list[dict]]:
    """The rows one record adds to each table."""
    if "error" in record:
        name = part.name if part is not None else ""
        sha = None if not name or name.startswith("unreadable") else name.split("-")[0]
        return {"errors": [{"path": record["source"]["path"], "sha256": sha,
                            "error": record["error"], "message": record["message"]}]}
    src = record["source"]
    doc_id = document_id(src["path"], src["sha256"], record["doc_index"])
    base = {"doc_id": doc_id, "path": src["path"]}
    values = {d["id"]: d["value"] for d in record["dates"]}

    def span(item: dict[str, Any]) -> dict[str, int]:
        return {"span_start": item["span"][0], "span_end": item["span"][1]}

    rows: dict[str, list[dict[str, Any]]] = {
        "documents": [{
            **base, "sha256": src["sha256"], "encoding": src["encoding"],
            "format": src["format"], "doc_index": record["doc_index"],
            "title": record["title"], "kind": record["kind"], "year": record["year"],
            "year_source": record["year_source"], **span(record),
            **{f"n_{k}": len(record[k]) for k in
               ("sections", "phases", "dates", "units", "targets", "tasks", "warnings")},
            "text_simplified": record["text_simplified"]}],
        "sections": [{**base, "id": s["id"], "level": s["level"], "marker": s["marker"],
                      "heading": s["heading"], "kind": s["kind"], "parent": s["parent"],
                      **span(s)} for s in record["sections"]],
        "phases": [{**base, "id": p["id"], "ordinal": p["ordinal"], "name": p["name"],
                    "text": p["text"],
                    "period": p["period"]["value"] if p["period"] else None,
                    "period_type": p["period"]["type"] if p["period"] else None,
                    "section": p["section"], **span(p)} for p in record["phases"]],
        "dates": [{**base, "id": d["id"], "text": d["text"], "type": d["type"],
                   "value": d["value"], "year_source": d["year_source"], **span(d)}
                  for d in record["dates"]],
        "units": [{**base, "id": u["id"], "text": u["text"], "name": u["name"],
                   "role": u["role"], **span(u)} for u in record["units"]],
        "targets": [{**base, "id": t["id"], "text": t["text"], "indicator": t["indicator"],
                     "comparator": t["comparator"], "value": t["value"],
                     "value_max": t["value_max"], "unit": t["unit"], "kind": t["kind"],
                     "deadline": t["deadline"], "responsible": t["responsible"], **span(t)}
                    for t in record["targets"]],
        "tasks": [{**base, "id": k["id"], "text": k["text"], "section": k["section"],
                   "phase": k["phase"], "responsible": k["responsible"],
                   "dates": k["dates"], "targets": k["targets"], **span(k),
                   "deadline": k["deadline"],
                   "deadline_value": values.get(k["deadline"]) if k["deadline"] else None}
                  for k in record["tasks"]],
        "task_links": [{**base, "task": k["id"], **link}
                       for k in record["tasks"] for link in task_links(k)],
    }
    return rows


def task_links(task: dict[str, Any]) -> list[dict[str, Any]]:
    """The links of one task as rows: kind, item id, role, inherited_from."""
    inherited = task.get("inherited") or {}
    out = [{"kind": "unit", "item": r["unit"], "role": r["role"],
            "inherited_from": r["inherited"]} for r in task.get("roles", [])]
    if task.get("deadline"):
        out.append({"kind": "deadline", "item": task["deadline"], "role": None,
                    "inherited_from": inherited.get("deadline")})
    out += [{"kind": "date", "item": d, "role": None, "inherited_from": None}
            for d in task["dates"]]
    out += [{"kind": "target", "item": t, "role": None, "inherited_from": None}
            for t in task["targets"]]
    for kind in ("phase", "section"):
        if task.get(kind):
            out.append({"kind": kind, "item": task[kind], "role": None,
                        "inherited_from": None})
    return out


def read_records(out_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The records of a batch output folder's documents.jsonl, streamed, in input order
    (a file's records stand together)."""
    jsonl = Path(out_dir) / "documents.jsonl"
    if not jsonl.is_file():
        raise FileNotFoundError(f"{out_dir}: not a `jihua batch` output folder "
                                "(no documents.jsonl).")
    with jsonl.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{jsonl}: line {n} is not JSON ({exc}).") from exc


def load_tables(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The tables of a batch output folder as pandas DataFrames, by name."""
    import pandas as pd

    out = Path(out_dir)
    missing = [n for n in TABLES if not (out / f"{n}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(f"{out}: no batch output here (missing {', '.join(missing)}"
                                ".parquet); run `jihua batch` first.")
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES}
