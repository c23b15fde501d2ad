"""Every error the pipeline can report, with its short code.

A stage raises :class:`InputError`; the edge (``extract_file`` and the CLI) turns it into
an error record, so that no input is ever lost silently.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    NOT_FOUND = "not_found"
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    BINARY = "binary"
    UNKNOWN_TYPE = "unknown_type"
    DAMAGED = "damaged"
    ENCRYPTED = "encrypted"
    NO_TEXT_LAYER = "no_text_layer"
    UNDECODABLE = "undecodable"
    TIMED_OUT = "timed_out"
    FAILED = "failed"


MESSAGES: dict[Code, str] = {
    Code.NOT_FOUND: "{path}: no such file or directory.",
    Code.UNREADABLE: "{path}: the file cannot be read ({detail}).",
    Code.EMPTY: "{path}: the file is empty.",
    Code.BINARY: "{path}: the file is binary data ({detail}), not a document.",
    Code.UNKNOWN_TYPE: (
        "{path}: unknown file type {detail}; expected .txt, .md, .html, .docx, .pdf or a "
        "page image (.png, .jpg, .tif)."
    ),
    Code.DAMAGED: "{path}: the {detail} file is damaged and cannot be opened.",
    Code.ENCRYPTED: "{path}: the {detail} file is encrypted; decrypt it first.",
    Code.NO_TEXT_LAYER: "{path}: the file has no text layer (a scan?); {detail}.",
    Code.UNDECODABLE: "{path}: the bytes are not text in any supported encoding ({detail}).",
    Code.TIMED_OUT: "{path}: timed out after {detail} s; the batch went on without it.",
    Code.FAILED: "{path}: the pipeline failed on this file ({detail}); please report it.",
}


class InputError(Exception):
    """An input that cannot be turned into documents."""

    def __init__(self, code: Code, path: str, detail: str = "") -> None:
        self.code = code
        self.path = path
        self.detail = detail
        super().__init__(MESSAGES[code].format(path=path, detail=detail))

    @property
    def message(self) -> str:
        return str(self)
