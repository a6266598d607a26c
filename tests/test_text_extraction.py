"""Reading contract texts: .docx, text PDF, scans (OCR) — and hostile files in the child."""

from __future__ import annotations

import pytest

from bargaining.text_extraction import ChildLimits, extract, extract_in_child, sniff, tidy
from tests.text_files import docx_bytes, needs_tesseract, scan_pdf, scan_png, text_pdf


def test_docx_paragraphs_and_tables_are_read() -> None:
    data = docx_bytes(
        ["第一条 企业实行岗位工资制。"], table=[["技能等级", "月技能工资"], ["初级工", "150"]]
    )
    got = extract(data)
    assert got.kind == "docx"
    assert "企业实行岗位工资制" in got.text
    assert "技能等级 | 月技能工资\n初级工 | 150" in got.text


def test_pdf_text_layer_is_read_without_ocr() -> None:
    got = extract(text_pdf())
    assert (got.kind, got.pages, got.ocr_pages) == ("pdf", 1, 0)
    assert "夜班津贴" in got.text


def test_scan_without_tesseract_is_skipped_with_a_reason_not_an_error() -> None:
    got = extract(scan_png(), ocr_reason="ocr_unavailable")
    assert (got.kind, got.pages, got.text, got.notes) == ("image", 1, "", ["ocr_unavailable"])


def test_ocr_spaces_between_chinese_characters_are_dropped() -> None:
    assert (
        tidy("企 业 实 行 岗位 工资制 2300 元\n\n\n第二条")
        == "企业实行岗位工资制 2300 元\n\n第二条"
    )


def test_sniff_goes_by_content_not_name() -> None:
    assert sniff(b"%PDF-1.7") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image"
    assert sniff(b"MZ\x90\x00") is None


def test_scanned_png_is_read_by_ocr_in_the_child() -> None:
    needs_tesseract()
    result = extract_in_child(scan_png())
    assert result.ok, result
    assert result.extracted.ocr_pages == 1
    assert "夜班津贴" in result.extracted.text


def test_image_only_pdf_pages_are_read_by_ocr() -> None:
    needs_tesseract()
    result = extract_in_child(
        scan_pdf([["第一条 职工上夜班的，发放夜班津贴。"], ["第二条 女职工产假期间工资照发。"]])
    )
    assert result.ok, result
    assert (result.extracted.pages, result.extracted.ocr_pages) == (2, 2)
    assert "夜班津贴" in result.extracted.text and "女职工" in result.extracted.text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"%PDF-1.4\n1 0 obj garbage", "corrupt"),
        (b"PK\x03\x04not really a zip", "corrupt"),
        (b"\x89PNG\r\n\x1a\nbroken", "corrupt"),
        (b"just text", "unsupported"),
    ],
)
def test_broken_files_get_a_clear_error_from_the_child(data: bytes, error: str) -> None:
    result = extract_in_child(data)
    assert not result.ok
    assert result.error == error


def test_a_child_that_dies_on_its_memory_cap_is_an_error_not_an_exception() -> None:
    result = extract_in_child(text_pdf(), ChildLimits(memory_mb=20, cpu_seconds=5, wall_seconds=30))
    assert not result.ok
    assert result.error in ("killed", "crashed", "memory")


def test_the_wall_clock_limit_ends_a_slow_child() -> None:
    needs_tesseract()
    result = extract_in_child(scan_png(), ChildLimits(wall_seconds=0.01))
    assert not result.ok
    assert result.error == "timeout"


def test_zip_bomb_docx_is_refused() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<w:document/>")
        zf.writestr("big.bin", b"\0" * (101 * 1024 * 1024))
    result = extract_in_child(buf.getvalue())
    assert (result.ok, result.error) == (False, "bomb")


def test_a_scanned_page_of_the_test_set_is_recognised_like_its_text() -> None:
    """One contract of the recognition test set, rendered as a scanned page and read back by
    OCR, yields the same items as its text."""
    import json
    from pathlib import Path

    from bargaining.recognition import default_rules, recognise
    from bench.recognition_bench import render_page
    from tests.text_files import cjk_font

    needs_tesseract()
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed")
    folder = Path(__file__).parent / "data" / "contract_texts"
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    name = "contract_02.txt"
    result = extract_in_child(render_page((folder / name).read_text(encoding="utf-8"), font))
    assert result.ok, result
    found = [f.code for f in recognise(result.extracted.text, default_rules())]
    assert sorted(found) == sorted(expected[name])
