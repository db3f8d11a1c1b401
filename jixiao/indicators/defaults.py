"""Reference data of the indicator library: the frames (which 二级指标 fit under which 一级指标) and a default
sector tree (行业 → 领域) a bureau starts from and extends.

The frames are data from the national documents (财预〔2020〕10号 附1/附2, 财预〔2021〕101号, 财预〔2013〕53号), not
policy numbers: a region's goal-sheet frame (which of these a sheet must use) belongs to the policy profile.
"""

from __future__ import annotations

from jixiao.indicators.models import Level1

# 一级 → 二级 names allowed by the goal frames (10号/101号) and the evaluation frames (10号 附2, 53号).
GOAL_FRAME: dict[str, tuple[str, ...]] = {
    Level1.OUTPUT: ("数量指标", "质量指标", "时效指标", "成本指标"),
    Level1.BENEFIT: ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    Level1.SATISFACTION: ("服务对象满意度指标",),
    Level1.COST: ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}
EVALUATION_FRAME: dict[str, tuple[str, ...]] = {
    Level1.DECISION: ("项目立项", "绩效目标", "资金投入"),
    Level1.PROCESS: ("资金管理", "组织实施", "业务管理", "财务管理", "预算执行", "预算管理", "资产管理"),
    Level1.OUTPUT: ("产出数量", "产出质量", "产出时效", "产出成本", "项目产出", "职责履行"),
    Level1.BENEFIT: ("项目效益",),
    Level1.INPUT: ("项目立项", "资金落实", "目标设定", "预算配置"),
    Level1.EFFECT: ("项目效益", "履职效益"),
}


def level2_choices(level1: str) -> tuple[str, ...]:
    """The 二级指标 names allowed under a 一级指标, goal frame first."""
    return tuple(dict.fromkeys(GOAL_FRAME.get(level1, ()) + EVALUATION_FRAME.get(level1, ())))


# Labels and common spellings of the 一级指标 as offices write them.
LEVEL1_ALIASES: dict[str, str] = {}
for _value, _label in Level1.choices:
    LEVEL1_ALIASES[_label] = _value
    LEVEL1_ALIASES[_value] = _value
    LEVEL1_ALIASES[_label.removesuffix("指标")] = _value
LEVEL1_ALIASES.update({"效果指标": Level1.EFFECT, "决策指标": Level1.DECISION, "过程指标": Level1.PROCESS,
                       "投入指标": Level1.INPUT})


# (code, name, [(code, name), ...]) — codes are two digits per level.
DEFAULT_SECTORS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("01", "教育", [("0101", "学前教育"), ("0102", "义务教育"), ("0103", "高中教育"), ("0104", "职业教育"),
                  ("0105", "高等教育"), ("0106", "学生资助"), ("0107", "教师队伍建设")]),
    ("02", "卫生健康", [("0201", "公共卫生"), ("0202", "医疗服务"), ("0203", "基层医疗卫生"), ("0204", "中医药"),
                    ("0205", "妇幼健康"), ("0206", "疾病预防控制")]),
    ("03", "社会保障和就业", [("0301", "就业创业"), ("0302", "养老服务"), ("0303", "社会救助"), ("0304", "残疾人事业"),
                       ("0305", "优抚安置"), ("0306", "社会保险")]),
    ("04", "农业农村", [("0401", "农业生产"), ("0402", "高标准农田"), ("0403", "乡村振兴"), ("0404", "畜牧兽医"),
                    ("0405", "农村人居环境"), ("0406", "农业保险")]),
    ("05", "交通运输", [("0501", "公路建设"), ("0502", "农村公路"), ("0503", "公共交通"), ("0504", "道路养护")]),
    ("06", "住房城乡建设", [("0601", "保障性住房"), ("0602", "城镇老旧小区改造"), ("0603", "市政设施"),
                      ("0604", "农村危房改造")]),
    ("07", "生态环境", [("0701", "大气污染防治"), ("0702", "水污染防治"), ("0703", "土壤污染防治"),
                    ("0704", "自然生态保护")]),
    ("08", "文化旅游体育与传媒", [("0801", "公共文化服务"), ("0802", "文物保护"), ("0803", "旅游发展"),
                         ("0804", "全民健身")]),
    ("09", "科学技术", [("0901", "科技研发"), ("0902", "科技成果转化"), ("0903", "科学普及")]),
    ("10", "水利", [("1001", "农村饮水安全"), ("1002", "水利工程建设"), ("1003", "防汛抗旱")]),
    ("11", "公共安全", [("1101", "公安"), ("1102", "消防救援"), ("1103", "司法")]),
    ("12", "一般公共服务", [("1201", "行政运行"), ("1202", "信息化建设"), ("1203", "政务服务")]),
    ("13", "林业草原", [("1301", "造林绿化"), ("1302", "森林防火"), ("1303", "草原保护")]),
    ("14", "商业服务业", [("1401", "商贸流通"), ("1402", "电子商务")]),
]
