"""The ``jihua`` command: a thin layer over the library (sqlite-utils style)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from . import __version__
from .assemble import iter_file, iter_paths, iter_stream


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jihua")
def main() -> None:
    """Read Chinese plan documents and emit their structure as JSON."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write JSON Lines here instead of standard output.")
@click.option("--pretty", is_flag=True, help="Indent each record for a person to read.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary on stderr.")
@click.option("--model", "model", is_flag=False, flag_value="", default=None, metavar="[DIR]",
              help="Also run the learned tagger (models/jihua-tagger, or DIR) and merge its "
                   "units with the rules' (rules win on conflict). Needs the 'model' extra.")
def extract(paths: tuple[Path, ...], output: Path | None, pretty: bool, quiet: bool,
            model: str | None) -> None:
    """Extract documents from files and directories (walked recursively) as JSON Lines.

    One record per document, or one error record per file that cannot be read. A path
    of - reads standard input (text in any supported encoding, HTML, .docx or .pdf).
    """
    if model is not None:
        from . import nlp

        try:
            nlp.load(model)
        except ImportError as exc:
            raise click.ClickException(
                f"--model needs the 'model' extra, which is not installed ({exc.name or exc}): "
                "pip install -e '.[model]'.") from exc
        except FileNotFoundError as exc:
            raise click.ClickException(f"the learned tagger cannot be loaded: {exc}") from exc
        nlp.use_model(model)
    files = docs = errors = 0
    out: TextIO
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".part")
        out = tmp.open("w", encoding="utf-8")
    else:
        out = sys.stdout
    try:
        for path in iter_paths(paths):
            files += 1
            records = iter_stream(sys.stdin.buffer) if str(path) == "-" else iter_file(path)
            for record in records:
                if "error" in record:
                    errors += 1
                    if not quiet:
                        click.echo(f"error: {record['message']}", err=True)
                else:
                    docs += 1
                out.write(json.dumps(record, ensure_ascii=False, indent=2 if pretty else None))
                out.write("\n")
            if not quiet and files % 100 == 0:
                click.echo(f"{files} files, {docs} documents, {errors} errors…", err=True)
    finally:
        if output:
            out.close()
    if output:
        tmp.replace(output)  # atomic: a reader never sees half a file
    if not quiet:
        click.echo(f"{files} files, {docs} documents, {errors} errors", err=True)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for documents.jsonl, the Parquet tables and the per-file parts.")
@click.option("-j", "--workers", type=click.IntRange(min=1),
              help="Worker processes for the local engine [default: all CPU cores].")
@click.option("--timeout", type=click.FloatRange(min=0), default=300, show_default=True,
              help="Seconds one file may take before it becomes an error row (0: no limit).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Run on this machine's cores, or on a Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler address (tcp://host:8786); without it, --engine dask "
                   "starts a local cluster.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def batch(inputs: tuple[Path, ...], out_dir: Path, workers: int | None, timeout: float,
          engine: str, scheduler: str | None, quiet: bool) -> None:
    """Process every file under INPUTS into tables: JSON Lines and Parquet, resumably.

    Re-running on the same output folder skips the files already done (by content hash),
    so an interrupted run can simply be started again. Ctrl-C or SIGTERM stops it cleanly
    (status 130 or 143) after the files in flight; a second one stops it at once.
    """
    from .batch import BatchStopped, run_batch
    from .guard import OutputError

    bar = None

    def show(progress, total: int) -> None:  # type: ignore[no-untyped-def]
        nonlocal bar
        if quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="file", desc="batch", file=sys.stderr)
        bar.set_postfix(documents=progress.documents, errors=progress.errors,
                        **({"ocr_pages": progress.pages} if progress.pages else {}),
                        refresh=False)
        bar.update(progress.files - bar.n)  # called for each file done, and as scan pages go
        if progress.pages:
            bar.refresh()

    def warn(message: str) -> None:
        (bar.write if bar is not None else click.echo)(message, file=sys.stderr)

    try:
        try:
            progress = run_batch(inputs, out_dir, workers=workers, timeout=timeout or None,
                                 engine=engine, scheduler=scheduler, on_progress=show,
                                 on_warning=warn)
        finally:
            if bar is not None:
                bar.close()
    except BatchStopped as stopped:
        click.echo(str(stopped), err=True)
        sys.exit(stopped.exit_status)
    except OutputError as exc:
        click.echo(f"jihua: {exc}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"{progress.files} files processed, {progress.skipped} already done, "
                   f"{progress.documents} documents, {progress.errors} errors in "
                   f"{progress.seconds:.1f} s -> {out_dir}"
                   + (f" ({len(progress.redone)} damaged parts done again)"
                      if progress.redone else ""), err=True)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--series", is_flag=True,
              help="INPUTS are plans and reports of several years (files, folders or `jihua "
                   "batch` folders): each target is judged against the report on its deadline "
                   "year.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]),
              default="table", show_default=True,
              help="How to write the verdicts (xlsx needs -o).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the verdicts here instead of standard output.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report with the source sentences.")
@click.option("--tolerance", "tolerances", multiple=True, metavar="0.3pp|3%",
              help="How far a 左右 or plain target may be missed and still be met: NNpp in "
                   "percentage points for % figures (default 0.3pp), NN% as a share of the "
                   "target for other units (default 3%). Floors and ceilings have none.")
def audit(inputs: tuple[Path, ...], series: bool, fmt: str, output: Path | None,
          html_file: Path | None, tolerances: tuple[str, ...]) -> None:
    """Compare each target of a plan with what a report says was achieved.

    INPUTS: PLAN [REPORT], files or `jihua batch` output folders; with PLAN alone, one mixed
    document (a 总结 with its next-year plan) is audited against itself. With --series, any
    number of plans and reports of several years. Verdicts: met, exceeded, not_met, not_due
    (the deadline lies after what the report covers), no_evidence, unclear.
    """
    from . import audit as auditing

    if not series and len(inputs) > 2:
        raise click.UsageError("give PLAN [REPORT], or --series for more documents")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a file: give -o FILE.xlsx")
    try:
        tolerance = auditing.Tolerance.parse(tolerances)
        if series:
            rows = auditing.audit_series(inputs, tolerance)
        else:
            rows = auditing.audit(inputs[0], inputs[1] if len(inputs) > 1 else None, tolerance)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "xlsx":
        assert output is not None
        auditing.to_xlsx(rows, output)
    else:
        text = {"table": auditing.to_table, "json": auditing.to_json,
                "csv": auditing.to_csv}[fmt](rows)
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            tmp = output.with_name(output.name + ".part")
            tmp.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
            tmp.replace(output)
        else:
            click.echo(text)
    if html_file:
        names = " against ".join(p.name for p in inputs[:2]) if not series else \
            f"series of {len(inputs)}"
        html_file.parent.mkdir(parents=True, exist_ok=True)
        html_file.write_text(auditing.to_html(rows, f"jihua audit: {names}"), encoding="utf-8")


class DatabaseParam(click.ParamType):
    """A SQLite file (a path) or a PostgreSQL database (a postgresql:// URL)."""

    name = "database"

    def convert(self, value: Any, param: Any, ctx: Any) -> str | Path:
        from .db import is_url

        if isinstance(value, Path) or not is_url(value):
            path = Path(value)
            if path.is_dir():
                self.fail(f"{value}: is a folder; give a database file or a postgresql:// URL.",
                          param, ctx)
            return path
        return str(value)


DATABASE = DatabaseParam()


@main.group("db")
def db_group() -> None:
    """Build and update a searchable plan database (a SQLite file or PostgreSQL)."""


@db_group.command("build")
@click.argument("database", type=DATABASE)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--prune/--no-prune", default=True, show_default=True,
              help="Remove the documents of files gone from the folders given.")
def db_build(database: str | Path, inputs: tuple[Path, ...], prune: bool) -> None:
    """Add the documents of INPUTS (files, folders, or `jihua batch` folders) to DATABASE:
    a SQLite file, or a PostgreSQL URL (postgresql://user@host/dbname).

    Files already there with the same content are skipped; changed files are replaced;
    files gone from a folder given again are removed. Each file is one transaction, so a
    run stopped in the middle is completed by running it again, and several runs may load
    the same database at once. Ctrl-C or SIGTERM stops it after the file in hand (status
    130 or 143); a second one stops it at once, rolling that file back.
    """
    from . import db

    try:
        report = db.build(database, inputs, prune=prune)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for message in report.errors:
        click.echo(f"error: {message}", err=True)
    shown = _shown(database)
    if report.stopped:
        loaded = report.files - report.skipped
        click.echo(f"stopped after {loaded} files loaded ({report.skipped} unchanged); run "
                   f"the same command again to complete {shown}", err=True)
        sys.exit(128 + report.stopped)
    click.echo(f"{report.files} files: {report.documents} documents added, {report.skipped} "
               f"files unchanged, {report.replaced} replaced, {report.removed} removed, "
               f"{len(report.errors)} errors -> {shown}", err=True)


def _shown(database: str | Path) -> str:
    """The database for messages (a URL without its password)."""
    from .db import is_url

    if is_url(database):
        from .db_postgres import safe_url

        return safe_url(str(database))
    return str(database)


@main.command("search")
@click.argument("database", type=DATABASE)
@click.argument("query", required=False, default="")
@click.option("--unit", help="Canonical unit name (院保卫科).")
@click.option("--year", type=int)
@click.option("--kind", type=click.Choice(["plan", "report", "mixed"]))
@click.option("--phase", help="Part of a phase name.")
@click.option("--indicator", help="Part of an indicator (满意度).")
@click.option("--target-kind", type=click.Choice(["target", "actual"]))
@click.option("--value", help="A comparator and number for the indicator's targets: '>=90'.")
@click.option("--deadline-from", metavar="YYYY-MM-DD")
@click.option("--deadline-to", metavar="YYYY-MM-DD")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--tasks", "as_tasks", is_flag=True,
              help="List tasks instead of documents (with --unit, --due-before, --due-after).")
@click.option("--due-before", metavar="YYYY-MM-DD", help="With --tasks: due on or before.")
@click.option("--due-after", metavar="YYYY-MM-DD", help="With --tasks: due on or after.")
def search_cmd(database: str | Path, query: str, limit: int, fmt: str, as_tasks: bool,
               due_before: str | None, due_after: str | None, **filters: str | None) -> None:
    """Find documents by words (Chinese, any script) and filters, ranked by BM25; with
    --tasks, the tasks given to a unit and due in a date range.

    DATABASE is a SQLite file or a PostgreSQL URL (postgresql://user@host/dbname).
    """
    from . import db

    if as_tasks:
        _search_tasks(database, filters.get("unit"), due_before, due_after, limit, fmt)
        return

    try:
        store = db.open_database(database, read_only=True)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        f = db.Filters(**{k: v for k, v in filters.items() if k != "value"})
        if filters.get("value"):
            f.comparator, f.value = db.parse_value(filters["value"] or "")
        result = store.search(query, f, limit=limit)
    except db.QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    hits = [{k: h[k] for k in ("source", "doc_index", "title", "score", "snippet")}
            for h in result["hits"]]
    if fmt == "json":
        click.echo(json.dumps(hits, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['total']} documents")
    for h in hits:
        snippet = (h["snippet"] or "").replace("<mark>", "[").replace("</mark>", "]")
        score = f"{h['score']:.4g}" if h["score"] is not None else "-"
        click.echo(f"{score:>8}  {h['title']}  "
                   f"({h['source']} #{h['doc_index']})\n          {snippet}")


def _search_tasks(database: str | Path, unit: str | None, due_before: str | None,
                  due_after: str | None, limit: int, fmt: str) -> None:
    from . import db

    try:
        store = db.open_database(database, read_only=True)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        result = store.search_tasks(unit, due_before, due_after, limit=limit)
    except db.QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(result["hits"], ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['total']} tasks")
    for h in result["hits"]:
        units = "、".join(f"{u['name']}({u['role']})" for u in h["units"])
        click.echo(f"{h['deadline'] or '-':>20}  {h['title']} #{h['doc_index']}  {units}\n"
                   f"{'':>22}{h['text'][:60]}")


@main.command()
@click.argument("database", type=DATABASE)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=int, default=8000, show_default=True)
def serve(database: str | Path, host: str, port: int) -> None:
    """Serve the search page, document pages and JSON API of DATABASE (read-only): a SQLite
    file or a PostgreSQL URL, best with a role that may only read."""
    from .web import make_server

    try:
        server = make_server(database, host, port)
    except (ValueError, OSError) as exc:
        raise click.ClickException(
            f"cannot serve {_shown(database)} on {host}:{port}: {exc}") from exc
    note = server.database.writable_note()
    if note:
        click.echo(f"warning: {note}", err=True)
    click.echo(f"serving {_shown(database)} read-only on http://{host}:"
               f"{server.server_address[1]}/ (Ctrl-C to stop)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output (needed for xlsx).")
def tasks(paths: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """The responsibility matrix (任务分工表) of plans: one row per task, with its section,
    phase, lead unit, other units with roles, deadline (text and EDTF) and targets."""
    from . import matrix
    from .assemble import iter_records

    table = matrix.rows(iter_records(paths))
    try:
        text = matrix.write(table, fmt, output)
    except (ValueError, ImportError) as exc:
        raise click.ClickException(str(exc)) from exc
    if text is not None:
        click.echo(text, nl=False)


@main.command("eval")
@click.argument("gold_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--texts", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding the annotated texts "
                   "[default: $JIHUA_SHARED/seeds, else ../shared/seeds].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the scores as JSON here too.")
def eval_(gold_dir: Path, texts: Path | None, output: Path | None) -> None:
    """Score the pipeline against gold annotations: precision, recall and F1 per label.

    Span match (exact, and overlapping one-to-one) and normalized-value match are scored
    separately; see pipeline/evaluate.py for the definitions.
    """
    import os

    from .evaluate import GoldError, default_texts, evaluate, table

    if texts is None:
        shared = os.environ.get("JIHUA_SHARED")
        places = [Path(shared) / "seeds"] if shared else []
        texts = default_texts([*places, Path("../shared/seeds")])
        if texts is None:
            raise click.UsageError("the annotated texts were not found: pass --texts DIR "
                                   "(or set JIHUA_SHARED).")
    try:
        result = evaluate(gold_dir, texts)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(table(result))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".part")
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(output)


if __name__ == "__main__":
    main()
