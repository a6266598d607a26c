"""Contract-text files for tests: a .docx, a PDF with a text layer, scans (PNG, image-only PDF)."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest

FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

CONTRACT_LINES = [
    "工资专项集体合同",
    "第一条 企业实行岗位工资制，工资分配向一线岗位倾斜。",
    "第二条 职工月最低工资不低于2300元。",
    "第三条 企业于每月15日前以货币形式支付上月工资。",
    "第四条 职工上夜班的，企业按每班20元发放夜班津贴。",
    "第五条 职工代表总数45名，出席代表40名，赞成38票。",
    "第六条 本合同期限自2026年7月1日起至2029年6月30日止。",
]


def docx_bytes(lines: list[str] = CONTRACT_LINES, table: list[list[str]] | None = None) -> bytes:
    import docx

    doc = docx.Document()
    for line in lines:
        doc.add_paragraph(line)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


def text_pdf(lines: list[str] = CONTRACT_LINES) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (STSong-Light, not embedded)."""
    content = ["BT", "/F1 12 Tf", "14 TL", "50 800 Td"]
    content += [f"<{line.encode('utf-16-be').hex()}> Tj T*" for line in lines]
    content.append("ET")
    stream = "\n".join(content).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def cjk_font() -> str | None:
    return next((f for f in FONTS if Path(f).exists()), None)


def scan_image(lines: list[str] = CONTRACT_LINES):
    """A scanned-looking page (PIL image) of ``lines``; skips the test without a CJK font."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = cjk_font()
    if font_path is None:
        pytest.skip("no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk)")
    font = ImageFont.truetype(font_path, 34)
    img = Image.new("L", (1400, 120 + 60 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((80, 60 + i * 60), line, font=font, fill=0)
    return img


def scan_png(lines: list[str] = CONTRACT_LINES) -> bytes:
    buf = BytesIO()
    scan_image(lines).save(buf, "PNG")
    return buf.getvalue()


def scan_pdf(pages: list[list[str]]) -> bytes:
    """An image-only PDF, one scanned page per entry."""
    images = [scan_image(lines).convert("RGB") for lines in pages]
    buf = BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return buf.getvalue()


def needs_tesseract() -> None:
    exe = shutil.which("tesseract")
    if exe is None:
        pytest.skip(
            "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
        )
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    if "chi_sim" not in langs.stdout.split():
        pytest.skip("tesseract-ocr-chi-sim is not installed")
