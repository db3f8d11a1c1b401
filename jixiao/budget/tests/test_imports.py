"""Imports from the integrated budget system: the shipped samples, aggregation of budget lines, every kind of bad
file changing nothing, reach of departments and units, locked subjects, monthly execution, jobs and the command."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from jixiao.budget import hooks
from jixiao.budget.imports import EXECUTION_JOB, SUBJECT_JOB, execution_import, import_start, subject_import
from jixiao.budget.models import BudgetLine, ExecutionRecord, FiscalYear, PerformanceSubject
from jixiao.budget.tests.helpers import HEADER, SAMPLE_CSV, SAMPLE_XLSX, actor, csv_bytes, line, xlsx, yuan
from jixiao.core import tabular as t
from jixiao.core.models import AuditEvent, Job


def counts():
    return (PerformanceSubject.objects.count(), BudgetLine.objects.count(), ExecutionRecord.objects.count(),
            AuditEvent.objects.count(), FiscalYear.objects.count())


def run(cast, rows, user="finance_admin", **kwargs):
    return subject_import(actor=actor(cast, user), region=cast.city, data=xlsx([HEADER, *rows]), filename="t.xlsx",
                          **kwargs)


def where(result):
    return {(e.row, e.column) for e in result.errors}


def import_sample(cast, user="finance_admin"):
    result = subject_import(actor=actor(cast, user), region=cast.city, data=SAMPLE_XLSX.read_bytes(),
                            filename=SAMPLE_XLSX.name)
    assert result.ok, [str(e) for e in result.errors]
    return result


def test_sample_project_file_imports(cast):
    result = import_sample(cast)
    assert (result.subjects, result.created, result.updated, result.lines) == (9, 9, 0, 15)
    assert result.warnings == []
    s = PerformanceSubject.objects.get(code="1505002630100100001")
    assert (s.name, s.unit, s.department, s.region) == ("家庭经济困难学生资助", cast.unit_a1, cast.dept_a, cast.city)
    assert s.annual_amount == yuan("2000000") and s.adjusted_amount == yuan("2000000")
    assert s.budget_lines.count() == 2 and s.project_category == "specific" and s.is_new is False
    assert s.functional_class == "2050204" and s.state == "draft" and s.imported_at is not None
    bond = PerformanceSubject.objects.get(code="1505002630100200001")
    assert (bond.special_category, bond.budget_kind, bond.total_amount) == ("special_bond", "government_fund",
                                                                            yuan("30000000"))
    training = PerformanceSubject.objects.get(code="1505002630100000001")
    assert training.unit is None and training.department == cast.dept_a  # 部门本级
    transfer = PerformanceSubject.objects.get(code="1505002630200000001")
    assert transfer.kind == "transfer_payment"
    secret = PerformanceSubject.objects.get(code="1505002630200100002")
    assert secret.is_classified and "备案" in secret.classified_reason and secret.classified_filed_at
    ops = PerformanceSubject.objects.get(code="1505002630200000002")
    assert ops.annual_amount == yuan("1150000") and ops.adjusted_amount == yuan("1300000")
    assert ops.project_category == "operation"
    event = AuditEvent.objects.get(object_id=str(s.pk), action="import")
    assert event.after["annual_amount"] == "2000000.00" and len(event.after["budget_lines"]) == 2
    assert "一体化" in event.comment


def test_reimport_updates_and_replaces_lines(cast):
    import_sample(cast)
    s = PerformanceSubject.objects.get(code="1505002630100100001")
    result = import_sample(cast)
    assert (result.created, result.updated) == (0, 9)
    assert BudgetLine.objects.count() == 15 and PerformanceSubject.objects.filter(code=s.code).count() == 1
    s.refresh_from_db()
    assert s.lock_version == 2  # an import is an edit: open editors must reload


def test_sample_execution_file_imports(cast):
    import_sample(cast)
    result = execution_import(actor=actor(cast, "finance_admin"), region=cast.city, data=SAMPLE_CSV.read_bytes(),
                              filename=SAMPLE_CSV.name)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.subjects, result.months) == (8, 48)
    bond = PerformanceSubject.objects.get(code="1505002630100200001")
    spent = sum((r.amount for r in bond.execution_records.all()), yuan(0))
    assert spent == yuan("9700000")
    ops = PerformanceSubject.objects.get(code="1505002630200000002")
    assert ops.execution_records.get(month=3).amount == yuan("58333.34")


def test_lines_of_one_project_aggregate(cast):
    result = run(cast, [
        line(initial="100000.50", adjusted="120000", total="500000"),
        line(initial="200000", adjusted="", economic="30227"),
        line(code="P002", name="校园绿化", initial="1", unit="301002", unit_name="通辽市第二中学"),
    ])
    assert result.ok, [str(e) for e in result.errors]
    s = PerformanceSubject.objects.get(code="P001")
    assert s.annual_amount == yuan("300000.50")
    assert s.adjusted_amount == yuan("320000")  # a line without an adjusted figure counts at its initial amount
    assert s.total_amount == yuan("500000")
    assert s.budget_lines.count() == 2
    assert PerformanceSubject.objects.get(code="P002").total_amount == yuan("1")  # no total: the annual amount


BAD_FILES = {
    "unknown unit": ([line(unit="999999")], (2, "单位编码"), "不存在"),
    "conflicting names": ([line(), line(name="别的名字")], (3, "项目名称"), "不一致"),
    "bad number": ([line(initial="1O0")], (2, "年初预算数"), "不是有效金额"),
    "amount in wan": ([line(initial="12.5万元")], (2, "年初预算数"), "以元为单位"),
    "negative amount": ([line(initial="-100")], (2, "年初预算数"), "不能为负数"),
    "total below annual": ([line(initial="100", total="50")], (2, "项目总金额"), "不能小于"),
    "end before start": ([line(start="2026-05-01", end="2026-04-01")], (2, "结束日期"), "不能早于"),
    "bad date": ([line(start="明年")], (2, "开始日期"), "不是有效日期"),
    "classified without reason": ([line(secret="是")], (2, "是否涉密"), "备案"),
    "bond outside fund budget": ([line(special="专项债券")], (2, "预算类别"), "政府性基金预算"),
    "unknown budget kind": ([line(budget="第五本预算")], (2, "预算类别"), "无效"),
    "unknown category": ([line(category="奇怪类")], (2, "项目类别"), "无效"),
    "line values disagree": ([line(), line(budget="政府性基金预算")], (3, "预算类别"), "应一致"),
    "project in two units": ([line(), line(unit="301002", unit_name="通辽市第二中学")], (3, "单位编码"), "不一致"),
    "unit name mismatch": ([line(unit_name="通辽市医院")], (2, "单位名称"), "不一致"),
    "code as float": ([line(code=1.505002630100101e18)], (2, "项目编码"), "文本格式"),
    "blank name": ([line(name="")], (2, "项目名称"), "不能为空"),
    "bad year": ([line(year="去年")], (2, "预算年度"), "不是有效数字"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_changes_nothing(cast, case):
    rows, (row, column), message = BAD_FILES[case]
    good = line(code="GOOD1", name="完全正确的项目")  # a valid row in the same file is not imported either
    before = counts()
    result = run(cast, [*rows, good])
    assert not result.ok
    assert (row, column) in where(result), [str(e) for e in result.errors]
    assert any(message in e.message for e in result.errors if (e.row, e.column) == (row, column))
    assert counts() == before


def test_header_in_wan_is_refused(cast):
    header = [h.replace("年初预算数(元)", "年初预算数（万元）") for h in HEADER]
    before = counts()
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city, data=xlsx([header, line()]))
    assert (1, "年初预算数（万元）") in where(result)
    assert counts() == before


def test_missing_column_and_not_a_table(cast):
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city,
                            data=xlsx([["单位编码", "项目编码", "项目名称"], ["301001", "P1", "甲"]]))
    assert "缺少必需的列" in result.errors[0].message
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city, data=b"%PDF-1.4\x00\x01",
                            filename="a.pdf")
    assert "不是 Excel" in result.errors[0].message
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city, data=b"")
    assert result.errors[0].message == "文件为空"


def test_file_over_size_limit(cast, settings):
    settings.IMPORT_MAX_BYTES = 100
    result = run(cast, [line()])
    assert "文件过大" in result.errors[0].message
    with pytest.raises(Exception, match="文件过大"):
        import_start(actor=actor(cast, "finance_admin"), kind=SUBJECT_JOB, region=cast.city,
                     upload=SimpleUploadedFile("a.xlsx", b"x" * 200))


def test_no_year_column_uses_default_year(cast):
    header = HEADER[1:]
    data = xlsx([header, line()[1:]])
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city, data=data)
    assert "预算年度" in result.errors[0].message
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city, data=data, default_year=2026)
    assert result.ok
    assert PerformanceSubject.objects.get(code="P001").fiscal_year == cast.year


def test_new_year_is_created(cast):
    result = run(cast, [line(year=2027)])
    assert result.ok and "已新设预算年度2027年" in result.warnings
    assert FiscalYear.objects.filter(year=2027).exists()


def test_csv_gbk_with_aliases(cast):
    rows = [["年度", "预算单位编码", "项目代码", "项目名称", "项目类型", "预算金额", "资金性质"],
            ["2026", "301001", "P100", "图书购置", "特定目标类", "1,234.50", "政府性基金预算资金"]]
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city,
                            data=csv_bytes(rows, encoding="gb18030"), filename="export.csv")
    assert result.ok, [str(e) for e in result.errors]
    s = PerformanceSubject.objects.get(code="P100")
    assert s.annual_amount == yuan("1234.50") and s.budget_kind == "government_fund"  # guessed from 资金性质


def test_department_level_project_by_department_code(cast):
    result = run(cast, [line(unit="301", unit_name="通辽市教育局")])
    assert result.ok
    assert PerformanceSubject.objects.get(code="P001").unit is None


def test_unit_may_import_only_its_own_rows(cast):
    before = counts()
    result = run(cast, [line(), line(code="P2", unit="301002", unit_name="通辽市第二中学")], user="unit_a1")
    assert (3, "单位编码") in where(result) and "超出您的管理范围" in result.errors[0].message
    assert counts() == before
    assert run(cast, [line()], user="unit_a1").ok


def test_department_may_import_its_units_but_not_others(cast):
    result = run(cast, [line(), line(code="P2", unit="302001", unit_name="通辽市医院")], user="clerk_a")
    assert where(result) == {(3, "单位编码")}
    assert run(cast, [line(), line(code="P2", unit="301", unit_name="通辽市教育局")], user="clerk_a").ok


def test_existing_subject_in_other_unit_is_an_error(cast):
    code = cast.subjects["b1"].code
    result = run(cast, [line(code=code, name="医疗设备购置")])
    assert "在项目库中属于" in result.errors[0].message


def test_submitted_subject_keeps_declared_values_but_lines_refresh(cast):
    from jixiao.budget import services

    run(cast, [line(initial="100000", total="100000")])
    s = PerformanceSubject.objects.get(code="P001")
    services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
    before = counts()
    result = run(cast, [line(name="改了名字", initial="100000", total="100000")])
    assert "如需变更，请先发起调整" in result.errors[0].message and result.errors[0].column == "项目名称"
    assert counts() == before
    result = run(cast, [line(initial="100000", adjusted="90000", total="100000", economic="30227")])
    assert result.ok, [str(e) for e in result.errors]
    s.refresh_from_db()
    assert s.state == "submitted" and s.adjusted_amount == yuan("90000")
    assert s.budget_lines.get().economic_class == "30227"


def test_duplicate_line_codes(cast):
    header = [*HEADER, "指标编码"]
    rows = [line() + ["ZB1"], line() + ["ZB1"]]
    result = subject_import(actor=actor(cast, "finance_admin"), region=cast.city, data=xlsx([header, *rows]))
    assert (3, "指标编码") in where(result)


def test_import_check_hook_can_refuse_a_project(cast):
    def gate(plan, ctx):
        if plan.code == "P001":
            return [t.CellError(plan.first_row, "项目编码", "绩效目标尚未审核通过，不能安排预算")]
        return []

    hooks.register_import_check(gate)
    try:
        before = counts()
        result = run(cast, [line(code="P000"), line()])
        assert [str(e) for e in result.errors] == ["第3行“项目编码”列：绩效目标尚未审核通过，不能安排预算"]
        assert counts() == before
    finally:
        hooks.unregister_import_check(gate)


def test_dry_run_writes_nothing(cast):
    before = counts()
    result = run(cast, [line()], dry_run=True)
    assert result.ok and "未写入" in result.message
    assert counts() == before


# ---- execution -------------------------------------------------------------------------------------------------------

EXEC_HEADER = ["项目编码", "年度", "月份", "支出金额(元)"]


def run_exec(cast, rows, header=EXEC_HEADER, user="finance_admin", **kwargs):
    return execution_import(actor=actor(cast, user), region=cast.city, data=csv_bytes([header, *rows]),
                            filename="exec.csv", **kwargs)


def test_execution_monthly_and_reimport_overwrites(cast):
    code = cast.subjects["a1"].code
    assert run_exec(cast, [[code, 2026, 1, "1000"], [code, 2026, "2月", "2000.5"]]).ok
    s = cast.subjects["a1"]
    assert {r.month: r.amount for r in s.execution_records.all()} == {1: yuan(1000), 2: yuan("2000.5")}
    assert run_exec(cast, [[code, 2026, 2, "3000"]]).ok
    assert s.execution_records.get(month=2).amount == yuan(3000) and s.execution_records.count() == 2
    event = AuditEvent.objects.filter(object_id=str(s.pk), action="import").latest("id")
    assert event.before == {"2月": "2000.50"} and event.after == {"2月": "3000.00"}


EXEC_BAD = {
    "month 13": ([["C", 2026, 13, "1"]], (2, "月份"), "超出范围"),
    "month text": ([["C", 2026, "十三月", "1"]], (2, "月份"), "不是有效月份"),
    "unknown project": ([["NOPE", 2026, 1, "1"]], (2, "项目编码"), "不存在"),
    "other year": ([["C", 2025, 1, "1"]], (2, "项目编码"), "不存在"),
    "duplicate month": ([["C", 2026, 1, "1"], ["C", 2026, 1, "2"]], (3, "月份"), "重复"),
    "bad amount": ([["C", 2026, 1, "1,2,3x"]], (2, "支出金额"), "不是有效金额"),
    "amount in wan": ([["C", 2026, 1, "1万元"]], (2, "支出金额"), "以元为单位"),
}


@pytest.mark.parametrize("case", list(EXEC_BAD))
def test_bad_execution_file_changes_nothing(cast, case):
    rows, (row, column), message = EXEC_BAD[case]
    code = cast.subjects["a1"].code
    rows = [[code if c == "C" else c for c in r] for r in rows]
    before = counts()
    result = run_exec(cast, [*rows, [code, 2026, 6, "100"]])
    assert (row, column) in where(result), [str(e) for e in result.errors]
    assert any(message in e.message for e in result.errors)
    assert counts() == before


def test_execution_outside_reach_reads_as_unknown(cast):
    result = run_exec(cast, [[cast.subjects["b1"].code, 2026, 1, "1"]], user="unit_a1")
    assert "不存在，或不在您的管理范围内" in result.errors[0].message
    assert run_exec(cast, [[cast.subjects["a1"].code, 2026, 1, "1"]], user="unit_a1").ok


def test_execution_cumulative_is_converted_to_monthly(cast):
    code = cast.subjects["a1"].code
    header = ["项目编码", "年度", "月份", "累计支出(元)"]
    assert run_exec(cast, [[code, 2026, 1, "100"], [code, 2026, 2, "250"], [code, 2026, 3, "250"]], header=header).ok
    s = cast.subjects["a1"]
    assert {r.month: r.amount for r in s.execution_records.all()} == {1: yuan(100), 2: yuan(150), 3: yuan(0)}
    assert run_exec(cast, [[code, 2026, 4, "400"]], header=header).ok  # continues from stored months
    assert s.execution_records.get(month=4).amount == yuan(150)
    before = counts()
    result = run_exec(cast, [[code, 2026, 6, "900"]], header=header)  # May is missing
    assert "缺少5月" in result.errors[0].message
    result = run_exec(cast, [[code, 2026, 5, "300"]], header=header)  # cumulative went down
    assert "小于上月累计" in result.errors[0].message
    assert counts() == before


def test_execution_by_budget_line_adds_up(cast):
    code = cast.subjects["a1"].code
    header = ["项目编码", "年度", "月份", "指标编码", "当月支出数"]
    assert run_exec(cast, [[code, 2026, 1, "ZB1", "100"], [code, 2026, 1, "ZB2", "50"]], header=header).ok
    assert cast.subjects["a1"].execution_records.get(month=1).amount == yuan(150)


def test_execution_needs_an_amount_column(cast):
    result = run_exec(cast, [["C", 2026, 1]], header=["项目编码", "年度", "月份"])
    assert "缺少金额列" in result.errors[0].message


def test_spending_over_budget_is_a_warning(cast):
    code = cast.subjects["a1"].code
    result = run_exec(cast, [[code, 2026, 1, "1000000.01"]])
    assert result.ok and "超过预算" in result.warnings[0]


# ---- jobs and the command --------------------------------------------------------------------------------------------

def test_import_runs_as_a_job(cast, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile(SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        job = import_start(actor=actor(cast, "finance_admin"), kind=SUBJECT_JOB, region=cast.city, upload=upload,
                           year=2026)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.result["created"] == 9 and "已导入9个项目" in job.message
    assert job.progress == job.total and job.total > 0


def test_failed_job_reports_rows_and_columns(cast, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("bad.xlsx", xlsx([HEADER, line(unit="999999")]))
    with django_capture_on_commit_callbacks(execute=True):
        job = import_start(actor=actor(cast, "finance_admin"), kind=SUBJECT_JOB, region=cast.city, upload=upload)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "单位编码"
    assert not PerformanceSubject.objects.filter(code="P001").exists()


def test_import_start_checks_region_and_kind(cast):
    from django.core.exceptions import PermissionDenied, ValidationError

    upload = SimpleUploadedFile("a.xlsx", b"x")
    with pytest.raises(PermissionDenied):
        import_start(actor=actor(cast, "finance_admin"), kind=SUBJECT_JOB, region=cast.county, upload=upload)
    with pytest.raises(PermissionDenied):
        import_start(actor=actor(cast, "overseer"), kind=EXECUTION_JOB, region=cast.city, upload=upload)
    with pytest.raises(ValidationError):
        import_start(actor=actor(cast, "finance_admin"), kind=SUBJECT_JOB, region=cast.city,
                     upload=SimpleUploadedFile("a.pdf", b"x"))


def test_management_command(cast, capsys):
    call_command("import_budget", str(SAMPLE_XLSX), "--region", "150500", "--user", "finance")
    assert "已导入9个项目" in capsys.readouterr().out
    call_command("import_budget", str(SAMPLE_CSV), "--region", "150500", "--user", "finance", "--kind", "execution")
    assert ExecutionRecord.objects.count() == 48


def test_management_command_refuses_bad_input(cast, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([HEADER, line(unit="999999")]))
    with pytest.raises(CommandError, match="1处错误"):
        call_command("import_budget", str(bad), "--region", "150500", "--user", "finance")
    with pytest.raises(CommandError, match="没有向"):
        call_command("import_budget", str(SAMPLE_XLSX), "--region", "150502", "--user", "finance")
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_budget", str(SAMPLE_XLSX), "--region", "999999", "--user", "finance")
    assert not PerformanceSubject.objects.filter(code="P001").exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_long_csv_cut_inside_a_character_is_read_with_true_row_numbers(cast, encoding):
    # jixiao.core.tabular sniffs only the first 4096 bytes; a Chinese character cut there must not make the file
    # "not a table", and errors must still name the rows as the user sees them.
    code = cast.subjects["a1"].code
    for filler in range(8):
        rows = [["项目编码", "年度", "月份", "支出金额(元)", "备注"]]
        rows += [[code, 2026, m, "1", ("x" * filler if m == 1 else "") + "支出说明" * 50] for m in range(1, 13)]
        rows += [["NOPE", 2026, 1, "1", "未知项目"]]
        data = csv_bytes(rows, encoding=encoding)
        if len(data) > 4096:
            try:
                data[:4096].decode(encoding)
            except UnicodeDecodeError:
                break
    else:
        pytest.skip("no cut inside a character found")
    result = execution_import(actor=actor(cast, "finance_admin"), region=cast.city, data=data, filename="long.csv")
    assert [(e.row, e.column) for e in result.errors] == [(14, "项目编码")]
