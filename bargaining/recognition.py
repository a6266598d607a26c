"""Recognising bargaining items (协商事项) and facts in a contract's text (pure).

Text in, findings out: which catalogue items the text holds, with the passages (offsets into
the original text) that matched each item's rules; the comparison with the items filed; and the
facts the audit checklist needs (delegates and votes, lowest wage, term, date signed).

Matching runs on a normalised copy of the text (NFKC: full-width digits and punctuation become
ASCII; spaces dropped) with a map back to the original offsets, so the page can highlight the
very characters the inspector reads. The product suggests; the inspector decides.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

DEFAULT_RULES_FILE = Path(__file__).with_name("recognition_rules.json")


@dataclass(frozen=True)
class Rule:
    """The recognition rules of one catalogue item: any keyword or pattern found is a hit."""

    code: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A span of the original text: the clause around a match."""

    start: int
    end: int
    text: str


@dataclass
class ItemFound:
    code: str
    passages: list[Passage] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    filed_not_found: list[str]
    found_not_filed: list[str]


@dataclass
class Facts:
    """What the text states, each ``None`` when it could not be read."""

    delegates_total: int | None = None
    delegates_present: int | None = None
    votes_for: int | None = None
    lowest_wage: Decimal | None = None
    term_start: date | None = None
    term_end: date | None = None
    signed_on: date | None = None
    #: fact name -> the passage it was read from
    sources: dict[str, Passage] = field(default_factory=dict)


def default_rules() -> list[Rule]:
    """The rules shipped with the product (``recognition_rules.json``)."""
    data = json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    return [
        Rule(code, tuple(spec.get("keywords", ())), tuple(spec.get("patterns", ())))
        for code, spec in data.items()
    ]


def pattern_problem(pattern: str) -> str | None:
    """None when ``pattern`` is a usable regular expression, else the compiler's complaint."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------- normalising


@dataclass(frozen=True)
class Normalised:
    text: str
    #: index in the original text of each character of ``text``
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]``."""
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> Normalised:
    """NFKC per character (full-width to ASCII), spaces and tabs dropped, offsets kept."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            if c in " \t\u3000\xa0":
                continue
            chars.append(c)
            origin.append(i)
    return Normalised("".join(chars), tuple(origin))


def _norm_keyword(keyword: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", keyword))


_CLAUSE_END = re.compile(r"[。；;!?！？\n]")


def clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of the original ``text`` holding ``[start, end)``: from the previous end of
    sentence (。；\\n …) to the next one, inclusive of its final mark."""
    left = start
    while left > 0 and not _CLAUSE_END.match(text[left - 1]):
        left -= 1
    right = end
    while right < len(text) and not _CLAUSE_END.match(text[right]):
        right += 1
    if right < len(text) and text[right] != "\n":
        right += 1  # keep the clause's own 。 or ；
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right


def _compile(rule: Rule) -> list[re.Pattern[str]]:
    compiled = [re.compile(re.escape(_norm_keyword(k))) for k in rule.keywords if k.strip()]
    for p in rule.patterns:
        if p.strip() and pattern_problem(p) is None:
            compiled.append(re.compile(unicodedata.normalize("NFKC", p)))
    return compiled


# ---------------------------------------------------------------------------- items


def recognise(text: str, rules: Iterable[Rule]) -> list[ItemFound]:
    """The items whose rules match ``text``, in rule order, each with its passages (clauses of
    the original text, merged, in text order)."""
    norm = normalise(text)
    found: list[ItemFound] = []
    for rule in rules:
        spans: set[tuple[int, int]] = set()
        for regex in _compile(rule):
            for m in regex.finditer(norm.text):
                if m.end() == m.start():
                    continue
                start, end = norm.span(m.start(), m.end())
                spans.add(clause_around(text, start, end))
        if spans:
            found.append(ItemFound(rule.code, [Passage(s, e, text[s:e]) for s, e in _merge(spans)]))
    return found


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def compare(found: Iterable[str], filed: Iterable[str], judged: Iterable[str]) -> Comparison:
    """Filed but not in the text; in the text but not filed. Only items that have rules
    (``judged``) are compared: an item nobody can recognise is never reported missing."""
    judged_set = set(judged)
    found_set = set(found) & judged_set
    filed_set = set(filed) & judged_set
    return Comparison(sorted(filed_set - found_set), sorted(found_set - filed_set))


def highlight_segments(text: str, found: Sequence[ItemFound]) -> list[tuple[str, tuple[str, ...]]]:
    """``text`` cut into segments, each with the item codes whose passages cover it (empty for
    plain text). The page escapes each segment and wraps covered ones in ``<mark>``."""
    cuts = {0, len(text)}
    for item in found:
        for p in item.passages:
            cuts.update((p.start, p.end))
    points = sorted(cuts)
    segments: list[tuple[str, tuple[str, ...]]] = []
    for a, b in zip(points, points[1:], strict=False):
        if a == b:
            continue
        codes = tuple(
            item.code for item in found if any(p.start <= a and b <= p.end for p in item.passages)
        )
        if segments and segments[-1][1] == codes:
            segments[-1] = (segments[-1][0] + text[a:b], codes)
        else:
            segments.append((text[a:b], codes))
    return segments


# ---------------------------------------------------------------------------- numbers, dates

_CN_ZERO_TO_NINE = "〇零一二两三四五六七八九"  # i18n: data
_CN_DIGITS = dict(zip(_CN_ZERO_TO_NINE, (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}  # i18n: data
CN_NUM = "[〇零一二两三四五六七八九十百千]+"  # i18n: data
NUM = rf"(?:\d[\d,]*(?:\.\d+)?|{CN_NUM})"


def chinese_number(value: str) -> int | None:
    """四十五 → 45, 二〇二六 → 2026 (digit by digit when there is no unit), 十二 → 12."""
    if not value:
        return None
    if not any(c in _CN_UNITS for c in value):
        digits = [_CN_DIGITS.get(c) for c in value]
        if None in digits:
            return None
        return int("".join(str(d) for d in digits))
    total, current = 0, 0
    for c in value:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
        else:
            return None
    return total + current


def to_number(value: str) -> Decimal | None:
    value = value.replace(",", "")
    if value and value[0].isdigit():
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    n = chinese_number(value)
    return Decimal(n) if n is not None else None


_Y = r"(\d{4}|[〇零一二三四五六七八九]{4})"  # i18n: data
_MD = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"  # i18n: data
DATE = rf"(?:{_Y}年{_MD}月{_MD}日|(\d{{4}})[-./](\d{{1,2}})[-./](\d{{1,2}}))"  # i18n: data
_DATE_RE = re.compile(DATE)


def _date_of(m: re.Match[str], offset: int = 0) -> date | None:
    groups = m.groups()[offset : offset + 6]
    parts = groups[:3] if groups[0] else groups[3:]
    year, month, day = (chinese_number(p) if not p.isdigit() else int(p) for p in parts)
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_cn_date(value: str) -> date | None:
    """``2026年6月17日``, ``二〇二六年六月十七日``, ``2026-6-17`` (after normalising)."""
    m = _DATE_RE.search(normalise(value).text)
    return _date_of(m) if m else None


# ---------------------------------------------------------------------------- facts

_FACT_PATTERNS: dict[str, tuple[str, ...]] = {
    "delegates_total": (
        rf"职工代表(?:总数|共|总人数)[为是:]?({NUM})",  # i18n: data
        rf"(?:应到|应出席)(?:职工)?代表({NUM})",  # i18n: data
        rf"全体职工代表({NUM})",  # i18n: data
        rf"职工代表大会(?:代表)?(?:共有|共)?({NUM})(?:名|人)代表",  # i18n: data
    ),
    "delegates_present": (
        rf"(?:实到|到会|出席(?:会议的?)?)(?:职工)?代表(?:人数)?[为是:]?({NUM})",  # i18n: data
        rf"({NUM})(?:名|人)(?:职工)?代表出席",  # i18n: data
    ),
    "votes_for": (
        rf"赞成(?:票|票数|人数)?[为是:]?({NUM})",  # i18n: data
        rf"({NUM})(?:名|人|票)(?:代表)?(?:投)?(?:赞成|同意)",  # i18n: data
        rf"同意(?:票)?[为是:]?({NUM})(?:票|名|人)",  # i18n: data
    ),
    "lowest_wage": (
        rf"最低(?:月)?工资(?:标准)?(?:\|)?(?:为|是|不低于|不得低于|:)?(?:每月|每人每月)?({NUM})元",  # i18n: data
        rf"月(?:最低)?工资(?:标准)?不(?:得)?低于(?:每月)?({NUM})元",  # i18n: data
    ),
    "signed_on": (
        rf"(?:签订|签署|签字)(?:日期|时间)[:]?{DATE}",  # i18n: data
        rf"于{DATE}(?:经.{{0,20}})?(?:签订|签署)",  # i18n: data
    ),
}
_TERM = re.compile(rf"(?:自|从)?{DATE}(?:起)?(?:至|到|—|-|~)+{DATE}")  # i18n: data
_TERM_CONTEXT = re.compile("期限|有效期")  # i18n: data
#: C2 and C9 have no number to read, only a clause to point at
_SIGNATURES = "首席代表.{0,6}(?:签字|签名|签章)|(?:签字|签名|盖章)[:)）]"  # i18n: data
_PUBLICATION = (
    "(?:向|告知)全体职工.{0,10}(?:公布|公示|告知)|(?:公布|公示).{0,12}全体职工"  # i18n: data
)
_CLAUSE_HINTS = {"signatures": re.compile(_SIGNATURES), "publication": re.compile(_PUBLICATION)}


def read_facts(text: str) -> Facts:
    """The facts the checklist needs, as far as the text states them (first mention wins)."""
    norm = normalise(text)
    facts = Facts()
    for name, patterns in _FACT_PATTERNS.items():
        best: tuple[int, object, re.Match[str]] | None = None
        for pattern in patterns:
            for m in re.finditer(pattern, norm.text):
                if name == "signed_on":
                    value: object = _date_of(m, 0)
                elif name == "lowest_wage":
                    value = to_number(m.group(1))
                else:
                    number = to_number(m.group(1))
                    value = int(number) if number is not None else None
                if value is not None:
                    if best is None or m.start() < best[0]:
                        best = (m.start(), value, m)
                    break
        if best is not None:
            setattr(facts, name, best[1])
            facts.sources[name] = _passage(text, norm, best[2])
    terms = list(_TERM.finditer(norm.text))
    chosen = None
    for m in terms:
        start, _end = norm.span(m.start(), m.end())
        s, _e = clause_around(text, start, start + 1)
        if _TERM_CONTEXT.search(text[s : start + 1]) or _TERM_CONTEXT.search(text[s:_e]):
            chosen = m
            break
    chosen = chosen or (terms[0] if terms else None)
    if chosen is not None:
        facts.term_start = _date_of(chosen, 0)
        facts.term_end = _date_of(chosen, 6)
        facts.sources["term"] = _passage(text, norm, chosen)
    for name, regex in _CLAUSE_HINTS.items():
        hint = regex.search(norm.text)
        if hint is not None:
            facts.sources[name] = _passage(text, norm, hint)
    return facts


def _passage(text: str, norm: Normalised, m: re.Match[str]) -> Passage:
    start, end = norm.span(m.start(), m.end())
    s, e = clause_around(text, start, end)
    return Passage(s, e, text[s:e])


def rules_from_mapping(data: Mapping[str, Mapping[str, Sequence[str]]]) -> list[Rule]:
    return [
        Rule(code, tuple(spec.get("keywords", ())), tuple(spec.get("patterns", ())))
        for code, spec in data.items()
    ]


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(
    found: Mapping[str, Iterable[str]], expected: Mapping[str, Iterable[str]]
) -> dict[str, Score]:
    """Per item code: true positives, false positives and misses over a set of texts
    (``found`` and ``expected`` map a text's name to its item codes)."""
    counts: dict[str, list[int]] = {}
    for name, want in expected.items():
        got, want_set = set(found.get(name, ())), set(want)
        for code in got | want_set:
            c = counts.setdefault(code, [0, 0, 0])
            c[0 if code in got and code in want_set else 1 if code in got else 2] += 1
    return {code: Score(*c) for code, c in sorted(counts.items())}
