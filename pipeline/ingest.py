"""Stage 1, ingest: bytes on disk -> decoded text in blocks, with provenance.

The file type is sniffed from the bytes, not trusted from the extension; a mismatch is a
warning. Plain text is decoded incrementally and handed on in blocks that end at a line
break, so a 50 MB file never sits in memory as a whole. HTML, DOCX and PDF are reduced to
their text first (those formats are small in practice and their parsers need the whole
file).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import Code, InputError

SAMPLE_BYTES = 64 * 1024
READ_BYTES = 1 << 20
BLOCK_CHARS = 1 << 20  # a block ends at the first line break after this many characters

TEXT_EXTENSIONS = {".txt", ".md", ".text", ".markdown", ""}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
KNOWN_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | IMAGE_EXTENSIONS | {".docx", ".pdf"}

# Page images OCR reads (a scan, a photo of a page).
IMAGE_MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"]

# Magic numbers of formats that are never documents for us.
BINARY_MAGIC = [
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")


@dataclass
class Source:
    """A decoded input: where it came from and its text, block by block."""

    path: str
    format: str  # txt | md | html | docx | pdf | pdf-ocr | image-ocr
    encoding: str | None
    sha256: str
    warnings: list[dict] = field(default_factory=list)
    _blocks: Iterator[tuple[int, str]] | None = None
    # OCR sources: every line read (pipeline.ocr.Line), filled as the pages are read
    ocr_lines: list | None = None
    pages: int | None = None  # pages to read by OCR

    def blocks(self) -> Iterator[tuple[int, str]]:
        """Yield ``(offset, text)``: consecutive pieces of the decoded source."""
        assert self._blocks is not None, "blocks() can be iterated once"
        blocks, self._blocks = self._blocks, None
        return blocks


def read_source(path: str | os.PathLike[str], name: str | None = None) -> Source:
    """Open ``path``, sniff its type and encoding, and return a :class:`Source`.

    ``name`` is what records and messages call the input (default: the path).
    Raises :class:`InputError` for anything that cannot become text.
    """
    name = name or str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(Code.NOT_FOUND, name)
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(Code.UNREADABLE, name, exc.strerror or type(exc).__name__) from exc
    if size == 0 or not head.strip(b" \t\r\n\x00"):
        raise InputError(Code.EMPTY, name)

    ext = p.suffix.lower()
    kind = sniff(head, name)
    warnings: list[dict] = []
    if kind == "text" and ext in HTML_EXTENSIONS:
        kind = "html"
    if kind == "text" and _looks_like_html(head):
        kind = "html"
    expected = {"text": TEXT_EXTENSIONS, "html": HTML_EXTENSIONS, "image": IMAGE_EXTENSIONS,
                "docx": {".docx"}, "pdf": {".pdf"}}[kind]
    if ext not in expected:
        if ext not in KNOWN_EXTENSIONS and kind == "text" and not _is_plain_text_ext(ext):
            raise InputError(Code.UNKNOWN_TYPE, name, repr(ext))
        warnings.append({
            "code": "extension_mismatch",
            "message": f"{name}: the extension says {ext or 'nothing'} but the content is "
                       f"{_what(kind)}; read as {_what(kind)}.",
            "span": None,
        })

    if kind == "pdf":
        return _pdf_source(p, name, warnings)
    if kind == "image":
        return _image_source(p, name, warnings)
    if kind == "docx":
        text = _docx_text(p, name)
        return _from_string(name, p, "docx", None, text, warnings)

    encoding = detect_encoding(head, name, complete=size <= len(head))
    if kind == "html":
        raw = p.read_bytes()
        text = _html_text(raw.decode(encoding, errors="replace"))
        return _from_string(name, p, "html", encoding, text, warnings)
    fmt = "md" if ext in {".md", ".markdown"} else "txt"
    src = Source(name, fmt, encoding, "", warnings)
    src._blocks = _stream_text(p, name, encoding, src)
    return src


def _what(kind: str) -> str:
    return {"text": "plain text", "image": "an image"}.get(kind, kind.upper())


def _is_plain_text_ext(ext: str) -> bool:
    return ext in {".csv", ".log", ".json", ".xml", ".rst"}


def sniff(head: bytes, name: str) -> str:
    """The real type of a file from its first bytes: text, html, docx, pdf or image."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(tuple(IMAGE_MAGIC)):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in head or b"[Content_Types].xml" in head:
            return "docx"
        raise InputError(Code.BINARY, name, "a ZIP archive that is not a Word document")
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_OOXML in head or name.lower().endswith(".docx"):
            raise InputError(Code.ENCRYPTED, name, "Word")
        raise InputError(Code.UNKNOWN_TYPE, name, "(a legacy Office .doc/.xls file)")
    for magic, what in BINARY_MAGIC:
        if head.startswith(magic):
            raise InputError(Code.BINARY, name, what)
    if _utf16_guess(head) is None and not _has_bom(head):
        sample = head[:8192]
        controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
        if b"\x00" in sample or controls > len(sample) * 0.05:
            raise InputError(Code.BINARY, name, "control bytes where text should be")
    return "text"


def _has_bom(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes on one side of most ASCII characters."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    # CJK-only UTF-16 has no NUL bytes; an even length that decodes to CJK is a hint.
    return None


def _looks_like_html(head: bytes) -> bool:
    start = head[:512].lstrip().lower()
    if start.startswith(codecs.BOM_UTF8):
        start = start[3:].lstrip()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml version")) and (
        b"<html" in head[:4096].lower())


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """The common Hanzi of both scripts: GB2312 level 1 plus Big5 level 1.

    A wrong decoding of Chinese bytes lands mostly on rare characters, so the share of
    common ones tells GB18030 from Big5 where both decode without error.
    """
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            chars.add(bytes([lead, trail]).decode("gb2312", errors="ignore"))
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            chars.add(bytes([lead, trail]).decode("big5", errors="ignore"))
    chars.discard("")
    return frozenset(chars)


def _score(text: str) -> float:
    common = _common_chars()
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 1.0
    return sum(c in common for c in wide) / len(wide)


def detect_encoding(head: bytes, name: str = "<bytes>", *, complete: bool = True) -> str:
    """Name the encoding of ``head`` (the whole file, or its first bytes).

    Order: a BOM; strict UTF-8; UTF-16 by its NUL pattern; then GB18030 against Big5 by
    the share of common Hanzi; charset-normalizer for anything else.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    guess = _utf16_guess(head)
    if guess:
        return guess
    if _decodes(head, "utf-8", complete):
        return "utf-8"
    best, best_score = None, -1.0
    for enc in ("gb18030", "big5"):
        if _decodes(head, enc, complete):
            score = _score(codecs.getincrementaldecoder(enc)().decode(head))
            if score > best_score:
                best, best_score = enc, score
    if best and best_score >= 0.6:
        return best
    from charset_normalizer import from_bytes

    match = from_bytes(head).best()
    if match is not None:
        return codecs.lookup(match.encoding).name
    if best:
        return best
    raise InputError(Code.UNDECODABLE, name, "tried UTF-8, UTF-16, GB18030 and Big5")


def _decodes(data: bytes, encoding: str, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _stream_text(p: Path, name: str, encoding: str, src: Source) -> Iterator[tuple[int, str]]:
    """Decode ``p`` incrementally; yield blocks that end at a line break."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    digest = hashlib.sha256()
    offset = 0
    pending = ""
    with p.open("rb") as fh:
        while True:
            chunk = fh.read(READ_BYTES)
            digest.update(chunk)
            text = decoder.decode(chunk, final=not chunk)
            if offset == 0 and not pending and text.startswith("\ufeff"):
                text = text[1:]  # a BOM the codec kept is not part of the text
            pending += text
            while len(pending) >= BLOCK_CHARS:
                cut = pending.find("\n", BLOCK_CHARS)
                if cut < 0:
                    if len(pending) < 4 * BLOCK_CHARS:
                        break  # wait for a line break, but never forever
                    cut = 4 * BLOCK_CHARS - 1
                block, pending = pending[: cut + 1], pending[cut + 1 :]
                yield offset, block
                offset += len(block)
            if not chunk:
                break
    src.sha256 = digest.hexdigest()
    if pending:
        yield offset, pending


def _from_string(name: str, p: Path, fmt: str, encoding: str | None, text: str,
                 warnings: list[dict]) -> Source:
    src = Source(name, fmt, encoding, _sha256(p), warnings)
    src._blocks = iter([(0, text)])
    return src


def _sha256(p: Path) -> str:
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for chunk in iter(lambda: fh.read(READ_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_from_text(text: str, name: str = "<text>") -> Source:
    """A :class:`Source` for text already in memory (``extract_text``)."""
    src = Source(name, "txt", None, hashlib.sha256(text.encode("utf-8")).hexdigest(), [])
    src._blocks = iter([(0, text)])
    return src


# --- formats ---------------------------------------------------------------------------

HTML_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
               "section", "article", "header", "footer", "ul", "ol", "dd", "dt", "blockquote",
               "pre", "title"}


def _html_text(markup: str) -> str:
    """The visible text of a page, one block element a line; scripts and styles dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for tag in soup.find_all(HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


def _docx_text(p: Path, name: str) -> str:
    """Paragraphs and table rows of a .docx in document order, one a line."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(str(p))
    except (zipfile.BadZipFile, PackageNotFoundError, XMLSyntaxError, KeyError, ValueError,
            OSError) as exc:
        raise InputError(Code.DAMAGED, name, "Word") from exc
    lines: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            lines.append(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    if not cells or cells[-1] != cell.text:  # merged cells repeat
                        cells.append(cell.text)
                lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _pdf_pages(p: Path, name: str) -> list[str]:
    """The text layer of a PDF, page by page ("" for a page without one)."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(p.read_bytes()))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(Code.ENCRYPTED, name, "PDF")  # a user password is set
        return [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, DependencyError) as exc:
        raise InputError(Code.ENCRYPTED, name, "PDF") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(Code.DAMAGED, name, "PDF") from exc


def _pdf_source(p: Path, name: str, warnings: list[dict]) -> Source:
    """A PDF's text layer; its pages without one are read by OCR where it is installed."""
    from . import ocr

    pages = _pdf_pages(p, name)
    blank = [i + 1 for i, text in enumerate(pages) if not text.strip()]
    if not blank:
        text = "\n".join(pages)
        return _from_string(name, p, "pdf", None, text.rstrip("\n") + "\n", warnings)
    why = ocr.missing()
    if why is not None:
        if len(blank) == len(pages):
            raise InputError(Code.NO_TEXT_LAYER, name, ocr.cannot(why))
        warnings.append({
            "code": "pages_not_read",
            "span": None,
            "message": f"{name}: page(s) {_ranges(blank)} have no text layer and were left "
                       f"out: {why}; to read them, {ocr.INSTALL}."})
        text = "\n".join(t for t in pages if t.strip())
        return _from_string(name, p, "pdf", None, text.rstrip("\n") + "\n", warnings)
    src = Source(name, "pdf-ocr", None, _sha256(p), warnings, ocr_lines=[], pages=len(blank))
    src._blocks = _ocr_blocks(src, _pdf_ocr_pages(p, name, pages, src))
    return src


def _pdf_ocr_pages(p: Path, name: str, texts: list[str], src: Source) -> Iterator:
    """Pages of a PDF as pipeline.ocr pages: text-layer pages as they are, the others
    rendered and recognised one at a time."""
    import pypdfium2 as pdfium

    from . import ocr

    reader = ocr.Reader()
    try:
        pdf = pdfium.PdfDocument(str(p))
    except pdfium.PdfiumError as exc:
        raise InputError(Code.DAMAGED, name, "PDF") from exc
    try:
        for i, text in enumerate(texts):
            width, height = pdf[i].get_size()
            if text.strip():
                page = ocr.Page(i + 1, width, height, text_layer=True)
                page.lines = [ocr.Line(i + 1, [0.0, 0.0, width, height], text.strip(), None)]
            else:
                image, dpi = ocr.pdf_page_image(pdf, i)
                page = reader.read(image, i + 1, scale=dpi / 72, dpi=round(dpi))
                del image
            yield page
    finally:
        pdf.close()


def _image_source(p: Path, name: str, warnings: list[dict]) -> Source:
    """A page image (or a multi-page TIFF), read by OCR."""
    from . import ocr

    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise InputError(Code.NO_TEXT_LAYER, name, ocr.cannot("Pillow is not installed")) from None
    try:
        with Image.open(p) as img:
            frames = getattr(img, "n_frames", 1)
            img.load()  # a truncated or corrupt file fails here, not half way through
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(Code.DAMAGED, name, "image") from exc
    why = ocr.missing()
    if why is not None:
        raise InputError(Code.NO_TEXT_LAYER, name, ocr.cannot(why))
    src = Source(name, "image-ocr", None, _sha256(p), warnings, ocr_lines=[], pages=frames)
    src._blocks = _ocr_blocks(src, _image_ocr_pages(p, name))
    return src


def _image_ocr_pages(p: Path, name: str) -> Iterator:
    from . import ocr

    reader = ocr.Reader()
    try:
        for n, frame in enumerate(ocr.image_pages(p), start=1):
            dpi = frame.info.get("dpi", (0, 0))[0]
            yield reader.read(frame, n, dpi=int(dpi) if dpi and dpi > 30 else None)
    except OSError as exc:
        raise InputError(Code.DAMAGED, name, "image") from exc


def _ocr_blocks(src: Source, pages: Iterator) -> Iterator[tuple[int, str]]:
    """The text of OCR pages, laid out (pipeline.ocr.layout), as one block; the lines are
    kept on the source (``ocr_lines``) and the low-confidence ones become warnings. Only
    lines are kept from page to page, so memory does not grow with the page images."""
    from . import ocr

    if ocr.on_page is not None:
        ocr.on_page(0, src.pages)  # a batch gives the file more time, by its pages
    kept, read = [], 0
    for page in pages:
        kept.append(page)
        if not page.text_layer:
            read += 1
            if ocr.on_page is not None:
                ocr.on_page(read, src.pages)
    result = ocr.layout(kept)
    if not result.text.strip():
        raise InputError(Code.NO_TEXT_LAYER, src.path, "OCR found no text on its pages either")
    src.ocr_lines = result.lines
    for ln in result.lines:
        if ln.confidence is not None and ln.confidence < ocr.LOW_CONFIDENCE \
                and ln.start is not None:
            src.warnings.append({
                "code": "ocr_low_confidence", "span": [ln.start, ln.end],
                "message": f"{src.path}: page {ln.page}, line at {_box(ln.bbox)} was read with "
                           f"confidence {ln.confidence:.2f} as {ln.text!r}; check it on the "
                           "page."})
    yield 0, result.text


def _box(bbox: list[float]) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in bbox) + "]"


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    out: list[str] = []
    for n in numbers:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = out[-1].split("-")[0] + f"-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)
