"""The message catalogue: extract every marked text, update the English .po, compile the .mo.

``python -m core.catalogue`` (or ``make translations``) does all three; new msgids arrive in
``core/translations/en/LC_MESSAGES/messages.po`` with an empty msgstr for a translator, and
``tests/test_i18n.py`` fails until each has its English.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.extract import extract as extract_stream
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from core.i18n import TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app.py", "core", "bargaining", "audits", "reports", "templates")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "Msg": None, "N_": None}
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def extract() -> Catalog:
    """Every msgid marked in the application's code and templates."""
    catalog = Catalog(project="jinhua-bargaining", locale="zh_CN", fuzzy=False)
    for name in PACKAGES:
        path = ROOT / name
        if path.is_file():
            found = _extract_file(path)
        else:
            found = (
                (str(path.relative_to(ROOT) / filename), lineno, message, comments)
                for filename, lineno, message, comments, _context in extract_from_dir(
                    path, METHODS, keywords=KEYWORDS, comment_tags=("i18n:",)
                )
            )
        for filename, lineno, message, comments in found:
            if message:
                catalog.add(message, locations=[(filename, lineno)], auto_comments=comments)
    return catalog


def _extract_file(path: Path) -> Iterator[tuple[str, int, str | tuple[str, ...], list[str]]]:
    with path.open("rb") as handle:
        for lineno, message, comments, _context in extract_stream(
            "python", handle, keywords=KEYWORDS, comment_tags=("i18n:",)
        ):
            yield path.name, lineno, message, comments


def read_english() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def update() -> Catalog:
    """Merge the extracted msgids into the English .po (new ones empty, gone ones dropped)."""
    template = extract()
    english = read_english() if PO.exists() else Catalog(locale="en")
    english.update(template, no_fuzzy_matching=True, update_creation_date=False)
    english.obsolete.clear()
    english.fuzzy = False
    english.project, english.version = "jinhua-bargaining", "1"
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, english, width=100, sort_output=True, include_lineno=False)
    return english


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def read_compiled() -> Catalog:
    with MO.open("rb") as handle:
        return read_mo(handle)


def messages(catalog: Catalog) -> dict[object, object]:
    """msgid -> msgstr of the translated messages, the header left out."""
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def compile_mo() -> None:
    MO.write_bytes(compiled(read_english()))


def main() -> int:
    english = update()
    compile_mo()
    missing = [m.id for m in english if m.id and not m.string]
    print(f"{len(english)} messages, {len(missing)} without English → {PO.relative_to(ROOT)}")
    return 1 if missing and "--strict" in sys.argv else 0


if __name__ == "__main__":
    raise SystemExit(main())
