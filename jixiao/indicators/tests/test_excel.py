"""Excel import and export in the bureau's layout: all or nothing, errors by row and column, upsert by code with
versions, the background job, and export → import round trips."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from jixiao.core.models import Job
from jixiao.core.permissions import actor_for
from jixiao.indicators import excel, services
from jixiao.indicators.models import Indicator, IndicatorStatus, IndicatorVersion

SAMPLE = Path(excel.__file__).resolve().parent / "samples" / "指标库导入样例.xlsx"
HEADER = [label for _, label, *_ in excel.LAYOUT]


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(code="T-001", name="学生资助人数", **kw):
    values = dict(zip(HEADER, [code, "教育", "学生资助", "产出指标", "数量指标", name, "解释", "人", "≥", "正向", "定量",
                               "计划标准", "", "部门业务统计", "名单", "", "100", "个性", "启用"], strict=True))
    values.update(kw)
    return [values[h] for h in HEADER]


def run_import(data, actor, region_id=None, filename="a.xlsx"):
    return excel.import_indicators(data, filename=filename, actor=actor, region_id=region_id)


def test_the_committed_sample_imports(cast, sectors, curator):
    outcome = run_import(SAMPLE.read_bytes(), curator, cast.city.pk, filename=SAMPLE.name)
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert outcome.result.created == len(excel.SAMPLE_ROWS)
    ind = Indicator.objects.get(code="JY-XSZZ-002")
    assert ind.comparator == "ge" and ind.level2 == "时效指标" and ind.domain.name == "学生资助"
    assert Indicator.objects.get(code="JY-YWJY-001").level2 == "数量指标"  # 数量 → 数量指标
    assert Indicator.objects.get(code="NY-GBZNT-001").comparator == "le"  # 不超过
    auto = Indicator.objects.get(name="服务对象满意度")
    assert auto.code == "ZB150500000001" and auto.is_common and auto.sector_id is None
    assert IndicatorVersion.objects.count() == len(excel.SAMPLE_ROWS)


def test_upsert_by_code_makes_versions(cast, sectors, curator):
    run_import(xlsx([HEADER, row(), row("T-002", "教师培训人次", 计量单位="人次")]), curator, cast.city.pk)
    outcome = run_import(xlsx([HEADER, row(name="家庭经济困难学生资助人数"), row("T-002", "教师培训人次", 计量单位="人次"),
                               row("T-003", "新指标")]), curator, cast.city.pk)
    assert outcome.ok
    assert (outcome.result.created, outcome.result.updated, outcome.result.unchanged) == (1, 1, 1)
    ind = Indicator.objects.get(code="T-001")
    assert ind.name == "家庭经济困难学生资助人数" and ind.current_version == 2
    assert list(ind.versions.values_list("version", flat=True)) == [1, 2]
    assert ind.versions.get(version=1).data["name"] == "学生资助人数"
    assert ind.versions.get(version=2).data["name"] == "家庭经济困难学生资助人数"
    assert ind.versions.get(version=1).data["sector_name"] == "教育" and ind.history == []


def test_messy_headers_and_a_title_row(cast, sectors, curator):
    header = ["指标代码", "所属行业", "领域", "一级指标", "二级指标", "指标名称", "指标说明", "单位", "符号",
              "指标性质"]
    data = xlsx([["2026年教育行业指标库"], [], header,
                 ["X1", "教育", "义务教育", "产出", "质量", "维修工程验收合格率", "", "%", ">=", "定量"],
                 ["X2", "教育", "", "效益", "可持续影响", "长期效益", "", "", "定性", "定性"]])
    outcome = run_import(data, curator, cast.city.pk)
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert Indicator.objects.get(code="X2").direction == "qualitative"


def errors_of(outcome):
    return {(e.row, e.column): e.message for e in outcome.errors}


def test_bad_rows_are_reported_and_nothing_is_written(cast, sectors, curator):
    services.indicator_create(actor=curator, data={"code": "KEEP", "name": "已有", "level1": "output",
                                                   "level2": "数量指标", "unit": "人"})
    data = xlsx([HEADER,
                 row("D-1"),
                 row("D-1", "重复编码"),
                 row("D-2", 行业="航天"),
                 row("D-3", 计算符号="约等于"),
                 row("D-4", 二级指标="经济效益"),
                 row("D-5", 计量单位=""),
                 row("D-6", **{"三级指标(指标名称)": "x" * 101}),
                 row("D-7", 领域="公共卫生"),
                 row("D-8", 计算符号="定性", 指标方向="正向", 计量单位="")])
    outcome = run_import(data, curator, cast.city.pk)
    errs = errors_of(outcome)
    assert errs[(3, "指标编码")] == "指标编码“D-1”与第2行重复"
    assert errs[(4, "行业")].startswith("行业“航天”不存在")
    assert errs[(5, "计算符号")].startswith("计算符号“约等于”无效")
    assert errs[(6, "二级指标")].startswith("二级指标“经济效益”不属于一级指标“产出指标”")
    assert errs[(7, "计量单位")] == "计算符号为“≥”时必须填写计量单位"
    assert errs[(8, "三级指标(指标名称)")].startswith("指标名称不能超过100个字符")
    assert errs[(9, "领域")] == "领域“公共卫生”不属于行业“教育”"
    assert errs[(10, "指标方向")] == "定性指标的指标方向应为“定性”"
    assert (2, "指标编码") not in errs
    assert list(Indicator.objects.values_list("code", flat=True)) == ["KEEP"]


def test_wrong_layout_missing_columns_and_not_a_spreadsheet(cast, sectors, curator):
    outcome = run_import(xlsx([["项目编码", "项目名称", "金额"], ["1", "a", 3]]), curator, cast.city.pk)
    assert "未找到表头" in outcome.errors[0].message
    outcome = run_import(xlsx([["指标编码", "三级指标", "计量单位"], ["A", "b", "人"]]), curator, cast.city.pk)
    assert outcome.errors[0].message == "缺少必需的列：一级指标、二级指标"
    outcome = run_import(b"%PDF-1.4 \x00\x01 binary", curator, cast.city.pk, filename="x.pdf")
    assert "不是 Excel" in outcome.errors[0].message
    outcome = run_import(xlsx([HEADER]), curator, cast.city.pk)
    assert outcome.errors[0].message == "文件中没有指标数据"
    assert Indicator.objects.count() == 0


def test_codes_of_another_library_are_refused(cast, sectors, curator):
    services.indicator_create(actor=actor_for(cast.sysadmin), data={"code": "GX-1", "name": "全国", "level1": "output",
                                                                    "level2": "数量指标", "unit": "人"}, region_id=None)
    outcome = run_import(xlsx([HEADER, row("GX-1")]), curator, cast.city.pk)
    assert errors_of(outcome) == {(2, "指标编码"): "指标编码“GX-1”已被全国共性指标库使用"}
    with pytest.raises(PermissionDenied):
        run_import(xlsx([HEADER, row()]), actor_for(cast.clerk_a), cast.city.pk)


def test_export_round_trips(cast, sectors, curator):
    run_import(SAMPLE.read_bytes(), curator, cast.city.pk, filename=SAMPLE.name)
    ind = Indicator.objects.get(code="JY-XSZZ-001")
    services.indicator_retire(actor=curator, indicator=ind)
    before = {i.code: services.definition_of(i) | {"status": i.status} for i in Indicator.objects.all()}
    data = excel.export_indicators(Indicator.objects.all())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.active[1]] == HEADER
    outcome = run_import(data, curator, cast.city.pk, filename="export.xlsx")
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert outcome.result.unchanged == len(before) and outcome.result.updated == 0
    after = {i.code: services.definition_of(i) | {"status": i.status} for i in Indicator.objects.all()}
    assert after == before
    assert Indicator.objects.get(code="JY-XSZZ-001").status == IndicatorStatus.RETIRED


def test_import_runs_as_a_background_job(cast, sectors, curator, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("库.xlsx", SAMPLE.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        job = services.indicator_import_start(actor=curator, upload=upload)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, (job.message, job.errors)
    assert job.result["created"] == len(excel.SAMPLE_ROWS) and job.progress == job.total == len(excel.SAMPLE_ROWS)
    assert "导入完成" in job.message


def test_a_failed_job_reports_rows(cast, sectors, curator, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("bad.xlsx", xlsx([HEADER, row("A"), row("A")]))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.indicator_import_start(actor=curator, upload=upload)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.errors == [{"row": 3, "column": "指标编码", "message": "指标编码“A”与第2行重复", "value": "A"}]
    assert Indicator.objects.count() == 0


def test_csv_in_gbk(cast, sectors, curator):
    text = ",".join(HEADER) + "\n" + ",".join(str(x) for x in row("C-1")) + "\n"
    outcome = run_import(text.encode("gb18030"), curator, cast.city.pk, filename="a.csv")
    assert outcome.ok, [str(e) for e in outcome.errors]
