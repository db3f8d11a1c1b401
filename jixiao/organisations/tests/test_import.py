"""Bulk imports: the shipped samples import cleanly; a bad file changes nothing and names every bad row and column;
the web pages run the import as a background job with progress and a one-time password download."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jixiao.core.models import AuditEvent, Job
from jixiao.organisations.excel import SAMPLE_ORGANISATIONS, SAMPLE_USERS, build_workbook
from jixiao.organisations.imports import import_organisations, import_users
from jixiao.organisations.models import Agency, Department, Region, Role, Unit, User

from .helpers import act, counts

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def org_book(**sheets) -> bytes:
    data = {k: [list(r) for r in v] for k, v in SAMPLE_ORGANISATIONS.items()}
    for name, rows in sheets.items():
        data[name] = rows
    return build_workbook({k: v for k, v in data.items() if v is not None})


def errors_of(result):
    return {(e.row, e.column): e.message for e in result.errors}


def test_sample_organisations_import_and_reimport(cast):
    actor = act(cast, "sysadmin")
    result = import_organisations(actor=actor, data=(SAMPLES / "organisations.xlsx").read_bytes())
    assert result.ok, result.errors
    assert dict(result.created) == {"region": 2, "department": 3, "unit": 4, "agency": 1}
    region = Region.objects.get(code="150521")
    assert region.parent_id == cast.city.pk and region.path.startswith(cast.city.path)
    assert Region.objects.get(code="150522").bureau_name == "科左后旗财政局"
    unit = Unit.objects.get(region=region, code="301001")
    assert unit.department.name == "科左中旗教育局"
    assert AuditEvent.objects.filter(action="import", comment__contains="新增区划2个").exists()
    again = import_organisations(actor=actor, data=(SAMPLES / "organisations.xlsx").read_bytes())
    assert again.ok and not again.created and sum(again.unchanged.values()) == 10
    assert again.summary().startswith("未变")


def test_renames_are_updates(cast):
    data = org_book(区划=None, 单位=None, 第三方机构=None,
                    部门=[["区划代码", "部门编码", "部门名称", "所属行业"], ["150500", "301", "通辽市教育体育局", "教育"]])
    result = import_organisations(actor=act(cast, "finance_admin"), data=data)
    assert result.ok and dict(result.updated) == {"department": 1}
    assert Department.objects.get(pk=cast.dept_a.pk).name == "通辽市教育体育局"


def test_bad_organisations_file_changes_nothing_and_names_rows(cast):
    before = counts()
    data = org_book(
        区划=[["区划代码", "区划名称", "上级区划代码", "层级", "财政部门名称"],
              ["150521", "科左中旗", "150500", "县(区)", ""],
              ["150599", "某旗", "159999", "县", ""],
              ["150598", "某市", "150500", "直辖", ""]],
        部门=[["区划代码", "部门编码", "部门名称", "所属行业", "是否涉密"],
              ["150500", "303", "通辽市农牧局", "农业", "否"],
              ["150500", "303", "重复的部门", "农业", "否"],
              ["150500", "304", "通辽市交通运输局", "", "也许"]],
        单位=[["区划代码", "单位编码", "单位名称", "主管部门编码"],
              ["150500", "303001", "农牧局本级", "303"],
              ["150500", "301001", "改隶的一中", "302"],
              ["150588", "888001", "无区划", "888"]],
    )
    result = import_organisations(actor=act(cast, "sysadmin"), data=data)
    assert not result.ok
    errs = errors_of(result)
    assert errs[(4, "层级（区划表）")].startswith("层级“直辖”无效")
    assert errs[(4, "是否涉密（部门表）")] == "“也许”应填“是”或“否”"
    assert counts() == before  # the cell errors stop the import before anything is written

    data = org_book(
        区划=[["区划代码", "区划名称", "上级区划代码", "层级", "财政部门名称"],
              ["150521", "科左中旗", "150500", "县(区)", ""],
              ["150599", "某旗", "159999", "县", ""]],
        部门=[["区划代码", "部门编码", "部门名称"],
              ["150500", "303", "通辽市农牧局"],
              ["150500", "303", "重复的部门"]],
    )
    result = import_organisations(actor=act(cast, "sysadmin"), data=data)
    assert errors_of(result) == {(3, "部门编码（部门表）"): "与第2行重复"}

    data = org_book(
        区划=[["区划代码", "区划名称", "上级区划代码", "层级", "财政部门名称"],
              ["150521", "科左中旗", "150500", "县(区)", ""],
              ["150599", "某旗", "159999", "县", ""],
              ["150502", "科尔沁区", "150400", "县", ""]],
        单位=[["区划代码", "单位编码", "单位名称", "主管部门编码"],
              ["150500", "303001", "农牧局本级", "303"],
              ["150500", "301001", "改隶的一中", "302"],
              ["150588", "888001", "无区划", "888"],
              ["150500", "309001", "无部门", "309"]],
        第三方机构=[["登记区划代码", "机构名称", "统一社会信用代码"], ["150500", "坏代码", "12345678901234567I"]],
    )
    result = import_organisations(actor=act(cast, "sysadmin"), data=data)
    errs = errors_of(result)
    assert errs[(3, "上级区划代码（区划表）")] == "上级区划代码 159999 不存在"
    assert errs[(4, "上级区划代码（区划表）")] == "上级区划代码 150400 不存在"
    assert "隶属于“通辽市教育局”" in errs[(3, "主管部门编码（单位表）")]
    assert errs[(4, "区划代码（单位表）")] == "区划代码 150588 不存在"
    assert errs[(5, "主管部门编码（单位表）")] == "“通辽市”下不存在部门编码 309"
    assert "18位" in errs[(2, "统一社会信用代码（第三方机构表）")]
    assert (2, "部门编码（单位表）") not in errs  # rows that were fine are not reported
    assert counts() == before  # the good rows (科左中旗, 农牧局 …) were rolled back too
    assert not Region.objects.filter(code="150521").exists()


def test_import_respects_the_manage_reach(cast):
    before = counts()
    data = build_workbook({"部门": [["区划代码", "部门编码", "部门名称"], ["150502", "309", "区体育局"],
                                    ["150500", "309", "市体育局"]]})
    result = import_organisations(actor=act(cast, "county_admin"), data=data)
    assert errors_of(result) == {(3, "区划代码（部门表）"): "您无权在该区划下新建主管部门"}
    assert counts() == before
    result = import_organisations(actor=act(cast, "clerk_a"), data=data)
    assert [e.message for e in result.errors] == ["您没有管理组织机构的权限"]


@pytest.mark.parametrize("data, message", [
    (b"%PDF-1.4 not a table", "不是 Excel"),
    (b"\x00\x01\x02\x03binary", "不是 Excel"),
    (b"PK\x03\x04broken zip", "已损坏"),
    ("区划代码,区划名称\n150521,科左中旗\n".encode(), "需使用 Excel 工作簿"),
])
def test_not_a_workbook(cast, data, message):
    before = counts()
    result = import_organisations(actor=act(cast, "sysadmin"), data=data)
    assert len(result.errors) == 1 and message in result.errors[0].message and result.errors[0].row is None
    assert counts() == before


def test_missing_sheets_and_columns(cast):
    result = import_organisations(actor=act(cast, "sysadmin"), data=build_workbook({"Sheet1": [["a", "b"]]}))
    assert "未找到工作表" in result.errors[0].message
    data = build_workbook({"单位": [["区划代码", "单位编码", "单位名称"], ["150500", "1", "x"]]})
    result = import_organisations(actor=act(cast, "sysadmin"), data=data)
    assert [str(e) for e in result.errors] == ["第1行“（单位表）”列：缺少必需的列：主管部门编码"]


# ---- users --------------------------------------------------------------------------------------------------------

def test_sample_users_import(cast):
    actor = act(cast, "sysadmin")
    assert import_organisations(actor=actor, data=(SAMPLES / "organisations.xlsx").read_bytes()).ok
    result = import_users(actor=actor, data=(SAMPLES / "users.xlsx").read_bytes())
    assert result.ok, result.errors
    assert result.created["user"] == 5 and len(result.passwords) == 5
    nongke = User.objects.get(username="nongke")
    ra = nongke.role_assignments.get()
    assert ra.role == Role.BUDGET_OFFICER and set(ra.departments.values_list("code", flat=True)) == {"303", "304"}
    assert User.objects.get(username="zhengxin").role_assignments.get().agency == Agency.objects.get(
        credit_code="91150500MA0000003C")
    assert User.objects.get(username="rd_ysgw").role_assignments.get().role == Role.OVERSEER
    pw = {p["username"]: p["password"] for p in result.passwords}
    assert User.objects.get(username="nm_benji").check_password(pw["nm_benji"])


HEADER = SAMPLE_USERS[0]


def users_book(*rows) -> bytes:
    return build_workbook({"用户": [HEADER, *rows]})


def test_bad_users_file_names_rows_and_changes_nothing(cast):
    before = counts()
    data = users_book(
        ["ok1", "正常", "预算单位", "150500", "", "301001", "", "", "Good-pass-2026", ""],
        ["ok1", "重复", "专家", "150500", "", "", "", "", "", ""],
        ["Clerk_A", "已存在", "专家", "150500", "", "", "", "", "", ""],
        ["bad1", "坏角色", "局长", "150500", "", "", "", "", "", ""],
    )
    result = import_users(actor=act(cast, "finance_admin"), data=data)
    errs = errors_of(result)
    assert errs[(5, "角色")].startswith("角色“局长”无效，应为：系统管理员、")
    assert errs[(3, "用户名")] == "用户名“ok1”与第2行重复"
    assert errs[(4, "用户名")] == "用户名“Clerk_A”已存在"
    assert len(errs) == 3 and [e.row for e in result.errors] == [3, 4, 5]
    assert counts() == before

    data = users_book(
        ["ok1", "正常", "预算单位", "150500", "", "301001", "", "", "Good-pass-2026", ""],
        ["u2", "没单位", "预算单位", "150500", "301", "", "", "", "", ""],
        ["u3", "错单位", "预算单位", "150500", "", "999999", "", "", "", ""],
        ["u4", "部门不符", "预算单位", "150500", "302", "301001", "", "", "", ""],
        ["u5", "专家带部门", "专家", "150500", "301", "", "", "", "", ""],
        ["u6", "外区", "主管部门", "150502", "301", "", "", "", "", ""],
        ["u7", "无分管", "财政预算业务科室", "150500", "", "", "", "", "", ""],
        ["u8", "弱密码", "专家", "150500", "", "", "", "", "12345678", ""],
        ["u9", "超权", "系统管理员", "150500", "", "", "", "", "", ""],
        ["u10", "未知区划", "专家", "159999", "", "", "", "", "", ""],
        ["u11", "未知机构", "第三方机构", "", "", "", "91150500MA0000009Z", "", "", ""],
        ["u12", "", "专家", "150500", "", "", "", "", "", ""],
    )
    result = import_users(actor=act(cast, "finance_admin"), data=data)
    errs = errors_of(result)
    assert errs[(3, "单位编码")] == "预算单位角色必须指定预算单位"
    assert errs[(4, "单位编码")] == "“通辽市”下不存在单位编码 999999"
    assert "不属于主管部门" in errs[(5, "部门编码")]
    assert errs[(6, "部门编码")] == "专家角色不应指定主管部门"
    assert errs[(7, "所属区划代码")] == "您无权在该区划分配角色"
    assert errs[(8, "分管部门编码")] == "请指定预算业务科室分管的部门"
    assert errs[(9, "初始密码")] in ("密码过于常见，请换一个不易猜到的密码", "密码不能全是数字")
    assert errs[(10, "角色")] == "您无权分配“系统管理员”角色"
    assert errs[(11, "所属区划代码")] == "区划代码 159999 不存在"
    assert "对应的第三方机构不存在" in errs[(12, "机构信用代码")]
    assert errs[(13, "姓名")] == "不能为空"
    assert (2, "用户名") not in errs
    assert counts() == before and not User.objects.filter(username="ok1").exists()


def test_users_from_csv_and_missing_columns(cast):
    csv = ("用户名,姓名,角色,所属区划代码,单位编码\nzs,张三,预算单位,150500,301002\n").encode("gb18030")
    result = import_users(actor=act(cast, "finance_admin"), data=csv, filename="users.csv")
    assert result.ok and User.objects.get(username="zs").role_assignments.get().unit_id == cast.unit_a2.pk
    result = import_users(actor=act(cast, "finance_admin"), data="用户名,姓名,角色,备注\nx,y,专家,z\n".encode())
    assert [str(e) for e in result.errors] == ["第1行：缺少必需的列：所属区划代码"]
    result = import_users(actor=act(cast, "unit_a1"), data=csv)
    assert result.errors[0].message == "您没有管理用户的权限"


# ---- the web pages and the background job -------------------------------------------------------------------------

def upload(client, url, name, data, capture):
    with capture(execute=True):
        return client.post(url, {"file": SimpleUploadedFile(name, data)})


def test_import_pages_run_a_job_with_progress(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.users["sysadmin"])
    url = reverse("organisations:import_organisations")
    assert "下载样例文件" in client.get(url).content.decode()
    r = upload(client, url, "组织机构.xlsx", (SAMPLES / "organisations.xlsx").read_bytes(),
               django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("web:job_detail", args=[job.pk])
    status = client.get(r["Location"] + "?format=json").json()
    assert status["status"] == "succeeded" and status["percent"] == 100 and status["total"] == 10
    assert "新增区划2个" in status["message"]
    assert Department.objects.filter(code="303", region=cast.city).exists()

    url = reverse("organisations:import_users")
    r = upload(client, url, "users.xlsx", (SAMPLES / "users.xlsx").read_bytes(), django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="organisations.import_users")
    assert job.status == "succeeded" and "初始密码为自动生成" in job.message
    page = client.get(url).content.decode()
    assert "下载初始密码（仅一次）" in page
    download = reverse("organisations:import_passwords", args=[job.pk])
    r = client.post(download)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    from jixiao.core.tabular import Column, read_table

    table = read_table(r.content, [Column("u", "用户名"), Column("p", "初始密码")])
    rows = {row["u"]: row["p"] for row in table.rows}
    assert User.objects.get(username="nongke").check_password(rows["nongke"])
    job.refresh_from_db()
    assert "passwords" not in job.result and job.result["passwords_downloaded"] == 5
    assert client.post(download).status_code == 302  # only once
    client.force_login(cast.users["finance_admin"])
    assert client.post(download).status_code == 404  # and only by whoever ran the import


def test_failed_import_job_reports_rows(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.users["finance_admin"])
    before = counts()
    data = users_book(["u1", "张三", "预算单位", "150500", "", "999999", "", "", "", ""])
    r = upload(client, reverse("organisations:import_users"), "u.xlsx", data, django_capture_on_commit_callbacks)
    status = client.get(r["Location"] + "?format=json").json()
    assert status["status"] == "failed"
    assert status["errors"] == [{"row": 2, "column": "单位编码", "message": "“通辽市”下不存在单位编码 999999",
                                 "value": ""}]
    html = client.get(r["Location"]).content.decode()
    assert "未导入任何数据" in html and "不存在单位编码 999999" in html
    after = counts()
    assert {k: v for k, v in after.items() if k != "AuditEvent"} == {k: v for k, v in before.items()
                                                                    if k != "AuditEvent"}


def test_upload_form_refuses_non_spreadsheets_at_once(client, cast):
    client.force_login(cast.users["finance_admin"])
    r = client.post(reverse("organisations:import_users"), {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.7 x")})
    assert r.status_code == 200 and "文件不是 Excel" in r.content.decode()
    r = client.post(reverse("organisations:import_users"), {})
    assert "请选择要导入的文件" in r.content.decode()
    assert not Job.objects.exists()
    client.force_login(cast.users["clerk_a"])
    assert client.get(reverse("organisations:import_users")).status_code == 403


def test_samples_download(client, cast):
    client.force_login(cast.users["finance_admin"])
    r = client.get(reverse("organisations:sample", args=["users"]))
    assert r.status_code == 200 and "filename*=UTF-8''" in r["Content-Disposition"]
    assert client.get(reverse("organisations:sample", args=["nope"])).status_code == 404
