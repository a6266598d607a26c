"""Writes the recognition test set: tests/data/contract_texts/*.txt and expected.json.

Each text is a collective contract assembled from hand-written clause wordings (three or more
per item, in the styles Jinhua enterprises use: 第X条 articles, 一、二、 chapters, wage tables,
full-width digits, Chinese-numeral dates) plus boilerplate that must NOT be recognised (the
standard dispute clause naming the arbitration committee, general provisions, signatures).
``expected.json`` lists, per file, the items whose clauses were put in. Deterministic.

    .venv/bin/python bench/make_contract_texts.py
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "contract_texts"

CLAUSE_FILE = Path(__file__).resolve().parent.parent / "bargaining" / "contract_clauses.json"
_BANK = json.loads(CLAUSE_FILE.read_text(encoding="utf-8"))
CLAUSES: dict[str, list[str]] = _BANK["items"]
# Boilerplate that every contract has; it names no bargaining item.
GENERAL: list[str] = _BANK["general"]
DISPUTE: list[str] = _BANK["dispute"]
PUBLISH: list[str] = _BANK["publish"]

FULLWIDTH = str.maketrans("0123456789%", "０１２３４５６７８９％")
CN_DIGITS = "〇一二三四五六七八九"


def cn_year(y: int) -> str:
    return "".join(CN_DIGITS[int(c)] for c in str(y))


def cn_small(n: int) -> str:
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def cn_date(y: int, m: int, d: int) -> str:
    return f"{cn_year(y)}年{cn_small(m)}月{cn_small(d)}日"


ENTERPRISES = [
    ("永康市金鼎五金制品有限公司", "五金制造", "综合性集体合同"),
    ("义乌市佳和电子商务有限公司", "电子商务", "工资专项集体合同"),
    ("武义县华丰工具有限公司", "工具制造", "工资专项集体合同"),
    ("东阳市康居物业服务有限公司", "物业服务", "综合性集体合同"),
    ("兰溪市颐康养老服务中心", "养老服务", "工资专项集体合同"),
    ("金华开发区光联薄膜科技有限公司", "光学膜", "综合性集体合同"),
    ("浦江县晶彩水晶有限公司", "水晶加工", "工资专项集体合同"),
    ("磐安县药乡中药饮片有限公司", "中药加工", "综合性集体合同"),
    ("婺城区网约车行业", "网约车", "工资专项集体合同"),
    ("东阳市渔具行业", "渔具制造", "工资专项集体合同"),
    ("金东区美业行业", "美容美发", "工资专项集体合同"),
    ("义乌市外卖配送行业", "即时配送", "综合性集体合同"),
]
PLATFORM = {"网约车", "即时配送"}
EXPANSION = [c for c in CLAUSES if c not in ("W01", "W02", "W03", "F01", "H02")]


def build(index: int) -> tuple[str, list[str]]:
    rnd = random.Random(20261130 + index)
    name, industry, ctype = ENTERPRISES[index % len(ENTERPRISES)]
    women = index % 9 == 4
    if women:
        ctype = "女职工权益保护专项集体合同"
    items: list[str] = []
    if not women:
        items += [c for c in ("W01", "W02", "W03") if rnd.random() < 0.85]
    if women:
        items += ["H02"] + rnd.sample(["H01", "B01", "T01", "T02", "S05"], rnd.randint(1, 3))
    else:
        items += rnd.sample(EXPANSION, rnd.randint(2, 8))
        if industry in PLATFORM:
            items.append("F01")
        if rnd.random() < 0.2:
            items.append("H02")
    items = sorted(set(items), key=list(CLAUSES).index)
    values = {
        "wage": rnd.choice([2300, 2400, 2490, 2550, 2680, 2800, 3000]),
        "day": rnd.choice([5, 10, 15, 20, 25]),
        "year": 2026,
        "pct": rnd.choice([3, 4, 5, 6, 8]),
        "s1": rnd.choice([100, 150, 200]),
        "s2": rnd.choice([300, 350, 400]),
        "s3": rnd.choice([500, 600, 800]),
        "edu": rnd.choice([1.5, 2, 2.5, 8]),
        "hours": rnd.choice([24, 40, 48]),
        "bonus": rnd.choice([2000, 5000, 10000]),
        "night": rnd.choice([15, 20, 25, 30]),
        "mid": rnd.choice([10, 12, 150, 200]),
        "meal": rnd.choice([200, 300, 350, 450]),
    }
    total = rnd.randint(25, 120)
    present = total - rnd.randint(0, total // 4)
    votes = present - rnd.randint(0, present // 5)
    signed = (2026, rnd.randint(1, 9), rnd.randint(1, 28))
    start = (signed[0], signed[1] + 1 if signed[1] < 12 else 12, 1)
    years = rnd.choice([1, 2, 3])
    end = date(start[0] + years, start[1], 1) - timedelta(days=1)  # the day before, N years on
    end_text = f"{end.year}年{end.month}月{end.day}日"
    chinese_dates = index % 3 == 1
    table = index % 4 == 2
    style = index % 3
    clauses = [(code, rnd.choice(CLAUSES[code]).format(**values)) for code in items]
    if table and "S01" in items:
        clauses.append(
            (
                "S01",
                "技能等级 | 月技能工资（元）\n初级工 | {s1}\n中级工 | {s2}\n高级工 | {s3}".format(
                    **values
                ),
            )
        )
    rnd.shuffle(clauses)
    head = [ctype.replace("集体合同", "集体合同") if not table else ctype, ""]
    head.append(f"甲方：{name}")
    head.append(
        f"乙方：{name.replace('有限公司', '')}工会委员会"
        if "行业" not in name
        else f"乙方：{name}工会联合会"
    )
    body: list[str] = list(GENERAL)
    body += [c for _code, c in clauses]
    if rnd.random() < 0.7:
        body.append(rnd.choice(DISPUTE))
    term = (
        f"本合同期限{years}年，自{cn_date(*start)}起至{cn_date(end.year, end.month, end.day)}止。"
        if chinese_dates
        else f"本合同有效期自{start[0]}年{start[1]}月{start[2]}日起至{end_text}止。"
    )
    body.append(term)
    body.append(
        f"本合同草案经{signed[0]}年{signed[1]}月{signed[2] - 1 if signed[2] > 1 else 1}日职工代表大会审议，"
        f"职工代表总数{total}名，出席代表{present}名，赞成{votes}票，获得通过。"
    )
    body += PUBLISH
    if style == 0:
        lines = [f"第{cn_small(i + 1)}条 {c}" for i, c in enumerate(body)]
    elif style == 1:
        lines = [f"{cn_small(i + 1)}、{c}" for i, c in enumerate(body)]
    else:
        lines = [f"{i + 1}. {c}" for i, c in enumerate(body)]
    sign = cn_date(*signed) if chinese_dates else f"{signed[0]}年{signed[1]}月{signed[2]}日"
    tail = ["", "甲方首席代表（签字）：          乙方首席代表（签字）：", f"签订日期：{sign}"]
    text = "\n".join(head + lines + tail)
    if index % 3 == 0:
        text = text.translate(FULLWIDTH)
    facts = {
        "delegates_total": total,
        "delegates_present": present,
        "votes_for": votes,
        "term_start": date(*start).isoformat(),
        "term_end": end.isoformat(),
        "signed_on": date(*signed).isoformat(),
    }
    return text, items, facts


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    expected, facts = {}, {}
    for i in range(36):
        text, items, known = build(i)
        name = f"contract_{i + 1:02d}.txt"
        (OUT / name).write_text(text + "\n", encoding="utf-8")
        expected[name] = items
        facts[name] = known
    (OUT / "facts.json").write_text(
        json.dumps(facts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (OUT / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(expected)} texts in {OUT}")


if __name__ == "__main__":
    main()
