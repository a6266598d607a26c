"""Names of files users send: cleaned once, before they are stored or put in a header."""

from __future__ import annotations


def safe_filename(filename: str) -> str:
    """A file name without control characters (NUL, CR, LF …), quotes, backslashes or path
    separators: safe to store and to put in a header."""
    cleaned = "".join(
        "_" if ch in '"\\/' else ch
        for ch in filename
        if ord(ch) >= 32 and ord(ch) != 127 and not 0xD800 <= ord(ch) <= 0xDFFF
    ).strip()
    return cleaned or "download"
