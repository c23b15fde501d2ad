"""The ``jihua`` command: a thin layer over the library (sqlite-utils style)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import click

from . import __version__
from .assemble import iter_file, iter_paths


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
def extract(paths: tuple[Path, ...], output: Path | None, pretty: bool, quiet: bool) -> None:
    """Extract documents from files and directories (walked recursively) as JSON Lines.

    One record per document, or one error record per file that cannot be read.
    """
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
            for record in iter_file(path):
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


if __name__ == "__main__":
    main()
