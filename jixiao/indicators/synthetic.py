"""Synthetic but realistic indicators (names, explanations, units, frames) for benchmarks and demo data.

Names are built the way bureaus write them: object + activity + measure ("建档立卡家庭经济困难学生资助人数",
"农村公路养护里程", "服务对象满意度"), each with the 一级/二级 frame the measure implies.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from jixiao.indicators.models import Comparator, Direction, Level1, ValueBasis

# sector name → (objects, activities)
SUBJECTS: dict[str, tuple[list[str], list[str]]] = {
    "教育": (["学生", "义务教育阶段学生", "建档立卡家庭经济困难学生", "中职学生", "高校毕业生", "乡村教师", "教师",
            "农村学校", "幼儿园", "寄宿制学校", "校舍", "学前儿童", "残疾儿童", "留守儿童", "普通高中学生"],
           ["资助", "补助", "培训", "营养改善", "校舍维修", "教学设备购置", "课后服务", "免费教科书发放", "助学金发放",
            "生活费补助", "入学", "学籍管理"]),
    "卫生健康": (["居民", "城乡居民", "65岁以上老年人", "孕产妇", "儿童", "慢性病患者", "基层医疗机构", "村卫生室",
              "乡镇卫生院", "家庭医生", "重点人群", "适龄儿童"],
             ["健康管理", "疫苗接种", "签约服务", "体检", "医疗救助", "基本公共卫生服务", "健康档案建立", "随访",
              "医疗设备购置", "传染病监测"]),
    "社会保障和就业": (["城乡低保对象", "特困人员", "高龄老人", "残疾人", "失业人员", "农民工", "退役军人",
                 "就业困难人员", "养老机构", "社区"],
                ["生活补助", "救助", "就业培训", "创业担保贷款", "居家养老服务", "护理补贴", "公益性岗位安置",
                 "职业技能鉴定", "临时救助"]),
    "农业农村": (["高标准农田", "农户", "脱贫人口", "新型农业经营主体", "耕地", "畜禽", "农村", "农民合作社",
              "粮食作物", "农机具"],
             ["建设", "种植补贴", "耕地地力保护补贴", "技术培训", "防疫", "人居环境整治", "农业保险", "产业帮扶",
              "购置补贴", "秸秆综合利用"]),
    "交通运输": (["农村公路", "国省干线公路", "桥梁", "客运站", "公交线路", "危桥"],
             ["建设", "养护", "改造", "安全隐患整治", "通车", "运营补贴"]),
    "住房城乡建设": (["城镇老旧小区", "棚户区", "农村危房", "保障性住房", "市政道路", "城市排水管网", "公共厕所"],
               ["改造", "建设", "维修", "租赁补贴发放", "提标改造", "管护"]),
    "生态环境": (["空气质量", "地表水", "饮用水水源地", "重点排污单位", "土壤", "自然保护区", "城镇污水"],
             ["监测", "污染防治", "治理", "环境执法检查", "生态修复", "处理"]),
    "文化旅游体育与传媒": (["公共图书馆", "文化馆", "文物保护单位", "乡村文化活动", "全民健身设施", "旅游景区"],
                   ["免费开放", "维修保护", "演出", "建设", "宣传推广", "培训"]),
    "水利": (["农村饮水安全工程", "水库", "河道", "灌区", "堤防", "水土流失"],
           ["建设", "除险加固", "清淤疏浚", "节水改造", "维修养护", "综合治理"]),
    "一般公共服务": (["政务服务事项", "信息系统", "办公设备", "机关运行", "政府网站", "档案"],
               ["网上办理", "运维", "购置", "保障", "等级保护测评", "数字化"]),
}

# measure → (level1, level2, unit, comparator, explanation template)
MEASURES: list[tuple[str, str, str, str, str, str]] = [
    ("人数", Level1.OUTPUT, "数量指标", "人", Comparator.GE, "反映{s}{a}的实际人数，按年度统计口径计算。"),
    ("人次", Level1.OUTPUT, "数量指标", "人次", Comparator.GE, "反映{s}{a}的累计人次。"),
    ("数量", Level1.OUTPUT, "数量指标", "个", Comparator.GE, "反映{s}{a}的完成数量。"),
    ("面积", Level1.OUTPUT, "数量指标", "平方米", Comparator.GE, "反映{s}{a}完成的面积。"),
    ("里程", Level1.OUTPUT, "数量指标", "公里", Comparator.GE, "反映{s}{a}完成的里程数。"),
    ("覆盖率", Level1.BENEFIT, "社会效益指标", "%", Comparator.GE,
     "反映{s}{a}的覆盖程度。覆盖率=已覆盖对象数/应覆盖对象数×100%。"),
    ("完成率", Level1.OUTPUT, "数量指标", "%", Comparator.GE,
     "反映{s}{a}任务的完成情况。完成率=实际完成数/计划完成数×100%。"),
    ("合格率", Level1.OUTPUT, "质量指标", "%", Comparator.GE,
     "反映{s}{a}的质量状况。合格率=验收合格数/完成数×100%。"),
    ("达标率", Level1.OUTPUT, "质量指标", "%", Comparator.GE, "反映{s}{a}达到规定标准的程度。"),
    ("及时率", Level1.OUTPUT, "时效指标", "%", Comparator.GE,
     "反映{s}{a}按时完成的情况。及时率=按时完成数/应完成数×100%。"),
    ("完成时间", Level1.OUTPUT, "时效指标", "月", Comparator.LE, "反映{s}{a}的完成时限。"),
    ("补助标准", Level1.OUTPUT, "成本指标", "元/人", Comparator.LE,
     "反映{s}{a}的人均补助标准，不得超过规定的支出标准。"),
    ("单位成本", Level1.COST, "经济成本指标", "元", Comparator.LE, "反映{s}{a}的单位成本控制情况。"),
    ("增长率", Level1.BENEFIT, "经济效益指标", "%", Comparator.GE, "反映{s}{a}带来的增长情况，与上年相比计算。"),
    ("受益人数", Level1.BENEFIT, "社会效益指标", "人", Comparator.GE, "反映{s}{a}直接受益的人数。"),
    ("发生率", Level1.BENEFIT, "社会效益指标", "%", Comparator.LE, "反映{s}{a}相关问题的发生情况，越低越好。"),
    ("改善情况", Level1.BENEFIT, "可持续影响指标", "", Comparator.QUALITATIVE, "反映{s}{a}对长期发展的持续影响。"),
    ("满意度", Level1.SATISFACTION, "服务对象满意度指标", "%", Comparator.GE,
     "反映服务对象对{s}{a}的满意程度，通过问卷调查取得。"),
]

SOURCES = ["部门业务统计", "统计部门", "部门业务记录", "问卷调查报告", "部门统计年鉴", "权威机构"]
EVIDENCE = ["正式资料", "工作资料", "原始凭证", "说明材料"]


@dataclass
class SyntheticIndicator:
    code: str
    name: str
    sector: str
    level1: str
    level2: str
    unit: str
    comparator: str
    direction: str
    explanation: str
    is_common: bool
    value_basis: str
    data_source: str
    evidence_type: str
    usage_count: int


def generate(count: int, *, seed: int = 2026, prefix: str = "SY") -> Iterator[SyntheticIndicator]:
    """`count` distinct-coded indicators; names repeat across codes as they do in real libraries (each region and
    department keeps its own copy)."""
    rng = random.Random(seed)
    sectors = list(SUBJECTS)
    for n in range(count):
        sector = sectors[n % len(sectors)] if rng.random() < 0.7 else rng.choice(sectors)
        subjects, activities = SUBJECTS[sector]
        s, a = rng.choice(subjects), rng.choice(activities)
        measure, level1, level2, unit, comparator, template = rng.choice(MEASURES)
        if measure == "满意度" and rng.random() < 0.5:
            name = f"{s}满意度"
        else:
            name = f"{s}{a}{measure}"
        direction = {Comparator.LE: Direction.LOWER_IS_BETTER, Comparator.QUALITATIVE: Direction.QUALITATIVE}.get(
            comparator, Direction.HIGHER_IS_BETTER)
        yield SyntheticIndicator(
            code=f"{prefix}{n + 1:07d}", name=name[:100], sector=sector, level1=level1, level2=level2, unit=unit,
            comparator=comparator, direction=direction, explanation=template.format(s=s, a=a),
            is_common=False, value_basis=rng.choice(list(ValueBasis.values)), data_source=rng.choice(SOURCES),
            evidence_type=rng.choice(EVIDENCE), usage_count=int(rng.paretovariate(1.5)) - 1,
        )
