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

CLAUSES: dict[str, list[str]] = {
    "W01": [
        "企业实行以岗位工资为主的工资分配制度，职工工资由基本工资、岗位工资、绩效工资和津贴构成。",
        "公司坚持按劳分配原则，实行岗位工资制，工资分配向一线岗位和关键岗位倾斜。",
        "企业工资分配形式为结构工资制，具体分配办法经职工代表大会讨论通过后实施。",
    ],
    "W02": [
        "职工在法定工作时间内提供正常劳动的，企业支付的月工资不低于{wage}元。",
        "本企业职工月最低工资标准为{wage}元，高于当地最低工资标准。",
        "一线生产职工基本工资不低于每月{wage}元，新录用职工转正后执行同一标准。",
    ],
    "W03": [
        "企业于每月{day}日前以货币形式足额支付职工上月工资，并向职工提供工资清单。",
        "工资按月支付，不得克扣或者无故拖欠；遇节假日提前至最近的工作日发放工资。",
        "公司通过银行代发工资，每月{day}日发放上月工资，职工可随时查询工资条。",
    ],
    "W04": [
        "{year}年度职工工资平均增长幅度不低于{pct}%，其中一线职工增长幅度高于平均水平。",
        "双方建立工资正常调整机制，企业每年根据经济效益和物价水平与工会协商确定调资方案。",
        "合同期内职工平均工资每年上调{pct}%，企业效益明显增长的，增资幅度相应提高。",
    ],
    "W05": [
        "年终奖金根据企业年度效益和个人考核结果分配，分配方案向职工公示。",
        "企业设立全勤奖、安全奖和效益奖，奖金发放办法由双方另行协商确定。",
        "各类津贴、补贴的项目和标准按附件执行，企业不得擅自取消。",
    ],
    "W06": [
        "计件单价由企业与工会协商确定，调整计件单价须提前一个月公示。",
        "企业实行绩效工资制度，绩效考核结果作为绩效工资发放的依据，考核办法须经职工代表讨论。",
        "劳动定额应当使本企业百分之九十以上的职工在法定工作时间内能够完成。",
    ],
    "S01": [
        "企业建立技能等级工资制度：初级工每月加发{s1}元，中级工加发{s2}元，高级工加发{s3}元。",
        "职工能级工资按照能级评定结果确定，分为一至五级，级差不低于{s1}元。",
        "技能工资标准如下表所列，每年复核一次。",
    ],
    "S02": [
        "企业建立管理、技术、操作三条职业发展通道，职工可按条件申请岗位晋升。",
        "岗位等级分为九级，职工每两年考核一次，考核合格的晋级晋档。",
        "公司明确岗级晋升条件和程序，晋升结果在厂务公开栏公示。",
    ],
    "S03": [
        "职工取得职业技能等级证书的，自取得次月起按相应等级调整工资。",
        "企业建立技能等级认定与工资挂钩机制，认定结果作为岗位聘任和工资调整的依据。",
        "企业每年组织一次技能鉴定，鉴定合格的职工工资与技能等级挂钩。",
    ],
    "S04": [
        "对聘任为技师、高级技师的职工，企业每月分别发放技师津贴{s1}元、{s2}元。",
        "企业设立高技能人才津贴，首席技师每月享受{s3}元津贴。",
        "被评为金华工匠、技能大师的职工，每月发放工匠津贴{s2}元。",
    ],
    "S05": [
        "企业按不低于工资总额的{edu}%提取职工教育经费，其中百分之六十以上用于一线职工培训。",
        "企业每年制定职工培训计划，组织岗位技能培训不少于{hours}学时，培训期间工资照发。",
        "职工参加企业安排的职业技能培训，培训经费由企业承担。",
    ],
    "S06": [
        "新入职职工试用期工资不低于转正工资的百分之八十，且不低于当地最低工资标准。",
        "学徒期间企业按月发放学徒津贴，学徒期满考核合格的，按所在岗位标准定级。",
        "新录用的高校毕业生见习期工资不低于{wage}元。",
    ],
    "S07": [
        "职工提出合理化建议被采纳并产生效益的，企业按节约金额的百分之五给予奖励。",
        "企业设立技术创新奖，对取得发明专利的职工一次性奖励{bonus}元。",
        "职工参与技术攻关、小改小革取得成果的，由企业评定等级后给予奖励。",
    ],
    "A01": [
        "职工上夜班的，企业按每班{night}元发放夜班津贴。",
        "中夜班补贴标准为中班每班{mid}元、夜班每班{night}元，随当月工资发放。",
        "夜班费按实际夜班天数计发，每天不低于{night}元。",
    ],
    "A02": [
        "每年六月至九月，企业按规定向高温作业职工发放高温津贴，每人每月不低于300元。",
        "从事有毒有害作业的职工，企业每月发放特殊岗位津贴{mid}元。",
        "企业做好防暑降温工作，高温季节室外作业职工享受高温补贴。",
    ],
    "A03": [
        "加班工资计算基数为职工本人正常工作时间的月工资，不得以最低工资标准作为基数。",
        "安排职工延长工作时间的，以职工上月应发工资（不含加班费）为基数，按150%支付加班费。",
        "加班费以职工岗位工资与技能工资之和为计算基数。",
    ],
    "T01": [
        "企业实行标准工时制度，职工每日工作时间不超过八小时，每周工作不超过四十小时。",
        "职工依法享受带薪年休假、婚假、丧假等休息休假待遇。",
        "企业保证职工每周至少休息一日，年休假由企业统筹安排。",
    ],
    "T02": [
        "生产车间实行四班三运转，轮班表提前一周公布。",
        "经劳动保障部门批准，销售岗位实行综合计算工时工作制。",
        "对有照顾家庭需要的职工，企业可安排弹性工作时间或错峰上下班。",
    ],
    "H01": [
        "企业按国家标准为职工免费发放劳动防护用品，并每年组织一次职业健康检查。",
        "企业建立安全生产责任制，新职工上岗前须接受安全教育培训。",
        "企业改善劳动安全卫生条件，防止职业病的发生。",
    ],
    "H02": [
        "女职工在孕期、产期、哺乳期内，企业不得降低其基本工资。",
        "企业每年组织女职工进行一次妇科检查，费用由企业承担。",
        "女职工生育享受国家规定的产假，产假期间工资照发。",
    ],
    "B01": [
        "企业为全体职工办理补充医疗保险，并为一线职工投保团体意外伤害保险。",
        "企业建立企业年金制度，企业缴费比例为工资总额的百分之四。",
        "企业每年组织职工健康体检，并在春节、中秋发放节日慰问品。",
    ],
    "B02": [
        "企业为职工提供免费工作餐，未在食堂就餐的每月发放餐费补贴{meal}元。",
        "外地职工可入住免费宿舍，不住宿舍的每月发放住房补贴{meal}元。",
        "企业开通免费班车，自行上下班的职工每月发放交通补贴{meal}元。",
    ],
    "F01": [
        "平台企业公开订单分配规则和抽成比例，调整前须听取驾驶员代表意见。",
        "网约车驾驶员每日在线接单时间超过十小时的，平台应当进行疲劳提示并强制休息二十分钟。",
        "外卖送餐员在恶劣天气配送的，平台每单额外补贴一元，并优化平台算法预留合理配送时间。",
    ],
    "D01": [
        "企业设立劳动争议调解委员会，由职工代表和企业代表组成，工会代表担任主任。",
        "双方建立劳动争议协商调解机制，车间设立调解员，及时化解矛盾。",
        "职工与企业发生劳动争议的，可以向企业劳动争议调解委员会申请调解。",
    ],
}

# Boilerplate that every contract has; it names no bargaining item.
GENERAL = [
    "为维护职工和企业的合法权益，构建和谐劳动关系，根据《中华人民共和国劳动法》《集体合同规定》"
    "和《浙江省集体合同条例》，经双方平等协商，签订本合同。",
    "本合同对企业和全体职工具有约束力。职工个人与企业订立的劳动合同中劳动条件和劳动报酬等标准"
    "不得低于本合同的规定。",
]
DISPUTE = [
    "因履行本合同发生争议，双方应当协商解决；协商不成的，可以向劳动人事争议仲裁委员会申请仲裁。",
    "双方因签订集体合同发生争议，当事人协商解决不成的，可以书面提请劳动保障行政部门协调处理。",
]
PUBLISH = [
    "本合同经劳动保障行政部门审查生效后，企业应在十日内以厂务公开栏和职工微信群等形式向全体职工公布。",
    "本合同一式五份，双方各执一份，报劳动保障行政部门一份，工会存档两份。",
]

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
