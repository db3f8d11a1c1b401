"""Named presets: the national default and local variants found in the policy documents (RULES.md).

A preset is the national default (`PolicyParams()` = 财预〔2020〕10号 plus the numbers the seeds share) with the local
differences applied. Every preset validates (tested). Where a local document gives no number, the national one is kept
and the description says so; where a number had to be inferred, the description says that too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jixiao.policy import schema as s
from jixiao.policy.rules import deep_merge, validate_params
from jixiao.policy.schema import PolicyParams

NATIONAL = "national_2020"


@dataclass(frozen=True)
class Preset:
    code: str
    name: str
    description: str
    sources: tuple[str, ...]
    region_hint: str = ""
    year: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def params(self) -> PolicyParams:
        return _build(self.code)

    def to_json(self) -> dict:
        return self.params().to_json()


def _point(name, period_end, data_months, due=None) -> dict:
    return {"name": name, "period_end": period_end, "data_months": data_months, "due": due}


PRESETS: dict[str, Preset] = {p.code: p for p in [
    Preset(
        NATIONAL, "全国默认（财预〔2020〕10号）",
        "以财预〔2020〕10号为基础：自评框架 产出50/效益30/满意度10+执行率10，等级 90/80/60（半开区间）；"
        "事前评估 500万/1500万/2亿、财政评估 2000万/5亿（种子文件与郑州2023办法共同口径）；"
        "监控 1-7月数据8月15日前报送；评为“中”的目标按程序重新报送（不设时限）；整改 60 天内报送措施；"
        "抽查 30%；评价覆盖 20%；信息公开 500万/50%；考核前后各 10 名。",
        (s.S_10, s.S_101, s.S_61, s.S_PPP, s.S_136, s.S_ZZ_EXANTE, s.S_ZZ_RESULT, s.S_HAILIN, s.S_PUTUO,
         s.S_TONGLIAO),
    ),
    Preset(
        "zhengzhou_2023", "郑州市（2023）",
        "郑州市级：重大政策和项目 年度500万/总投入1500万/政府投资2亿须事前评估，年度2000万或政府投资5亿由财政评估，"
        "审核意见20个工作日、不支持一年内不得再申报；目标审核为“中”的3个工作日内重新报送；"
        "6月底、9月底两次监控，分别于7月15日、10月15日前报送；自评次年1月底前报送；评价结果60日内报送整改措施。",
        (s.S_ZZ_EXANTE, s.S_ZZ_GOAL, s.S_ZZ_MON, s.S_ZZ_RESULT),
        region_hint="郑州市", year=2023,
        overrides={
            "goal_review": {"fair_resubmit_working_days": 3},
            "monitoring": {"points": [_point("6月底绩效监控", "06-30", 6, "07-15"),
                                      _point("9月底绩效监控", "09-30", 9, "10-15")]},
            "self_evaluation": {"due": "01-31"},
            "results": {"rectification_days": 60, "rectification_kind": "submit_measures"},
        },
    ),
    Preset(
        "sichuan_2025", "四川省（2025）",
        "四川2025：累计执行率4月末25%、6月末40%、8月末60%、10月末80%为下限，绩效目标与执行进度相差超过10个百分点预警，"
        "预警后10个工作日内在继续执行/调剂/取消中选定处置，逾期自动暂停；7月底、10月底报送监控情况"
        "（数据截止期按上月末推定）；事前评估结论三档；评价结果 优优先保障、良保障、中压缩、差取消"
        "（“中”的压减比例未见原文，沿用全国默认10%-30%）。依据为第三方摘要，使用前请核对原文。",
        (s.S_SC, "川财绩〔2025〕8号（第三方摘要）", "川财规〔2025〕（第三方摘要）"),
        region_hint="四川省", year=2025,
        overrides={
            "ex_ante": {"report_conclusions": ["support", "support_after_changes", "no_support"],
                        "finance_opinions": ["support", "support_after_changes", "no_support"]},
            "monitoring": {
                "points": [_point("7月底监控报告", "06-30", 6, "07-31"), _point("10月底监控报告", "09-30", 9, "10-31")],
                "cumulative_floors": [{"month": 4, "min_rate": "25"}, {"month": 6, "min_rate": "40"},
                                      {"month": 8, "min_rate": "60"}, {"month": 10, "min_rate": "80"}],
                "dual_gap_pct_points": "10",
                "disposition_options": ["continue", "reallocate", "cancel"],
                "disposition_working_days": 10,
                "disposition_timeout_suspends": True,
            },
            "results": {"budget_linkage": [
                {"grade": "excellent", "action": "priority"},
                {"grade": "good", "action": "keep"},
                {"grade": "fair", "action": "cut", "cut_min_pct": "10", "cut_max_pct": "30"},
                {"grade": "poor", "action": "cancel", "cut_min_pct": "100", "cut_max_pct": "100"},
            ]},
        },
    ),
    Preset(
        "shanxi", "山西（一体化系统地方口径）",
        "预算管理一体化绩效模块中的地方口径（很可能是山西）：自评结论 ≥80优、[70,80)良、[60,70)中、<60差；"
        "定量指标超额完成一律得满分、不因超额扣分。来源是实现代码而非政策原文，使用前请核对本地文件。",
        (s.S_FASP,),
        region_hint="山西省",
        overrides={"self_evaluation": {
            "grade_bands": [{"grade": "excellent", "lower": "80"}, {"grade": "good", "lower": "70"},
                            {"grade": "fair", "lower": "60"}, {"grade": "poor", "lower": "0"}],
            "overshoot_deduction_factor": "0",
        }},
    ),
    Preset(
        "putuo_2023", "上海市普陀区（2023）",
        "普陀区：500万元及以上新增重大政策和项目（新设立或重大调整）开展事前评估（不设总投入和投资额门槛）；"
        "8月底前至少完成一次绩效跟踪；3月底前完成自评；各部门6月底前至少完成一个部门评价；"
        "财政评价发现问题30天内完成整改；项目预算500万元以上公开绩效目标，公开资金不低于项目支出的50%。",
        (s.S_PUTUO,),
        region_hint="上海市普陀区", year=2023,
        overrides={
            "ex_ante": {"scope_kinds": ["new", "changed"], "total_amount_yuan": None, "investment_amount_yuan": None,
                        "finance_annual_amount_yuan": None, "finance_investment_yuan": None},
            "monitoring": {"points": [_point("绩效跟踪（1-7月）", "07-31", 7, "08-31")]},
            "self_evaluation": {"due": "03-31"},
            "evaluation": {"department_min_per_year": 1, "department_due": "06-30"},
            "results": {"rectification_days": 30, "rectification_kind": "complete"},
            "disclosure": {"goal_threshold_yuan": "5000000", "coverage_min_pct": "50"},
        },
    ),
    Preset(
        "hailin_2021", "黑龙江省海林市（2021）",
        "海林市：资金安排500万元以上（含）的新出台、调整或到期延续的重大政策（项目）必须事前评估；"
        "对上半年和前三季度开展集中监控（报送日期由财政局通知）；11月底前盘活收回未纠偏或慢于序时进度的资金；"
        "部门评价和财政评价达到项目数或资金总额20%以上，财政评价达到重点专项资金20%以上；"
        "评价结果在资金分配中权重不低于10%；考核排名靠前的倾斜、靠后的扣减资金规模；7月20日、12月20日前报送工作进展。",
        (s.S_HAILIN,),
        region_hint="海林市", year=2021,
        overrides={
            "ex_ante": {"total_amount_yuan": None, "investment_amount_yuan": None,
                        "finance_annual_amount_yuan": None, "finance_investment_yuan": None},
            "monitoring": {"points": [_point("上半年集中监控", "06-30", 6), _point("前三季度集中监控", "09-30", 9)],
                           "year_end_sweep": "11-30"},
            "evaluation": {"coverage_pct": "20", "coverage_basis": "count_or_amount", "key_fund_coverage_pct": "20"},
            "results": {"allocation_weight_min_pct": "10"},
            "appraisal": {"budget_tilt": True, "progress_report_dates": ["07-20", "12-20"]},
        },
    ),
    Preset(
        "henan_2022", "河南省省级（101号框架）",
        "河南省级：绩效目标采用101号框架（成本指标单列为一级指标，设成本时 成本20/产出40/效益20/满意度10+执行率10，"
        "未设成本时 产出50/效益30/满意度10+执行率10）；1-7月监控8月15日前报送；评价结果60日内报送整改措施。",
        (s.S_101, "豫财效〔2022〕4号", s.S_HN_MON, s.S_ZZ_RESULT),
        region_hint="河南省", year=2022,
        overrides={"goals": {"project_frame": "frame_101", "project_cost_frame": "frame_101_cost"}},
    ),
]}


@cache
def _build_json(code: str) -> dict:
    preset = PRESETS[code]
    return validate_params(deep_merge(PolicyParams().to_json(), preset.overrides)).to_json()


@cache
def _build(code: str) -> PolicyParams:
    # PolicyParams is frozen: one validated value per preset is shared
    return PolicyParams.model_validate(_build_json(code))


def get_preset(code: str) -> Preset:
    try:
        return PRESETS[code]
    except KeyError:
        raise KeyError(f"未知的预设：{code}") from None


def preset_params(code: str) -> PolicyParams:
    """The parameter set of a named preset."""
    get_preset(code)
    return _build(code)


def preset_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in PRESETS.values()]
