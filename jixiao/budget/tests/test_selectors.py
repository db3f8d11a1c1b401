"""Reads: scoping by Action.VIEW, every filter, sorting (pinyin names), totals as Money, query-string parsing."""

import pytest

from jixiao.budget import selectors
from jixiao.budget.forms import SubjectFilterForm
from jixiao.budget.models import PerformanceSubject
from jixiao.budget.tests.helpers import actor, yuan
from jixiao.core.money import Money
from jixiao.core.testing import make_subject


def keys(cast, qs):
    by_pk = {s.pk: k for k, s in cast.subjects.items()}
    return [by_pk.get(s.pk, s.code) for s in qs]


def listing(cast, user, **filters):
    return keys(cast, selectors.subject_list(actor(cast, user), filters))


@pytest.mark.parametrize("user,expected", [
    ("finance_admin", {"a1", "a2", "a_dept", "b1", "a1_secret"}),
    ("county_admin", {"county"}),
    ("officer_b", {"b1"}),
    ("clerk_a", {"a1", "a2", "a_dept", "a1_secret"}),
    ("unit_a1", {"a1", "a1_secret"}),
    ("agency_yes", {"a1"}),  # granted the secret one too, but outsiders never see classified items
    ("expert", {"b1"}),
    ("overseer", {"a1", "a2", "a_dept", "b1"}),
    ("province_admin", set()),
])
def test_list_is_scoped(cast, user, expected):
    assert set(listing(cast, user)) == expected


def test_filters(cast):
    s = cast.subjects
    PerformanceSubject.objects.filter(pk=s["a2"].pk).update(
        budget_kind="government_fund", special_category="special_bond", annual_amount=yuan("5000000"),
        state="submitted")
    PerformanceSubject.objects.filter(pk=s["b1"].pk).update(annual_amount=yuan("250000"))
    fa = "finance_admin"
    assert listing(cast, fa, budget_kind="government_fund") == ["a2"]
    assert listing(cast, fa, special_category="special_bond") == ["a2"]
    assert "a2" not in listing(cast, fa, special_category="none")
    assert listing(cast, fa, kind="department_wide") == ["a_dept"]
    assert set(listing(cast, fa, department=cast.dept_b.pk)) == {"b1"}
    assert set(listing(cast, fa, unit=cast.unit_a1.pk)) == {"a1", "a1_secret"}
    assert listing(cast, fa, state="submitted") == ["a2"]
    assert listing(cast, fa, classified="yes") == ["a1_secret"]
    assert "a1_secret" not in listing(cast, fa, classified="no")
    assert listing(cast, fa, amount_min=yuan("2000000")) == ["a2"]
    assert listing(cast, fa, amount_max=yuan("300000")) == ["b1"]
    assert listing(cast, fa, q="医疗") == ["b1"]
    assert listing(cast, fa, q="0000000003") == ["a_dept"]
    assert listing(cast, fa, year=2026, q="学生") == ["a1"]
    assert listing(cast, fa, year=2025) == []


def test_sorting_by_pinyin_amount_and_department(cast):
    fa = "finance_admin"
    for code, name in [("Z1", "安全生产"), ("Z2", "重点项目"), ("Z3", "把关")]:
        make_subject(cast, code, department=cast.dept_b, unit=cast.unit_b1, name=name)
    names = [s.name for s in selectors.subject_list(actor(cast, fa), {"sort": "name", "department": cast.dept_b.pk})]
    assert names == ["安全生产", "把关", "医疗设备购置", "重点项目"]  # an, ba, yi, zhong
    PerformanceSubject.objects.filter(pk=cast.subjects["b1"].pk).update(annual_amount=yuan("1"))
    assert listing(cast, fa, sort="amount")[0] == "b1"
    assert listing(cast, fa, sort="-amount")[-1] == "b1"
    depts = [s.department.name for s in selectors.subject_list(actor(cast, fa), {"sort": "department"})]
    assert depts == sorted(depts, key=lambda n: ["通辽市教育局", "通辽市卫生健康委员会"].index(n))
    assert listing(cast, fa, sort="-code")[0] == "Z3"


def test_totals_are_exact_money(cast):
    PerformanceSubject.objects.filter(pk=cast.subjects["a1"].pk).update(
        annual_amount=yuan("123456789012.34"), adjusted_amount=yuan("0.01"))
    totals = selectors.subject_totals(selectors.subject_list(actor(cast, "clerk_a"), {}))
    assert totals.count == 4
    assert isinstance(totals.annual, Money)
    assert totals.annual == yuan("123456789012.34") + yuan("3000000")
    assert totals.annual.format_wan() == "12,345,978.90"
    assert totals.adjusted == yuan("0.01") + yuan("3000000")  # adjusted where given, else annual
    empty = selectors.subject_totals(selectors.subject_list(actor(cast, "province_admin"), {}))
    assert (empty.count, empty.annual) == (0, Money(0))


@pytest.mark.parametrize("params,field", [
    ({"amount_min": "abc"}, "amount_min"),
    ({"amount_min": "-5"}, "amount_min"),
    ({"amount_min": "100", "amount_max": "1"}, "amount_max"),
    ({"year": "二〇二六"}, "year"),
    ({"department": "x"}, "department"),
    ({"sort": "password"}, "sort"),
    ({"state": "'; drop table"}, "state"),
    ({"page_size": "100000"}, "page_size"),
])
def test_bad_query_values_are_form_errors(params, field):
    form = SubjectFilterForm(params)
    assert not form.is_valid()
    assert field in form.errors
    assert field not in form.filters()


def test_amounts_parse_like_offices_write_them():
    form = SubjectFilterForm({"amount_min": "1,000.50", "amount_max": "12.5万"})
    assert form.is_valid(), form.errors
    assert form.filters()["amount_min"] == yuan("1000.50")
    assert form.filters()["amount_max"] == yuan("125000")


def test_list_query_count_does_not_grow(cast, django_assert_max_num_queries):
    fa = actor(cast, "finance_admin")

    def run():
        qs = selectors.subject_list(fa, {"year": 2026, "sort": "department"})
        rows = [(s.department.name if s.department else "", s.unit.name if s.unit else "", s.fiscal_year.year,
                 s.region.name) for s in qs[:50]]
        selectors.subject_totals(qs)
        return rows

    with django_assert_max_num_queries(2):
        assert len(run()) == 5
    for i in range(30):
        make_subject(cast, f"N{i:03d}", department=cast.dept_b, unit=cast.unit_b1)
    with django_assert_max_num_queries(2):
        assert len(run()) == 35


def test_get_is_404_outside_reach(cast):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.subject_get(actor(cast, "unit_a2"), cast.subjects["a1"].pk)
    with pytest.raises(Http404):
        selectors.subject_get(actor(cast, "unit_a1"), "not-a-number")
    assert selectors.subject_get(actor(cast, "unit_a1"), cast.subjects["a1"].pk).name == "学生资助项目"


def test_writable_organisations(cast):
    assert list(selectors.writable_units(actor(cast, "unit_a1"))) == [cast.unit_a1]
    assert set(selectors.writable_units(actor(cast, "clerk_a"))) == {cast.unit_a1, cast.unit_a2}
    assert list(selectors.writable_departments(actor(cast, "clerk_a"))) == [cast.dept_a]
    assert not selectors.writable_departments(actor(cast, "finance_admin")).exists()
    assert selectors.import_regions(actor(cast, "finance_admin")) == [cast.city]
    assert selectors.import_regions(actor(cast, "overseer")) == []


def test_execution_table(cast):
    from jixiao.budget.models import ExecutionRecord

    s = cast.subjects["a1"]
    ExecutionRecord.objects.create(subject=s, year=2026, month=1, amount=yuan("100000"))
    ExecutionRecord.objects.create(subject=s, year=2026, month=3, amount=yuan("150000"))
    rows = selectors.execution_table(s)
    assert len(rows) == 12
    assert [r.cumulative for r in rows[:4]] == [yuan(100000), yuan(100000), yuan(250000), yuan(250000)]
    assert str(rows[2].rate) == "25.0" and rows[3].rate is None
    assert selectors.execution_total(s) == yuan(250000)
