"""Extracting a contract's text (合同文本) from a PDF, a .docx or a scan, in a child process.

:func:`extract` is pure (bytes in, pages of text out) and may raise :class:`TextRejected`; it
is only ever called inside a child process (``python -m bargaining.text_extraction``) started
by :func:`extract_in_child` with a memory cap (RLIMIT_AS), a CPU limit (RLIMIT_CPU) and a
wall-clock limit: whatever a hostile file does to pypdf, python-docx, Pillow or Tesseract, the
parent gets an answer (the text or a clear error) and lives on.

OCR uses the ``tesseract`` binary with its simplified-Chinese model (``chi_sim``); image-only
PDF pages are rendered with ``pdftoppm`` when it is installed, else their embedded images are
taken with pypdf. Without Tesseract (or its model) OCR is skipped with a reason, never an error.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from typing import Any

PDF, DOCX, IMAGE = "pdf", "docx", "image"
MAX_PAGES = 200
MAX_PIXELS = 60_000_000
MAX_DOCX_UNCOMPRESSED = 100 * 1024 * 1024
#: a PDF page whose text layer has fewer characters than this is treated as a scan
MIN_TEXT_CHARS = 20
OCR_LANG = "chi_sim"


@dataclass(frozen=True)
class ChildLimits:
    memory_mb: int = 1536
    cpu_seconds: int = 240
    wall_seconds: float = 300


@dataclass
class Extracted:
    kind: str
    pages: int
    text: str
    ocr_pages: int = 0
    #: reasons, in stable codes, why something was not read (e.g. ``ocr_unavailable``)
    notes: list[str] = field(default_factory=list)


class TextRejected(Exception):
    """The file cannot be read; ``code`` names why (the caller turns it into a message)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def sniff(data: bytes) -> str | None:
    """The kind of file by its first bytes (never by its name)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")):
        return IMAGE
    if data.startswith(b"PK\x03\x04"):
        return DOCX
    return None


# ---------------------------------------------------------------------------- clean-up

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


def tidy(text: str, join_cjk: bool = True) -> str:
    """Drop the spaces OCR (and some PDF text layers) put between Chinese characters when
    ``join_cjk``; keep line breaks, collapse runs of blank lines."""
    lines = [
        (_SPACE_BETWEEN_CJK.sub("", line) if join_cjk else line).rstrip()
        for line in text.splitlines()
    ]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# ---------------------------------------------------------------------------- OCR


def ocr_available() -> str | None:
    """None when Tesseract with ``chi_sim`` can run, else the reason code."""
    exe = shutil.which("tesseract")
    if exe is None:
        return "ocr_unavailable"
    try:
        langs = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "ocr_unavailable"
    if OCR_LANG not in (langs.stdout + langs.stderr).split():
        return "ocr_model_missing"
    return None


def ocr_png(png: bytes) -> str:
    """Tesseract over one page image (PNG bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.png")
        with open(path, "wb") as fh:
            fh.write(png)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        done = subprocess.run(
            ["tesseract", path, "stdout", "-l", OCR_LANG, "--psm", "6"],
            capture_output=True,
            timeout=120,
            check=False,
            env=env,
        )
        if done.returncode != 0:
            raise TextRejected("ocr_failed", done.stderr.decode("utf-8", "replace")[-300:])
        return tidy(done.stdout.decode("utf-8", "replace"))


def _image_pages(data: bytes) -> list[bytes]:
    """Each frame of an image file as a greyscale PNG (several pages for a TIFF)."""
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        pages = []
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i >= MAX_PAGES:
                break
            buf = io.BytesIO()
            frame.convert("L").save(buf, "PNG")
            pages.append(buf.getvalue())
    except Image.DecompressionBombError as exc:
        raise TextRejected("too_many_pixels") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise TextRejected("corrupt") from exc
    return pages


# ---------------------------------------------------------------------------- readers


def _read_pdf(data: bytes, ocr_reason: str | None) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise TextRejected("encrypted")
        n = len(reader.pages)
    except TextRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise TextRejected("corrupt") from exc
    if n > MAX_PAGES:
        raise TextRejected("too_many_pages", str(n))
    texts: list[str] = []
    ocr_pages = 0
    notes: list[str] = []
    for index, page in enumerate(reader.pages):
        try:
            text = tidy(page.extract_text() or "")
        except Exception:  # pypdf raises many types on a broken page
            text = ""
        if len(text) < MIN_TEXT_CHARS:
            if ocr_reason is None:
                png = _render_pdf_page(data, index + 1) or _pdf_page_image(page)
                if png is not None:
                    text = ocr_png(png)
                    ocr_pages += 1
            elif ocr_reason not in notes:
                notes.append(ocr_reason)
        texts.append(text)
    return Extracted(PDF, n, "\n\n".join(t for t in texts if t), ocr_pages, notes)


def _render_pdf_page(data: bytes, number: int) -> bytes | None:
    exe = shutil.which("pdftoppm")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.pdf")
        with open(src, "wb") as fh:
            fh.write(data)
        done = subprocess.run(
            [
                exe,
                "-r",
                "200",
                "-gray",
                "-png",
                "-f",
                str(number),
                "-l",
                str(number),
                src,
                os.path.join(tmp, "p"),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        names = sorted(f for f in os.listdir(tmp) if f.startswith("p") and f.endswith(".png"))
        if done.returncode != 0 or not names:
            return None
        with open(os.path.join(tmp, names[0]), "rb") as fh:
            return fh.read()


def _pdf_page_image(page: Any) -> bytes | None:
    try:
        images = list(page.images)
    except Exception:
        return None
    if not images:
        return None
    biggest = max(images, key=lambda im: len(im.data))
    pages = _image_pages(biggest.data)
    return pages[0] if pages else None


def _read_docx(data: bytes) -> Extracted:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "word/document.xml" not in names:
                raise TextRejected("unsupported")
            total = sum(i.file_size for i in zf.infolist())
            if total > MAX_DOCX_UNCOMPRESSED:
                raise TextRejected("bomb")
            document_xml = zf.read("word/document.xml")
    except TextRejected:
        raise
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # RuntimeError: encrypted zip
        raise TextRejected("corrupt") from exc
    if b"<!DOCTYPE" in document_xml or b"<!ENTITY" in document_xml:
        raise TextRejected("corrupt")
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception as exc:  # lxml/zip/KeyError on a broken package
        raise TextRejected("corrupt") from exc
    lines: list[str] = []
    for block in doc.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, doc).text)
        elif tag == "tbl":
            for row in Table(block, doc).rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = cell.text.strip()
                    if not cells or cells[-1] != value:  # merged cells repeat
                        cells.append(value)
                lines.append(" | ".join(cells))
    text = tidy("\n".join(lines), join_cjk=False)
    return Extracted(DOCX, 1, text)


def _read_image(data: bytes, ocr_reason: str | None) -> Extracted:
    pages = _image_pages(data)
    if ocr_reason is not None:
        return Extracted(IMAGE, len(pages), "", 0, [ocr_reason])
    texts = [ocr_png(p) for p in pages]
    return Extracted(IMAGE, len(pages), "\n\n".join(t for t in texts if t), len(pages))


def extract(data: bytes, ocr_reason: str | None = None) -> Extracted:
    """The text of a contract file. ``ocr_reason`` (from :func:`ocr_available`) is None when
    OCR can run; otherwise scanned pages are skipped with that reason in ``notes``."""
    kind = sniff(data)
    if kind == PDF:
        return _read_pdf(data, ocr_reason)
    if kind == DOCX:
        return _read_docx(data)
    if kind == IMAGE:
        return _read_image(data, ocr_reason)
    raise TextRejected("unsupported")


# ---------------------------------------------------------------------------- child process


@dataclass
class ChildResult:
    ok: bool
    extracted: Extracted | None = None
    #: when not ok: a TextRejected code, or ``killed`` / ``timeout`` / ``crashed``
    error: str = ""
    detail: str = ""


def _set_limits(limits: ChildLimits) -> Any:
    def apply() -> None:
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()  # its own process group: a timeout kills Tesseract too

    return apply


def extract_in_child(data: bytes, limits: ChildLimits | None = None) -> ChildResult:
    """Run :func:`extract` in a child process under ``limits``; never raises for the file."""
    limits = limits or ChildLimits()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bargaining.text_extraction"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
        env=env,
        preexec_fn=_set_limits(limits),  # the limits must be set in the child
    )
    try:
        out, err = proc.communicate(data, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.communicate()
        return ChildResult(False, error="timeout")
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace")[-300:]
        if proc.returncode < 0:
            return ChildResult(False, error="killed", detail=f"signal {-proc.returncode}")
        return ChildResult(False, error="crashed", detail=tail)
    try:
        answer = json.loads(out.decode("utf-8"))
    except ValueError:
        return ChildResult(False, error="crashed", detail="no answer")
    if "error" in answer:
        return ChildResult(False, error=answer["error"], detail=answer.get("detail", ""))
    return ChildResult(True, Extracted(**answer))


def _main() -> int:
    data = sys.stdin.buffer.read()
    try:
        result = extract(data, ocr_available())
        answer: dict[str, Any] = asdict(result)
    except TextRejected as exc:
        answer = {"error": exc.code, "detail": exc.detail}
    except MemoryError:
        answer = {"error": "memory"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
