"""Documents on paper (SPEC §6): Chinese official notices as .docx (python-docx).

Laid out as a 公文: A4, title centred in a large Song face, the document number, the
addressee flush left followed by a full-width colon, body paragraphs indented two characters,
a table of items and deadlines, the issuing union and the date flush right with room for the
seal. Pure: a :class:`Notice` in, the .docx bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE_FONT = "方正小标宋简体"  # i18n: data (font names)
BODY_FONT = "仿宋_GB2312"  # i18n: data
HEADING_FONT = "黑体"  # i18n: data


@dataclass
class Section:
    """A heading (一、…), its paragraphs, and optionally a table."""

    heading: str = ""
    paragraphs: Sequence[str] = ()
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[object]] = ()


@dataclass
class Notice:
    title: str
    number: str  # 文号, e.g. 武工整改〔2026〕12号
    addressee: str
    sections: Sequence[Section]
    issuer: str
    date_text: str
    seal_note: str = ""
    landscape: bool = False
    footer: Sequence[str] = field(default_factory=tuple)


def _font(run: Run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), name)


def _paragraph(
    doc: DocxDocument,
    text: str,
    *,
    font: str = BODY_FONT,
    size: float = 16,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    space_after: float = 0,
) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    _font(p.add_run(text), font, size, bold)
    return p


def notice_docx(notice: Notice) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    if notice.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_height, section.page_width = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _paragraph(
        doc, notice.title, font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6
    )
    if notice.number:
        _paragraph(doc, notice.number, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    if notice.addressee:
        _paragraph(doc, notice.addressee + "：")  # i18n: data (the full-width colon of a notice)
    for part in notice.sections:
        if part.heading:
            _paragraph(doc, part.heading, font=HEADING_FONT, indent=True)
        for text in part.paragraphs:
            _paragraph(doc, text, indent=True)
        if part.headers:
            table = doc.add_table(rows=1, cols=len(part.headers))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, part.headers, strict=True):
                cell.text = ""
                _font(cell.paragraphs[0].add_run(str(text)), HEADING_FONT, 12, True)
            for row in part.rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = ""
                    _font(
                        cell.paragraphs[0].add_run("" if value is None else str(value)),
                        BODY_FONT,
                        12,
                    )
            doc.add_paragraph()
    for text in notice.footer:
        _paragraph(doc, text, indent=True)
    doc.add_paragraph()
    if notice.seal_note:
        _paragraph(doc, notice.seal_note, size=12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, notice.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, notice.date_text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def chinese_date(day: date) -> str:
    """2026年11月25日 (the date line of a notice)."""
    return f"{day.year}年{day.month}月{day.day}日"  # i18n: data
