"""Precision and recall of item recognition per catalogue item on the test set.

The set is tests/data/contract_texts (written by bench/make_contract_texts.py, with the
expected items per text in expected.json). With ``--scans N`` the first N texts are also
rendered as page images (Pillow and a CJK font) and read back through the real extraction
path (child process, Tesseract chi_sim), so OCR errors count too.

    .venv/bin/python bench/recognition_bench.py [--scans 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bargaining.recognition import Score, default_rules, read_facts, recognise, score  # noqa: E402

SET = ROOT / "tests" / "data" / "contract_texts"
#: hand-written texts: the first six were written after the first rules and then used to
#: correct them; the second six were written after that and never tuned on
HELD_OUT = ROOT / "tests" / "data" / "contract_texts_heldout"
HELD_OUT_2 = ROOT / "tests" / "data" / "contract_texts_heldout2"
FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def cjk_font() -> str | None:
    return next((f for f in FONTS if Path(f).exists()), None)


def render_page(text: str, font_path: str, width: int = 1654) -> bytes:
    """A scanned-looking A4 page (200 dpi) of ``text``: black text on white, PNG bytes."""
    from io import BytesIO

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, 34)
    margin, line_height, per_line = 110, 54, 40
    lines: list[str] = []
    for raw in text.splitlines():
        while len(raw) > per_line:
            lines.append(raw[:per_line])
            raw = raw[per_line:]
        lines.append(raw)
    img = Image.new("L", (width, max(2339, margin * 2 + line_height * len(lines))), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, font=font, fill=0)
    buf = BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def load_set(folder: Path = SET) -> tuple[dict[str, str], dict[str, list[str]]]:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    texts = {name: (folder / name).read_text(encoding="utf-8") for name in expected}
    return texts, expected


def print_table(scores: dict[str, Score]) -> None:
    print("| item | texts | found | precision | recall |")
    print("| --- | --- | --- | --- | --- |")
    tp = fp = fn = 0
    for code, s in scores.items():
        tp, fp, fn = tp + s.tp, fp + s.fp, fn + s.fn
        p = "—" if s.precision is None else f"{s.precision:.2f}"
        r = "—" if s.recall is None else f"{s.recall:.2f}"
        print(f"| {code} | {s.tp + s.fn} | {s.tp + s.fp} | {p} | {r} |")
    print(f"| all | {tp + fn} | {tp + fp} | {tp / (tp + fp):.2f} | {tp / (tp + fn):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=0, help="also OCR the first N texts as scans")
    args = parser.parse_args()
    texts, expected = load_set()
    rules = default_rules()
    t0 = time.perf_counter()
    found = {name: [f.code for f in recognise(text, rules)] for name, text in texts.items()}
    elapsed = time.perf_counter() - t0
    if args.scans:
        from bargaining.text_extraction import extract_in_child

        font = cjk_font()
        if font is None:
            print("no CJK font: scans skipped")
        else:
            for name in list(texts)[: args.scans]:
                t1 = time.perf_counter()
                result = extract_in_child(render_page(texts[name], font))
                scan = f"scan_{name}"
                expected[scan] = expected[name]
                ocr = result.extracted.text if result.extracted else ""
                found[scan] = [f.code for f in recognise(ocr, rules)]
                print(f"{scan}: OCR {time.perf_counter() - t1:.1f} s, {len(ocr)} chars")
    scores = score(found, expected)
    print(f"{len(expected)} texts, recognition {elapsed * 1000:.0f} ms in all\n")
    print_table(scores)
    known = json.loads((SET / "facts.json").read_text(encoding="utf-8"))
    right: dict[str, int] = {}
    for name, want in known.items():
        facts = read_facts(texts[name])
        for key, value in want.items():
            got = getattr(facts, key)
            got = got.isoformat() if hasattr(got, "isoformat") else got
            right[key] = right.get(key, 0) + (got == value)
    print("\nfacts read correctly: " + ", ".join(f"{k} {v}/{len(known)}" for k, v in right.items()))
    for title, folder in (
        ("hand-written batch 1 (used to correct the rules once)", HELD_OUT),
        ("hand-written batch 2 (held out: never tuned on)", HELD_OUT_2),
    ):
        held_texts, held_expected = load_set(folder)
        held_found = {n: [f.code for f in recognise(t, rules)] for n, t in held_texts.items()}
        print(f"\n{title}: {len(held_expected)} texts\n")
        print_table(score(held_found, held_expected))


if __name__ == "__main__":
    main()
