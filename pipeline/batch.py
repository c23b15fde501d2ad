"""Batch runs over thousands of files: parts per file, JSON Lines and Parquet tables.

``run_batch(inputs, out_dir)`` processes every file on all CPU cores (processes) or on a
Dask cluster, and writes into ``out_dir``:

- ``parts/`` — one JSON Lines file per input file, named by the file's content hash and
  path, written when the file is done: its last line seals it (record count and SHA-256 of
  the lines before), and it is flushed to the disk before it is renamed into place. A re-run
  skips every file whose part is there and sound (same content, same path), so an
  interrupted run resumes where it stopped; a part that fails its check (cut short,
  corrupted) is done again, with a warning.
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
that of an uninterrupted one. They are written under temporary names and renamed when
whole, so a table in the folder is a complete one. :func:`load_tables` reads the tables back
as DataFrames.

Stopping: the first SIGINT or SIGTERM stops handing out files, gives the files in flight
``STOP_GRACE`` seconds to finish, abandons the rest and raises :class:`BatchStopped`; a
second signal stops at once. Worker processes end when the run's process ends, however
it ends (see :mod:`pipeline.guard`). A full disk or an unwritable folder raises
:class:`~pipeline.guard.OutputError` with one sentence; nothing half-written stays.

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
from .guard import (
    StopNow,
    StopSignals,
    guard_worker,
    output_error,
    process_identity,
    sync_folder,
    write_whole,
)

TABLES = ("documents", "sections", "phases", "dates", "units", "targets", "tasks", "task_links",
          "errors")
ROW_GROUP = 20_000
DEFAULT_TIMEOUT = 300
PAGE_TIMEOUT = 60  # seconds more for each page a file sends to OCR (a page takes ~5-15 s)
STOP_GRACE = 3.0  # seconds the files in flight get to finish after a stop signal

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


class BatchStopped(Exception):
    """A signal stopped the run; the files finished are kept, and a re-run resumes."""

    def __init__(self, signum: int, done: int, total: int) -> None:
        self.signum, self.done, self.total = signum, done, total
        super().__init__(f"stopped after {done} of {total} files; run the same command "
                         "again to resume")

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by this signal (130, 143)."""
        return 128 + self.signum


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


def _init_worker(counter: Any, parent: int, identity: str | None) -> None:
    global _page_counter
    # the run's process decides when to stop; a terminal's Ctrl-C reaches every process of
    # the group, and a worker must not die of it halfway through a part
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    guard_worker(parent, identity)
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
    redone: list[str] = field(default_factory=list)  # inputs whose part failed its check


def run_batch(inputs: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
              workers: int | None = None, timeout: float | None = DEFAULT_TIMEOUT,
              engine: str = "local", scheduler: str | None = None,
              on_progress: Callable[[Progress, int], None] | None = None,
              on_warning: Callable[[str], None] | None = None) -> Progress:
    """Process every file under ``inputs`` into ``out_dir`` (see the module docstring).

    Raises :class:`BatchStopped` after a stop signal and
    :class:`~pipeline.guard.OutputError` when ``out_dir`` cannot take the output.
    """
    if engine not in ("local", "dask"):
        raise ValueError(f"unknown engine {engine!r}; use 'local' or 'dask'")
    out = Path(out_dir)
    parts = out / "parts"
    try:
        parts.mkdir(parents=True, exist_ok=True)
        write_whole(parts / ".writable", b"")  # a read-only folder fails here, not later
        (parts / ".writable").unlink()
    except OSError as exc:
        if (error := output_error(out, exc)) is None:
            raise
        raise error from exc
    inside = out.resolve()
    files, seen = [], set()
    for p in iter_paths(inputs):
        real = p.resolve()
        if real in seen or real.is_relative_to(inside):
            continue  # a file named twice, or our own output inside an input folder
        seen.add(real)
        files.append(p)
    keys = {str(p): _safe_key(p) for p in files}
    order = [parts / f"{keys[str(p)]}.jsonl" for p in files]
    ready: set[Path] = set()  # parts whose file is done: before this run, or by it
    redone: list[str] = []
    for path, part in zip(files, order, strict=True):
        state = part_state(part)
        if state == "done":
            ready.add(part)
        elif state not in ("missing", "retry"):
            redone.append(str(path))
            if on_warning:
                on_warning(f"warning: {part}: the part of {path} {state}; that file is "
                           "done again.")
    todo = [str(p) for p, part in zip(files, order, strict=True) if part not in ready]
    progress = Progress(skipped=len(files) - len(todo), redone=redone)
    start = time.perf_counter()
    next_up = 0
    stop = StopSignals()

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
    with stop.active():
        try:
            if todo:  # tables of an earlier run no longer answer for these inputs
                for name in (*(f"{t}.parquet" for t in TABLES), "documents.jsonl"):
                    (out / name).unlink(missing_ok=True)
            assembler = Assembler(out)
            try:
                if engine == "dask":
                    _run_dask(jobs, scheduler, done, stop)
                else:
                    _run_local(jobs, workers, done, pages, stop)
                if stop:
                    raise StopNow(stop.signum)
                advance()
                if next_up != len(order):
                    raise RuntimeError(f"{out}: {len(order) - next_up} files have no part "
                                       "after the run")
            except BaseException:
                assembler.close(commit=False)  # the parts stay: a re-run resumes from them
                raise
            assembler.close()
        except StopNow as exc:
            raise BatchStopped(exc.signum, len(ready), len(files)) from None
        except OSError as exc:
            if (error := output_error(out, exc)) is None:
                raise
            raise error from exc
    progress.seconds = time.perf_counter() - start
    return progress


RETRY = {Code.TIMED_OUT.value, Code.FAILED.value}


def part_state(part: Path) -> str:
    """``done``, ``missing``, ``retry`` (it holds a timeout or a crash, tried again), or
    why the part cannot be trusted (``is cut short``, ...). Read line by line: a part can
    be as large as its input file."""
    digest, count, first, last = hashlib.sha256(), 0, b"", b""
    try:
        with part.open("rb") as fh:
            for line in fh:
                if last:  # every line before the last is a record
                    digest.update(last)
                    count += 1
                first, last = first or line, line
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not last.endswith(b"\n"):
        return "is cut short"
    try:
        seal = orjson.loads(last)["part"]
        records, sha = int(seal["records"]), str(seal["sha256"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return "has no seal (cut short, or written by an older version)"
    if digest.hexdigest() != sha or count != records:
        return "does not match its seal (corrupted)"
    return "retry" if any(f'"error":"{code}"'.encode() in first for code in RETRY) else "done"


def _safe_key(path: Path) -> str:
    try:
        return file_key(path)
    except OSError:  # unreadable or vanished: processed (into an error record) every time
        return "unreadable-" + hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:24]


Job = tuple[str, float | None, Path]


def _run_local(jobs: list[Job], workers: int | None, done: Callable[[str, int, int], None],
               pages: Callable[[int], None] = lambda n: None,
               stop: StopSignals | None = None) -> None:
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
                if stop:
                    return
                # process_file's hook counts the page, then calls this one to show it
                ocr.on_page = lambda done, total: pages(counter.value)
                done(*_work(job))
                pages(counter.value)
        finally:
            ocr.on_page, _page_counter = hook, None
        return
    from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    me = (os.getpid(), process_identity(os.getpid()))

    def pool_of(size: int, **kw: Any) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(size, mp_context=ctx, initializer=_init_worker,
                                   initargs=(counter, *me), **kw)

    pending = list(reversed(jobs))
    suspects: list[Job] = []
    fruitless = 0  # pools in a row that broke before finishing anything
    while pending and not stop:
        if fruitless >= 3:  # the workers cannot even start: say so for every file left
            for job in reversed(pending):
                _write_part(job[2], [error_record(InputError(
                    Code.FAILED, job[0], "worker processes could not start"))])
                done(job[0], 0, 1)
            return
        progress_before = len(pending)
        # max_tasks_per_child keeps each worker's memory from creeping over a long run
        pool = pool_of(workers, max_tasks_per_child=500)
        whole = False
        try:
            running = {}
            broken = False
            while (pending or running) and not broken:
                if stop:  # no more files; those in flight get a short while to finish
                    finished, _ = wait(running, timeout=STOP_GRACE, return_when=ALL_COMPLETED)
                    for future in finished:
                        if future.exception() is None:
                            done(*future.result())
                    return
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
            whole = True
        finally:
            _close_pool(pool, whole)
        # A worker died (killed, out of memory) while one of these was in flight: each is
        # tried alone, so only the file that kills its worker becomes an error row.
        for job in suspects:
            if stop:
                return
            alone = pool_of(1)
            try:
                done(*alone.submit(_work, job).result())
            except BrokenProcessPool:
                _write_part(job[2], [error_record(InputError(
                    Code.FAILED, job[0], "its worker process died"))])
                done(job[0], 0, 1)
            finally:
                _close_pool(alone, True)
        fruitless = fruitless + 1 if not suspects and len(pending) >= progress_before else 0
        suspects.clear()


def _close_pool(pool: Any, whole: bool) -> None:
    """Shut a pool down: wait for it after a whole run, else kill its workers now."""
    if whole:
        pool.shutdown(wait=True)
        return
    processes = list(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for pid in processes:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _run_dask(jobs: list[Job], scheduler: str | None,
              done: Callable[[str, int, int], None], stop: StopSignals | None = None) -> None:
    """Records come back to this process, which writes the parts: the cluster's machines
    need not share a file system with it. A stop cancels what the cluster has not
    finished; the local cluster, if this run started one, closes with the client."""
    from dask.distributed import Client, as_completed

    client = Client(scheduler) if scheduler else Client(processes=True)
    try:
        futures = client.map(process_file, [p for p, _, _ in jobs],
                             timeout=jobs[0][1] if jobs else None, pure=False)
        where = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        finished = as_completed(futures)
        while not finished.is_empty():
            if stop:
                client.cancel(futures)
                return
            if not finished.has_ready():
                time.sleep(0.05)
                continue
            for future in finished.next_batch(block=False):
                path, _, part = where[future.key]
                records = future.result()
                _write_part(part, records)
                errors = sum("error" in r for r in records)
                done(path, len(records) - errors, errors)
                future.release()
    finally:
        client.close()


def _write_part(path: Path, records: list[dict[str, Any]]) -> None:
    """A part: the records, one per line, then the seal (count and checksum), on disk."""
    body = b"".join(orjson.dumps(r) + b"\n" for r in records)
    seal = {"part": {"records": len(records), "sha256": hashlib.sha256(body).hexdigest()}}
    write_whole(path, body + orjson.dumps(seal) + b"\n")


def _read_part(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each record of a part, with its JSON line as written (copied on as it is)."""
    with path.open(encoding="utf-8") as fh:
        held = None  # one line behind, as the last line is the seal
        for line in fh:
            if held is not None:
                yield held, orjson.loads(held)
            held = line


class Assembler:
    """Appends parts, in input order, to ``documents.jsonl`` and the Parquet tables.

    Everything is written to ``*.part`` files, flushed to the disk and renamed by
    :meth:`close`, so a reader never sees half a table; an aborted assembly removes them.
    Rows are flushed every ``ROW_GROUP`` rows, so memory stays flat.
    """

    def __init__(self, out: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.out = out
        self.schemas = {name: pa.schema([(c, _arrow_type(t)) for c, t in cols.items()])
                        for name, cols in COLUMNS.items()}
        self.temps = [out / f"{name}.parquet.part" for name in TABLES]
        self.temps.append(out / "documents.jsonl.part")
        self.writers: dict[str, Any] = {}
        self.jsonl = None
        try:
            for name in TABLES:
                self.writers[name] = pq.ParquetWriter(out / f"{name}.parquet.part",
                                                      self.schemas[name])
            self.jsonl = (out / "documents.jsonl.part").open("w", encoding="utf-8")
        except BaseException:
            self.close(commit=False)
            raise
        self.buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}

    def add(self, part: Path) -> None:
        assert self.jsonl is not None
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
            try:
                for w in self.writers.values():
                    w.close()
                if self.jsonl is not None:
                    self.jsonl.close()
            finally:
                if not commit:
                    for temp in self.temps:
                        temp.unlink(missing_ok=True)
        if commit:
            for temp in self.temps:
                with temp.open("rb+") as fh:
                    os.fsync(fh.fileno())
            for temp in self.temps:
                temp.replace(temp.with_suffix(""))
            sync_folder(self.out)


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
