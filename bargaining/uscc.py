"""统一社会信用代码 (Unified Social Credit Code), GB 32100-2015.

18 characters from a 31-symbol alphabet (no I, O, S, V, Z); the last is a check character
computed from the first 17 with weights 3^i mod 31.
"""

from __future__ import annotations

from core.i18n import Msg

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_SYMBOLS = frozenset(ALPHABET)


def check_char(first17: str) -> str:
    """The check character for the first 17 characters of a USCC."""
    if len(first17) != len(WEIGHTS):
        raise ValueError("a USCC's check character is computed from 17 characters")
    total = sum(map(int.__mul__, map(_VALUE.__getitem__, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> Msg | None:
    """Why ``code`` is not a valid USCC (a stored :class:`Msg`), or None when it is valid."""
    if len(code) != 18:
        return Msg("统一社会信用代码应为18位，实际为%(length)s位", length=len(code))
    bad = sorted(set(code) - _SYMBOLS)
    if bad:
        return Msg(
            "统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）",
            chars="".join(bad),
        )
    if check_char(code[:17]) != code[17]:
        return Msg("统一社会信用代码校验位错误（GB 32100-2015），请核对是否录错")
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None


def make_uscc(body17: str) -> str:
    """Complete 17 characters into a valid USCC (used by the demo and the tests)."""
    return body17 + check_char(body17)
